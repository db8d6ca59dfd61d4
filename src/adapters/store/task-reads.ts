/**
 * Reading the queue: tasks (whole, lean or paged), their dependencies and the event log that
 * watchers follow. Nothing here writes.
 */
import type { TaskState } from "../../core/states.js";
import { type SqlRow, StoreConnection } from "./connection.js";
import { LEAN_COLUMNS, toEvent, toLeanTask, toStatusTask, toTask } from "./rows.js";
import type { EventRow, StatusTaskRow, TaskRow } from "./types.js";

export class TaskReads extends StoreConnection {
  /**
   * Tasks in queue order. `states` limits them (through the state index); `lean` leaves out the
   * part's body and scope, which whole-queue views (status, next, graph) never show: at 10,000
   * tasks that is most of the bytes read and parsed.
   */
  tasks(opts: { states?: readonly TaskState[]; lean?: boolean } = {}): TaskRow[] {
    const where = opts.states ? ` WHERE state IN (${opts.states.map(() => "?").join(", ")})` : "";
    if (opts.lean) {
      const rows = this.db
        .prepare(`SELECT ${LEAN_COLUMNS} FROM tasks${where} ORDER BY seq`)
        .raw(true)
        .all(...(opts.states ?? [])) as unknown[][];
      return rows.map(toLeanTask);
    }
    const rows = this.db
      .prepare(`SELECT * FROM tasks${where} ORDER BY seq`)
      .all(...(opts.states ?? [])) as SqlRow[];
    return rows.map(toTask);
  }

  /**
   * Every task, in queue order, with only the columns `status` shows or needs (12 of 23): at
   * 10,000 tasks the whole-queue read is most of a `status --json`, and parsing each row's
   * dependencies it never shows was a good part of it (docs/specs/0006-performance.md).
   */
  statusTasks(): StatusTaskRow[] {
    const rows = this.db
      .prepare(
        "SELECT id, title, state, reason, agent, attempt, state_changed_at, branch, verify, pipeline, pause_after, stage FROM tasks ORDER BY seq",
      )
      .raw(true)
      .all() as unknown[][];
    return rows.map(toStatusTask);
  }

  /**
   * At most `limit` lean tasks in the given states (all with a negative limit), in launch order
   * (priority, then queue order: core/schedule.ts's launchOrder) or queue order, and how many are
   * in those states in all.
   */
  tasksPage(
    states: readonly TaskState[],
    order: "launch" | "queue",
    limit: number,
  ): { tasks: TaskRow[]; total: number } {
    const marks = states.map(() => "?").join(", ");
    const by = order === "launch" ? "priority DESC, seq" : "seq";
    const rows = this.db
      .prepare(`SELECT ${LEAN_COLUMNS} FROM tasks WHERE state IN (${marks}) ORDER BY ${by} LIMIT ?`)
      .raw(true)
      .all(...states, limit < 0 ? -1 : limit) as unknown[][];
    const total =
      limit < 0 || rows.length < limit
        ? rows.length
        : (
            this.db.prepare(`SELECT COUNT(*) AS n FROM tasks WHERE state IN (${marks})`).get(...states) as {
              n: number;
            }
          ).n;
    return { tasks: rows.map(toLeanTask), total };
  }

  /** The lean rows of the given ids (those that exist), in one query whatever their number. */
  leanTasks(ids: readonly string[]): Map<string, TaskRow> {
    if (ids.length === 0) return new Map();
    const rows = this.db
      .prepare(`SELECT ${LEAN_COLUMNS} FROM tasks WHERE id IN (SELECT value FROM json_each(?))`)
      .raw(true)
      .all(JSON.stringify(ids)) as unknown[][];
    return new Map(rows.map((r) => [r[0] as string, toLeanTask(r)]));
  }

  /**
   * Lean tasks written at or after `iso` (every write to a task sets updated_at): what a
   * watcher re-reads instead of the whole queue.
   */
  tasksUpdatedSince(iso: string): TaskRow[] {
    const rows = this.db
      .prepare(`SELECT ${LEAN_COLUMNS} FROM tasks WHERE updated_at >= ? ORDER BY seq`)
      .raw(true)
      .all(iso) as unknown[][];
    return rows.map(toLeanTask);
  }

  /**
   * Ids of the tasks with events after `seq`, and the last seq seen. The log is append-only and
   * its seq grows in commit order, so a watcher that keeps the seq misses nothing and re-reads
   * nothing (a timestamp needs slack for writers that stamped before they committed).
   */
  changedSince(seq: number): { ids: string[]; seq: number } {
    const rows = this.db
      .prepare("SELECT seq, task_id FROM events WHERE seq > ? ORDER BY seq")
      .raw(true)
      .all(seq) as Array<[number, string]>;
    const ids = new Set<string>();
    let last = seq;
    for (const [s, id] of rows) {
      ids.add(id);
      last = s;
    }
    return { ids: [...ids], seq: last };
  }

  /** The seq of the newest event (0 with none). */
  lastEventSeq(): number {
    return (this.db.prepare("SELECT MAX(seq) AS m FROM events").get() as { m: number | null }).m ?? 0;
  }

  /** How many tasks are in each state (through the state index; no rows read). */
  stateCounts(): Partial<Record<TaskState, number>> {
    const rows = this.db.prepare("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state").all() as Array<{
      state: TaskState;
      n: number;
    }>;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  taskCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM tasks").get() as { n: number }).n;
  }

  /** Ids of the tasks that need `id`, in queue order (through the deps index). */
  dependentsOf(id: string): string[] {
    return (
      this.db
        .prepare(
          "SELECT d.task_id FROM deps d JOIN tasks t ON t.id = d.task_id WHERE d.dep_id = ? ORDER BY t.seq",
        )
        .all(id) as SqlRow[]
    ).map((r) => r.task_id as string);
  }

  /** Every task by its part file: what re-queueing needs to skip files that did not change. */
  partIndex(): Map<string, { id: string; hash: string; agent: string | null }> {
    const rows = this.db.prepare("SELECT id, part_path, part_hash, agent FROM tasks").all() as Array<{
      id: string;
      part_path: string | null;
      part_hash: string;
      agent: string | null;
    }>;
    const out = new Map<string, { id: string; hash: string; agent: string | null }>();
    for (const r of rows)
      if (r.part_path) out.set(r.part_path, { id: r.id, hash: r.part_hash, agent: r.agent });
    return out;
  }

  /** id -> hash of the part file it was queued from. */
  partHashes(): Map<string, string> {
    return this.columnById<string>("part_hash");
  }

  task(id: string): TaskRow | null {
    const r = this.db.prepare("SELECT * FROM tasks WHERE id = ?").get(id) as SqlRow | undefined;
    return r ? toTask(r) : null;
  }

  /** id -> needs for every task, for graph validation without loading bodies. */
  dependencyMap(): Map<string, string[]> {
    const needs = this.columnById<string>("needs");
    return new Map([...needs].map(([id, n]) => [id, JSON.parse(n) as string[]]));
  }

  stateMap(): Map<string, TaskState> {
    return this.columnById<TaskState>("state");
  }

  /** id -> one column of every task, read as arrays (raw mode): no object per row. */
  private columnById<T>(column: "part_hash" | "needs" | "state"): Map<string, T> {
    return new Map(this.db.prepare(`SELECT id, ${column} FROM tasks`).raw(true).all() as Array<[string, T]>);
  }

  events(taskId?: string): EventRow[] {
    const rows = taskId
      ? this.logOf("events", taskId)
      : (this.db.prepare("SELECT * FROM events ORDER BY seq").all() as SqlRow[]);
    return rows.map(toEvent);
  }

  /** A task's rows in one of its append-only logs, oldest first (through the task_id index). */
  protected logOf(
    table: "events" | "stage_gates" | "notes" | "verifications" | "artifacts",
    taskId: string,
  ): SqlRow[] {
    return this.db.prepare(`SELECT * FROM ${table} WHERE task_id = ? ORDER BY seq`).all(taskId) as SqlRow[];
  }
}
