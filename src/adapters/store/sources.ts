/**
 * Task sources (issue 33): the link from a task to the issue it came from, and the tracker
 * outbox. A write is queued once per task and state (INSERT OR IGNORE on its key), after the
 * state change it reports committed; the sender marks it sent or counts the failure.
 */
import { STATE_WRITE } from "../../core/source-states.js";
import type { TaskState } from "../../core/states.js";
import { now, type SqlRow } from "./connection.js";
import { TaskRecords } from "./records.js";
import type { TransitionOptions } from "./task-writes.js";

export interface SourceItem {
  taskId: string;
  source: string;
  ref: string;
  key: string;
  url: string | null;
  issueHash: string;
  /** Why the issue no longer counts (closed, unlabelled), once reconciled; null while it does. */
  gone: string | null;
}

export interface SourceWrite {
  key: string;
  taskId: string;
  source: string;
  ref: string;
  state: string;
  payload: string;
  createdAt: string;
  attempts: number;
  lastError: string | null;
  sentAt: string | null;
}

const item = (r: SqlRow): SourceItem => ({
  taskId: r.task_id as string,
  source: r.source as string,
  ref: r.ref as string,
  key: r.key as string,
  url: (r.url as string | null) ?? null,
  issueHash: r.issue_hash as string,
  gone: (r.gone as string | null) ?? null,
});

const write = (r: SqlRow): SourceWrite => ({
  key: r.key as string,
  taskId: r.task_id as string,
  source: r.source as string,
  ref: r.ref as string,
  state: r.state as string,
  payload: r.payload as string,
  createdAt: r.created_at as string,
  attempts: r.attempts as number,
  lastError: (r.last_error as string | null) ?? null,
  sentAt: (r.sent_at as string | null) ?? null,
});

export class SourceLedger extends TaskRecords {
  private sourceWriteListeners: Array<() => void> = [];

  /**
   * Called (after the current synchronous work, so after the transaction commits) whenever a
   * state change queued a write to a tracker: the process that made the change sends it.
   */
  onSourceWriteQueued(listener: () => void): void {
    this.sourceWriteListeners.push(listener);
  }

  /**
   * The write a state change of an imported task calls for, queued in the transaction of the
   * change (once per task and state). A change the tracker itself caused (actor `source:NAME`:
   * its issue closed upstream) is not told back to it.
   */
  protected override afterTransition(id: string, to: TaskState, opts: TransitionOptions): void {
    const state = STATE_WRITE[to];
    if (!state || opts.actor.startsWith("source:")) return;
    // What a block, failure or abandon says; the other writes carry no reason.
    const reason =
      state === "blocked" || state === "failed" || state === "abandoned" ? (opts.reason ?? opts.cause) : null;
    const queued = this.db
      .prepare(
        `INSERT OR IGNORE INTO source_writes (key, task_id, source, ref, state, payload, created_at)
         SELECT ?, task_id, source, ref, ?, ?, ? FROM source_items WHERE task_id = ? AND gone IS NULL`,
      )
      .run(`${id}:${state}`, state, JSON.stringify({ reason }), now(), id).changes;
    if (queued > 0 && this.sourceWriteListeners.length > 0)
      setImmediate(() => {
        for (const l of this.sourceWriteListeners) l();
      });
  }

  sourceItems(source?: string): SourceItem[] {
    const rows = source
      ? this.db.prepare("SELECT * FROM source_items WHERE source = ? ORDER BY task_id").all(source)
      : this.db.prepare("SELECT * FROM source_items ORDER BY task_id").all();
    return (rows as SqlRow[]).map(item);
  }

  sourceItem(taskId: string): SourceItem | null {
    const r = this.db.prepare("SELECT * FROM source_items WHERE task_id = ?").get(taskId) as
      | SqlRow
      | undefined;
    return r ? item(r) : null;
  }

  /** Records (or refreshes) links; call inside the transaction that queues their parts. */
  linkSourceItems(items: readonly Omit<SourceItem, "gone">[]): void {
    this.tx(() => {
      const up = this.db.prepare(
        `INSERT INTO source_items (task_id, source, ref, key, url, issue_hash, gone) VALUES (?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT(task_id) DO UPDATE SET source=excluded.source, ref=excluded.ref, key=excluded.key, url=excluded.url, issue_hash=excluded.issue_hash, gone=NULL`,
      );
      for (const i of items) up.run(i.taskId, i.source, i.ref, i.key, i.url, i.issueHash);
    });
  }

  markSourceItemGone(taskId: string, why: string): void {
    this.tx(() => {
      this.db.prepare("UPDATE source_items SET gone = ? WHERE task_id = ?").run(why, taskId);
    });
  }

  setSourceItemHash(taskId: string, hash: string): void {
    this.tx(() => {
      this.db.prepare("UPDATE source_items SET issue_hash = ? WHERE task_id = ?").run(hash, taskId);
    });
  }

  /** Queues a write unless one with this key exists; true when it was new. */
  queueSourceWrite(w: Pick<SourceWrite, "key" | "taskId" | "source" | "ref" | "state" | "payload">): boolean {
    return this.tx(
      () =>
        this.db
          .prepare(
            `INSERT OR IGNORE INTO source_writes (key, task_id, source, ref, state, payload, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(w.key, w.taskId, w.source, w.ref, w.state, w.payload, now()).changes === 1,
    );
  }

  pendingSourceWrites(source: string): SourceWrite[] {
    return (
      this.db
        .prepare("SELECT * FROM source_writes WHERE source = ? AND sent_at IS NULL ORDER BY rowid")
        .all(source) as SqlRow[]
    ).map(write);
  }

  /** The sources that have writes waiting to be sent (and not given up on). */
  sourcesWithPendingWrites(maxAttempts: number): string[] {
    return (
      this.db
        .prepare(
          "SELECT DISTINCT source FROM source_writes WHERE sent_at IS NULL AND attempts < ? ORDER BY source",
        )
        .all(maxAttempts) as Array<{ source: string }>
    ).map((r) => r.source);
  }

  sourceWrites(taskId: string): SourceWrite[] {
    return (
      this.db.prepare("SELECT * FROM source_writes WHERE task_id = ? ORDER BY rowid").all(taskId) as SqlRow[]
    ).map(write);
  }

  /**
   * Takes a pending write for sending: true for the one process that gets it. The lease ends
   * with sourceWriteDone, or by itself after `ms` (a sender that died: the write is retried).
   */
  leaseSourceWrite(key: string, ms: number): boolean {
    return this.tx(() => {
      const at = new Date();
      return (
        this.db
          .prepare(
            "UPDATE source_writes SET lease_until = ? WHERE key = ? AND sent_at IS NULL AND (lease_until IS NULL OR lease_until < ?)",
          )
          .run(new Date(at.getTime() + ms).toISOString(), key, at.toISOString()).changes === 1
      );
    });
  }

  /** Sent (error null) or failed once more (error: why, for show and the next try). */
  sourceWriteDone(key: string, error: string | null): void {
    this.tx(() => {
      if (error === null)
        this.db
          .prepare(
            "UPDATE source_writes SET sent_at = ?, last_error = NULL, attempts = attempts + 1, lease_until = NULL WHERE key = ?",
          )
          .run(now(), key);
      else
        this.db
          .prepare(
            "UPDATE source_writes SET attempts = attempts + 1, last_error = ?, lease_until = NULL WHERE key = ?",
          )
          .run(error, key);
    });
  }
}
