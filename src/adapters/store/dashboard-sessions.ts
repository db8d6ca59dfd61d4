/**
 * Dashboard servers and their browser sessions in the task store (migration 9), so the CLI
 * reaches a running dashboard: it revokes a session or rotates the token by writing here, and
 * the server reads here on every request. Keys and token hashes only: never a usable secret.
 */
import type { SqlRow } from "./connection.js";
import { toDashboard, toSession } from "./rows.js";
import type { TaskStore } from "./store.js";
import type { DashboardRow, DashboardSessionRow } from "./types.js";

export type { DashboardRow, DashboardSessionRow };

export class DashboardSessionStore {
  constructor(private readonly store: TaskStore) {}

  private get db() {
    return this.store.db;
  }

  addDashboard(d: DashboardRow): void {
    this.store.tx(() => {
      this.db
        .prepare(
          "INSERT INTO dashboards (id, origin, pid, started_at, idle_ms, token_hash) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .run(d.id, d.origin, d.pid, d.startedAt, d.idleMs, d.tokenHash);
    });
  }

  /** Forgets a dashboard and ends its sessions. */
  removeDashboard(id: string): void {
    this.store.tx(() => {
      this.db.prepare("DELETE FROM dashboard_sessions WHERE dashboard = ?").run(id);
      this.db.prepare("DELETE FROM dashboards WHERE id = ?").run(id);
    });
  }

  dashboards(): DashboardRow[] {
    return (this.db.prepare("SELECT * FROM dashboards ORDER BY started_at").all() as SqlRow[]).map(
      toDashboard,
    );
  }

  dashboard(id: string): DashboardRow | null {
    const r = this.db.prepare("SELECT * FROM dashboards WHERE id = ?").get(id) as SqlRow | undefined;
    return r ? toDashboard(r) : null;
  }

  /** A new login token for a dashboard: every session it had ends in the same transaction. */
  rotate(id: string, tokenHash: string): number {
    return this.store.tx(() => {
      this.db.prepare("UPDATE dashboards SET token_hash = ? WHERE id = ?").run(tokenHash, id);
      return this.db.prepare("DELETE FROM dashboard_sessions WHERE dashboard = ?").run(id).changes;
    });
  }

  /** Adds a session, first ending the ones `evict` picks from the dashboard's current sessions. */
  addSession(
    s: DashboardSessionRow,
    evict: (current: DashboardSessionRow[]) => DashboardSessionRow[],
  ): DashboardSessionRow[] {
    return this.store.tx(() => {
      const ended = evict(this.sessions(s.dashboard));
      const del = this.db.prepare("DELETE FROM dashboard_sessions WHERE key = ?");
      for (const e of ended) del.run(e.key);
      this.db
        .prepare(
          "INSERT INTO dashboard_sessions (key, id, dashboard, csrf, name, created_at, last_seen, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(s.key, s.id, s.dashboard, s.csrf, s.name, s.createdAt, s.lastSeen, s.remote);
      return ended;
    });
  }

  session(key: string): DashboardSessionRow | null {
    const r = this.db.prepare("SELECT * FROM dashboard_sessions WHERE key = ?").get(key) as
      | SqlRow
      | undefined;
    return r ? toSession(r) : null;
  }

  /** Every session, or one dashboard's, oldest first. */
  sessions(dashboard?: string): DashboardSessionRow[] {
    const rows = dashboard
      ? this.db
          .prepare("SELECT * FROM dashboard_sessions WHERE dashboard = ? ORDER BY created_at")
          .all(dashboard)
      : this.db.prepare("SELECT * FROM dashboard_sessions ORDER BY created_at").all();
    return (rows as SqlRow[]).map(toSession);
  }

  touch(key: string, at: string): void {
    this.store.tx(() => {
      this.db.prepare("UPDATE dashboard_sessions SET last_seen = ? WHERE key = ?").run(at, key);
    });
  }

  setName(key: string, name: string): void {
    this.store.tx(() => {
      this.db.prepare("UPDATE dashboard_sessions SET name = ? WHERE key = ?").run(name, key);
    });
  }

  removeSessions(keys: readonly string[]): void {
    this.store.tx(() => {
      const del = this.db.prepare("DELETE FROM dashboard_sessions WHERE key = ?");
      for (const k of keys) del.run(k);
    });
  }
}
