/**
 * Dashboard sessions (issue 29): the login token and every browser session live in the task
 * store, where the running server and `ballador dashboard sessions` both reach them. The server
 * checks the store on every request, so a revocation or a rotated token takes effect at the
 * browser's next request (and its open streams end within a second).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isAlive } from "../adapters/process/shell.js";
import { type DashboardSessionRow, DashboardSessionStore } from "../adapters/store/index.js";
import { checkSessionName, isIdle, toEvict } from "../core/dashboard-session.js";

export { dashboardActor } from "../core/dashboard-session.js";

import type { Project } from "../project/index.js";
import { UserError } from "../project/index.js";

export const DEFAULT_SESSION_IDLE = "8h";
export const DEFAULT_SESSION_IDLE_MS = 8 * 3_600_000;
export const DEFAULT_MAX_SESSIONS = 10;

export interface SessionPolicy {
  idleMs: number;
  maxSessions: number;
}

export type DashboardSession = DashboardSessionRow;

const hash = (s: string) => createHash("sha256").update(s).digest("hex");
const secret = () => randomBytes(24).toString("base64url");
const store = (project: Project) => new DashboardSessionStore(project.store());

/** Forgets dashboards whose process is gone (a dashboard that died without cleaning up), with their sessions. */
function pruneDead(project: Project): void {
  const s = store(project);
  for (const d of s.dashboards()) if (!isAlive(d.pid)) s.removeDashboard(d.id);
}

/** A starting dashboard's row and its first login token (only its hash is stored). */
export function registerDashboard(
  project: Project,
  opts: { origin: string; idleMs: number; token?: string },
): { id: string; token: string } {
  pruneDead(project);
  const id = randomBytes(9).toString("base64url");
  const token = opts.token ?? secret();
  store(project).addDashboard({
    id,
    origin: opts.origin,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    idleMs: opts.idleMs,
    tokenHash: hash(token),
  });
  return { id, token };
}

export function unregisterDashboard(project: Project, id: string): void {
  store(project).removeDashboard(id);
}

/** Whether `given` is the dashboard's current login token (rotation changes it under the server). */
export function tokenMatches(project: Project, dashboard: string, given: string): boolean {
  const d = store(project).dashboard(dashboard);
  if (!d) return false;
  return timingSafeEqual(Buffer.from(hash(given)), Buffer.from(d.tokenHash));
}

/** A new session: its cookie value (given to the browser only) and its row. */
export function createSession(
  project: Project,
  dashboard: string,
  remote: string,
  policy: SessionPolicy,
): { cookie: string; session: DashboardSession } {
  const cookie = secret();
  const at = new Date().toISOString();
  const session: DashboardSession = {
    key: hash(cookie),
    id: randomBytes(5).toString("hex"),
    dashboard,
    csrf: secret(),
    name: null,
    createdAt: at,
    lastSeen: at,
    remote,
  };
  store(project).addSession(session, (current) => {
    const now = Date.now();
    const live = current.filter((c) => !isIdle(c.lastSeen, now, policy.idleMs));
    return [...current.filter((c) => !live.includes(c)), ...toEvict(live, policy.maxSessions)];
  });
  return { cookie, session };
}

/** The live session of this cookie on this dashboard, seen now; null when unknown, revoked or idle. */
export function sessionOf(
  project: Project,
  dashboard: string,
  cookie: string,
  policy: SessionPolicy,
  touch = true,
): DashboardSession | null {
  const s = store(project);
  const row = s.session(hash(cookie));
  if (!row || row.dashboard !== dashboard) return null;
  const now = Date.now();
  if (isIdle(row.lastSeen, now, policy.idleMs)) {
    s.removeSessions([row.key]);
    return null;
  }
  // One write a second at most, whatever the number of requests.
  if (touch && now - Date.parse(row.lastSeen) >= 1000) s.touch(row.key, new Date(now).toISOString());
  return row;
}

/** The keys of this dashboard's sessions still live: what an open stream checks each second. */
export function liveSessionKeys(project: Project, dashboard: string, policy: SessionPolicy): Set<string> {
  const now = Date.now();
  return new Set(
    store(project)
      .sessions(dashboard)
      .filter((r) => !isIdle(r.lastSeen, now, policy.idleMs))
      .map((r) => r.key),
  );
}

export function nameSession(project: Project, session: DashboardSession, raw: unknown): string {
  const r = checkSessionName(raw);
  if (!r.ok) throw new UserError(`session name refused: ${r.why}`);
  store(project).setName(session.key, r.name);
  return r.name;
}

export interface SessionListing {
  id: string;
  name: string | null;
  created: string;
  lastSeen: string;
  from: string;
  dashboard: string;
  /** When it ends if unused: lastSeen plus the dashboard's idle time. */
  expires: string;
}

/** Every live session of this project's running dashboards. */
export function listSessions(project: Project): SessionListing[] {
  pruneDead(project);
  const s = store(project);
  const dashboards = new Map(s.dashboards().map((d) => [d.id, d]));
  const now = Date.now();
  const out: SessionListing[] = [];
  for (const r of s.sessions()) {
    const d = dashboards.get(r.dashboard);
    if (!d || isIdle(r.lastSeen, now, d.idleMs)) continue;
    out.push({
      id: r.id,
      name: r.name,
      created: r.createdAt,
      lastSeen: r.lastSeen,
      from: r.remote,
      dashboard: d.origin,
      expires: new Date(Date.parse(r.lastSeen) + d.idleMs).toISOString(),
    });
  }
  return out;
}

/** Ends the sessions named by id, by name, or "all"; refuses when nothing matches. */
export function revokeSessions(project: Project, what: string): SessionListing[] {
  const listed = listSessions(project);
  const hit = what === "all" ? listed : listed.filter((l) => l.id === what || l.name === what);
  if (hit.length === 0 && what !== "all")
    throw new UserError(`no dashboard session has the id or name "${what}"`, 3, [
      "list them with: ballador dashboard sessions",
    ]);
  const ids = new Set(hit.map((h) => h.id));
  const s = store(project);
  s.removeSessions(
    s
      .sessions()
      .filter((r) => ids.has(r.id))
      .map((r) => r.key),
  );
  return hit;
}

/** A new login token for every running dashboard of the project; their sessions end. */
export function rotateTokens(project: Project): Array<{ url: string; ended: number }> {
  pruneDead(project);
  const s = store(project);
  const running = s.dashboards();
  if (running.length === 0)
    throw new UserError("no dashboard of this project is running: nothing to rotate", 3, [
      "a dashboard makes a new token each time it starts: ballador dashboard",
    ]);
  return running.map((d) => {
    const token = secret();
    const ended = s.rotate(d.id, hash(token));
    return { url: `${d.origin}/?token=${token}`, ended };
  });
}
