/**
 * One watcher per dashboard process: it polls the store's data_version (one pragma read) a few
 * times a second, rebuilds the board only when another process committed (or when told that
 * this one did), re-reading only the tasks written since its last read, and hands each change
 * as a patch to every open page. Viewers never query the
 * store themselves, so ten pages cost what one does.
 */

import type { BoardPatch } from "../core/board-row.js";
import {
  type Board,
  type BoardRow,
  board,
  boardChanges,
  boardVersion,
  mergeOrder,
  reviewIds,
} from "../observe/board/index.js";
import type { Project } from "../project/index.js";

export type { BoardPatch };

type Listener = (patch: BoardPatch) => void;

/** Denied requests are files written by the proxy, not store commits: re-read this often while runs are live. */
const LIVE_REFRESH_MS = 2000;

export class BoardWatcher {
  private current: Board;
  private rowJson = new Map<string, string>();
  private version: number;
  private forced = false;
  private lastFull = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private listeners = new Set<Listener>();
  private order: string[] | null = null;
  private orderFor = "";
  private ordering = false;

  constructor(
    private readonly project: Project,
    private readonly pollMs = 200,
  ) {
    this.version = boardVersion(project);
    this.current = board(project);
    for (const r of this.current.rows) this.rowJson.set(r.id, JSON.stringify(r));
    this.byId = new Map(this.current.rows.map((r) => [r.id, r]));
    this.refreshOrder();
  }

  /** The whole board, for a page that just connected. */
  snapshot(): Board & { order: string[] | null } {
    return { ...this.current, order: this.order };
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** This process wrote to the store (data_version does not change for a connection's own commits). */
  poke(): void {
    this.forced = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    if (this.busy) return;
    const version = boardVersion(this.project);
    const active = this.current.rows.filter((r) => r.state === "running" || r.state === "verifying");
    const due = active.length > 0 && Date.now() - this.lastFull >= LIVE_REFRESH_MS;
    if (version === this.version && !this.forced && !due) return;
    this.busy = true;
    try {
      this.version = version;
      this.forced = false;
      this.lastFull = Date.now();
      const ch = boardChanges(this.project, this.current.mark, active);
      const rows = new Map(this.current.rows.map((r) => [r.id, r]));
      for (const r of ch.rows) rows.set(r.id, r);
      for (const [id, r] of rows) {
        const notes = ch.notes.get(id) ?? 0;
        const denials = ch.denials.get(id) ?? r.denials;
        const waiting = ch.waiting.get(id) ?? null;
        if (
          r.notes !== notes ||
          r.denials !== denials ||
          JSON.stringify(r.waiting) !== JSON.stringify(waiting)
        )
          rows.set(id, { ...r, notes, denials, waiting });
      }
      // A count that does not add up (tasks removed, or a clock far behind): read it all again.
      const next: Board =
        rows.size === ch.count
          ? { ...this.current, rows: [...rows.values()], mark: ch.mark }
          : board(this.project);
      if (next.rows !== this.current.rows && rows.size === ch.count) next.review = reviewIds(next.rows);
      const upsert: BoardRow[] = [];
      const seen = new Set<string>();
      const json = new Map<string, string>();
      for (const r of next.rows) {
        seen.add(r.id);
        const before = this.rowJson.get(r.id);
        const j = before !== undefined && this.rowById(r.id) === r ? before : JSON.stringify(r);
        json.set(r.id, j);
        if (before !== j) upsert.push(r);
      }
      const remove = [...this.rowJson.keys()].filter((id) => !seen.has(id));
      const reviewChanged = next.review.join("\n") !== this.current.review.join("\n");
      this.current = next;
      this.byId = new Map(next.rows.map((r) => [r.id, r]));
      this.rowJson = json;
      if (upsert.length || remove.length || reviewChanged) {
        this.emit({ upsert, remove, review: next.review });
        this.refreshOrder();
      }
    } finally {
      this.busy = false;
    }
  }

  private byId = new Map<string, BoardRow>();

  /** The row object held before this tick (same object: unchanged, no need to serialise it again). */
  private rowById(id: string): BoardRow | undefined {
    return this.byId.get(id);
  }

  private refreshOrder(): void {
    const key = this.current.review.join("\n");
    if (this.ordering || key === this.orderFor) return;
    if (this.current.review.length < 2) {
      this.orderFor = key;
      this.order = this.current.review;
      return;
    }
    this.ordering = true;
    mergeOrder(this.project)
      .then((order) => {
        this.orderFor = key;
        this.order = order;
        this.emit({ upsert: [], remove: [], review: this.current.review, order });
      })
      .catch(() => undefined)
      .finally(() => {
        this.ordering = false;
        // The review set moved on while git was predicting: predict again for the new one.
        if (this.current.review.join("\n") !== this.orderFor) this.refreshOrder();
      });
  }

  private emit(patch: BoardPatch): void {
    for (const fn of this.listeners) {
      try {
        fn(patch);
      } catch {
        // One broken viewer must not stop the others.
      }
    }
  }
}
