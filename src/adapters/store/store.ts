/**
 * The task store: one SQLite file in WAL mode, shared by every Ballador process.
 * Each state change is one immediate transaction that checks the move with the pure state
 * machine, writes the task, appends the event and refreshes the readiness of its dependents.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { checkTail } from "../../core/check-output.js";
import { assertTransition, EDITABLE_STATES, satisfiesDependency, type TaskState } from "../../core/states.js";
import type { RunUsage } from "../../core/usage.js";
import { MIGRATIONS } from "./migrations.js";
import type {
  ArtifactRow,
  EventRow,
  GateRow,
  LaunchRow,
  NoteRow,
  RunRow,
  RunStatus,
  TaskRow,
  VerificationRow,
} from "./types.js";

export const STORE_FILE = "ballador.db";

export interface TransitionOptions {
  cause: string;
  actor: string;
  reason?: string | null;
  runId?: string | null;
  detail?: string | null;
  /** Refuse unless the task is in one of these states (guards races between processes). */
  expectFrom?: readonly TaskState[];
  /** Extra column updates made in the same transaction. */
  attempt?: number;
  branch?: string | null;
}

export interface QueuedPart {
  id: string;
  title: string;
  spec: string | null;
  agent: string | null;
  role: string | null;
  scope: string[];
  needs: string[];
  verify: string | null;
  priority: number;
  body: string;
  partPath: string | null;
  partHash: string;
  pipeline?: string | string[] | null;
  pauseAfter?: string[] | null;
}

export class StoreError extends Error {
  override name = "StoreError";
}

type SqlRow = Record<string, unknown>;

function now(): string {
  return new Date().toISOString();
}

const LEAN_COLUMNS =
  "id, seq, title, spec, agent, role, needs, verify, priority, part_path, part_hash, state, reason, attempt, branch, created_at, updated_at, state_changed_at, pipeline, pause_after, stage, stage_start";

/**
 * A lean row read as an array in LEAN_COLUMNS order (better-sqlite3's raw mode): at 10,000
 * tasks, making one keyed object per row and then another was most of a whole-queue read.
 */
function toLeanTask(r: unknown[]): TaskRow {
  const needs = r[6] as string;
  return {
    id: r[0] as string,
    seq: r[1] as number,
    title: r[2] as string,
    spec: (r[3] as string | null) ?? null,
    agent: (r[4] as string | null) ?? null,
    role: (r[5] as string | null) ?? null,
    scope: [],
    needs: needs === "[]" ? [] : (JSON.parse(needs) as string[]),
    verify: (r[7] as string | null) ?? null,
    priority: r[8] as number,
    body: "",
    partPath: (r[9] as string | null) ?? null,
    partHash: r[10] as string,
    state: r[11] as TaskState,
    reason: (r[12] as string | null) ?? null,
    attempt: r[13] as number,
    branch: (r[14] as string | null) ?? null,
    createdAt: r[15] as string,
    updatedAt: r[16] as string,
    stateChangedAt: r[17] as string,
    pipeline: r[18] ? (JSON.parse(r[18] as string) as string | string[]) : null,
    pauseAfter: r[19] ? (JSON.parse(r[19] as string) as string[]) : null,
    stage: (r[20] as number | null) ?? 0,
    stageStart: (r[21] as string | null) ?? null,
  };
}

function toVerification(r: SqlRow): VerificationRow {
  return {
    seq: r.seq as number,
    at: r.at as string,
    taskId: r.task_id as string,
    runId: (r.run_id as string | null) ?? null,
    commit: (r.commit_sha as string | null) ?? null,
    kind: r.kind as VerificationRow["kind"],
    command: (r.command as string | null) ?? null,
    passed: r.passed === 1,
    exitCode: (r.exit_code as number | null) ?? null,
    ms: r.ms as number,
    detail: (r.detail as string | null) ?? null,
    key: (r.key as string | null) ?? null,
    tail: (r.tail as string | null) ?? null,
    log: (r.log as string | null) ?? null,
  };
}

function toTask(r: SqlRow): TaskRow {
  return {
    id: r.id as string,
    seq: r.seq as number,
    title: r.title as string,
    spec: (r.spec as string | null) ?? null,
    agent: (r.agent as string | null) ?? null,
    role: (r.role as string | null) ?? null,
    scope: r.scope === undefined ? [] : (JSON.parse(r.scope as string) as string[]),
    needs: JSON.parse(r.needs as string) as string[],
    verify: (r.verify as string | null) ?? null,
    priority: r.priority as number,
    body: (r.body as string | undefined) ?? "",
    partPath: (r.part_path as string | null) ?? null,
    partHash: r.part_hash as string,
    state: r.state as TaskState,
    reason: (r.reason as string | null) ?? null,
    attempt: r.attempt as number,
    branch: (r.branch as string | null) ?? null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
    stateChangedAt: r.state_changed_at as string,
    pipeline: r.pipeline ? (JSON.parse(r.pipeline as string) as string | string[]) : null,
    pauseAfter: r.pause_after ? (JSON.parse(r.pause_after as string) as string[]) : null,
    stage: (r.stage as number | null) ?? 0,
    stageStart: (r.stage_start as string | null) ?? null,
  };
}

function toRun(r: SqlRow): RunRow {
  return {
    id: r.id as string,
    taskId: r.task_id as string,
    attempt: r.attempt as number,
    profile: r.profile as string,
    status: r.status as RunStatus,
    worktree: r.worktree as string,
    branch: r.branch as string,
    base: r.base as string,
    session: r.session as string,
    runDir: r.run_dir as string,
    supervisorPid: (r.supervisor_pid as number | null) ?? null,
    agentPid: (r.agent_pid as number | null) ?? null,
    createdWorktree: r.created_worktree === 1,
    createdBranch: r.created_branch === 1,
    startedAt: r.started_at as string,
    endedAt: (r.ended_at as string | null) ?? null,
    exitCode: (r.exit_code as number | null) ?? null,
    outcome: (r.outcome as string | null) ?? null,
    detail: (r.detail as string | null) ?? null,
    phase: (r.phase as string | null) ?? null,
    agentStartedAt: (r.agent_started_at as string | null) ?? null,
    waitingSince: (r.waiting_since as string | null) ?? null,
    waitingFor: (r.waiting_for as string | null) ?? null,
    nudgedAt: (r.nudged_at as string | null) ?? null,
    usage: typeof r.usage === "string" ? (JSON.parse(r.usage) as RunUsage) : null,
    stage: (r.stage as string | null) ?? null,
    launchId: (r.launch_id as string | null) ?? null,
  };
}

/**
 * Switches the store to WAL. On a brand-new store that other processes are creating at the same
 * moment, SQLite can answer SQLITE_BUSY at once without calling the busy handler (seen under load
 * in CI): wait a little and try again, for as long as the busy timeout.
 */
function enableWal(db: Database.Database): void {
  const until = Date.now() + 15_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > until) throw err;
      Atomics.wait(pause, 0, 0, 20);
    }
  }
}

export class TaskStore {
  readonly db: Database.Database;

  private constructor(
    readonly path: string,
    readonly stack: boolean,
  ) {
    // Agents report concurrently; wait for the lock rather than fail.
    this.db = new Database(path, { timeout: 15_000 });
    enableWal(this.db);
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.migrate();
  }

  static open(stateDir: string, opts: { stack?: boolean } = {}): TaskStore {
    mkdirSync(stateDir, { recursive: true });
    return new TaskStore(join(stateDir, STORE_FILE), opts.stack ?? false);
  }

  close(): void {
    this.db.close();
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new StoreError(
        `${this.path}: the task store is at schema version ${version}, newer than this Ballador (${MIGRATIONS.length}); upgrade Ballador`,
      );
    }
    if (version === MIGRATIONS.length) return;
    this.tx(() => {
      // Another process may have migrated while we waited for the lock.
      const current = this.db.pragma("user_version", { simple: true }) as number;
      for (let v = current; v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
      }
    });
  }

  /** Runs fn in an immediate transaction: writers queue on the lock instead of failing at commit. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---- tasks -------------------------------------------------------------------------------

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

  /** id -> hash of the part file it was queued from. */
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

  partHashes(): Map<string, string> {
    const rows = this.db.prepare("SELECT id, part_hash FROM tasks").all() as Array<{
      id: string;
      part_hash: string;
    }>;
    return new Map(rows.map((r) => [r.id, r.part_hash]));
  }

  task(id: string): TaskRow | null {
    const r = this.db.prepare("SELECT * FROM tasks WHERE id = ?").get(id) as SqlRow | undefined;
    return r ? toTask(r) : null;
  }

  /** id -> needs for every task, for graph validation without loading bodies. */
  dependencyMap(): Map<string, string[]> {
    const rows = this.db.prepare("SELECT id, needs FROM tasks").all() as Array<{ id: string; needs: string }>;
    return new Map(rows.map((r) => [r.id, JSON.parse(r.needs) as string[]]));
  }

  stateMap(): Map<string, TaskState> {
    const rows = this.db.prepare("SELECT id, state FROM tasks").all() as Array<{
      id: string;
      state: TaskState;
    }>;
    return new Map(rows.map((r) => [r.id, r.state]));
  }

  /**
   * Inserts new parts and replaces not-yet-started ones, in one transaction, then settles
   * readiness. The caller has validated the graph; this re-checks that edited tasks have not
   * started meanwhile, so a part can never change under a running agent.
   */
  queueParts(
    parts: readonly QueuedPart[],
    actor: string,
  ): { inserted: string[]; updated: string[]; unchanged: string[] } {
    const inserted: string[] = [];
    const updated: string[] = [];
    const unchanged: string[] = [];
    this.tx(() => {
      const at = now();
      let seq =
        ((this.db.prepare("SELECT MAX(seq) AS m FROM tasks").get() as { m: number | null }).m ?? 0) + 1;
      const insert = this.db.prepare(
        `INSERT INTO tasks (id, seq, title, spec, agent, role, scope, needs, verify, priority, body, part_path, part_hash, pipeline, pause_after, state, created_at, updated_at, state_changed_at)
         VALUES (@id, @seq, @title, @spec, @agent, @role, @scope, @needs, @verify, @priority, @body, @partPath, @partHash, @pipeline, @pauseAfter, 'queued', @at, @at, @at)`,
      );
      const update = this.db.prepare(
        `UPDATE tasks SET title=@title, spec=@spec, agent=@agent, role=@role, scope=@scope, needs=@needs, verify=@verify,
           priority=@priority, body=@body, part_path=@partPath, part_hash=@partHash, pipeline=@pipeline, pause_after=@pauseAfter,
           stage=0, stage_start=NULL, updated_at=@at WHERE id=@id`,
      );
      const delDeps = this.db.prepare("DELETE FROM deps WHERE task_id = ?");
      const addDep = this.db.prepare("INSERT OR IGNORE INTO deps (task_id, dep_id) VALUES (?, ?)");
      const event = this.db.prepare(
        "INSERT INTO events (at, task_id, from_state, to_state, cause, actor) VALUES (?, ?, ?, ?, ?, ?)",
      );
      const existing = this.db.prepare("SELECT state, part_hash FROM tasks WHERE id = ?");
      for (const p of parts) {
        const row = {
          ...p,
          scope: JSON.stringify(p.scope),
          needs: JSON.stringify(p.needs),
          pipeline: p.pipeline ? JSON.stringify(p.pipeline) : null,
          pauseAfter: p.pauseAfter ? JSON.stringify(p.pauseAfter) : null,
          at,
        };
        const cur = existing.get(p.id) as { state: TaskState; part_hash: string } | undefined;
        if (!cur) {
          insert.run({ ...row, seq: seq++ });
          event.run(at, p.id, null, "queued", "queued", actor);
          inserted.push(p.id);
        } else if (cur.part_hash === p.partHash) {
          unchanged.push(p.id);
          continue;
        } else if (EDITABLE_STATES.includes(cur.state)) {
          update.run(row);
          event.run(at, p.id, cur.state, cur.state, "part updated by re-queue", actor);
          updated.push(p.id);
        } else {
          throw new StoreError(`task ${p.id} is ${cur.state}: its part cannot change now`);
        }
        delDeps.run(p.id);
        for (const d of p.needs) addDep.run(p.id, d);
      }
      this.settleReadiness(null, actor);
    });
    return { inserted, updated, unchanged };
  }

  /**
   * Moves queued tasks whose dependencies are satisfied to ready, and ready tasks whose
   * dependencies no longer are back to queued. `ids` limits the check (null: every task).
   * Must run inside a transaction.
   */
  private settleReadiness(ids: readonly string[] | null, actor: string): void {
    const candidates =
      ids === null
        ? (this.db
            .prepare("SELECT id, state, needs FROM tasks WHERE state IN ('queued','ready')")
            .all() as SqlRow[])
        : ids
            .map(
              (id) =>
                this.db.prepare("SELECT id, state, needs FROM tasks WHERE id = ?").get(id) as
                  | SqlRow
                  | undefined,
            )
            .filter((r): r is SqlRow => r !== undefined && (r.state === "queued" || r.state === "ready"));
    if (candidates.length === 0) return;
    const states = ids === null ? this.stateMap() : null;
    const stateOf = this.db.prepare("SELECT state FROM tasks WHERE id = ?");
    const lookup = (id: string): TaskState | undefined =>
      states ? states.get(id) : (stateOf.get(id) as { state: TaskState } | undefined)?.state;
    const set = this.db.prepare(
      "UPDATE tasks SET state = ?, updated_at = ?, state_changed_at = ? WHERE id = ?",
    );
    const event = this.db.prepare(
      "INSERT INTO events (at, task_id, from_state, to_state, cause, actor) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const at = now();
    for (const r of candidates) {
      const needs = JSON.parse(r.needs as string) as string[];
      const ok = needs.every((d) => {
        const s = lookup(d);
        return s !== undefined && satisfiesDependency(s, this.stack);
      });
      const from = r.state as TaskState;
      const to: TaskState = ok ? "ready" : "queued";
      if (from === to) continue;
      set.run(to, at, at, r.id);
      event.run(
        at,
        r.id,
        from,
        to,
        ok ? "dependencies satisfied" : "a dependency is no longer satisfied",
        actor,
      );
    }
  }

  /** One state change: checked, written, logged and propagated in a single transaction. */
  transition(id: string, to: TaskState, opts: TransitionOptions): TaskRow {
    return this.tx(() => {
      const cur = this.task(id);
      if (!cur) throw new StoreError(`no task "${id}" in the queue`);
      if (opts.expectFrom && !opts.expectFrom.includes(cur.state)) {
        throw new StoreError(`task ${id} is ${cur.state}, expected ${opts.expectFrom.join(" or ")}`);
      }
      assertTransition(id, cur.state, to);
      const at = now();
      this.db
        .prepare(
          `UPDATE tasks SET state = @to, reason = @reason, attempt = @attempt, branch = @branch,
             updated_at = @at, state_changed_at = @at WHERE id = @id`,
        )
        .run({
          id,
          to,
          at,
          reason: opts.reason ?? null,
          attempt: opts.attempt ?? cur.attempt,
          branch: opts.branch === undefined ? cur.branch : opts.branch,
        });
      this.db
        .prepare(
          "INSERT INTO events (at, task_id, from_state, to_state, cause, actor, run_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(at, id, cur.state, to, opts.cause, opts.actor, opts.runId ?? null, opts.detail ?? null);
      this.settleReadiness(this.dependentsOf(id), "ballador");
      return this.task(id) as TaskRow;
    });
  }

  events(taskId?: string): EventRow[] {
    const rows = (
      taskId
        ? this.db.prepare("SELECT * FROM events WHERE task_id = ? ORDER BY seq").all(taskId)
        : this.db.prepare("SELECT * FROM events ORDER BY seq").all()
    ) as SqlRow[];
    return rows.map((r) => ({
      seq: r.seq as number,
      at: r.at as string,
      taskId: r.task_id as string,
      from: (r.from_state as TaskState | null) ?? null,
      to: r.to_state as TaskState,
      cause: r.cause as string,
      actor: r.actor as string,
      runId: (r.run_id as string | null) ?? null,
      detail: (r.detail as string | null) ?? null,
    }));
  }

  /** Moves a task to a pipeline stage (and the commit it starts from); no state change. */
  setStage(id: string, stage: number, start: string | null): void {
    this.tx(() => {
      this.db
        .prepare("UPDATE tasks SET stage = ?, stage_start = ?, updated_at = ? WHERE id = ?")
        .run(stage, start, now(), id);
    });
  }

  addGate(g: Omit<GateRow, "seq" | "at">): void {
    this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO stage_gates (at, task_id, run_id, stage, role, passed, start_commit, commit_sha, summary, checks, files)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          now(),
          g.taskId,
          g.runId,
          g.stage,
          g.role,
          g.passed ? 1 : 0,
          g.startCommit,
          g.commit,
          g.summary,
          JSON.stringify(g.checks),
          JSON.stringify(g.files),
        );
    });
  }

  gates(taskId: string): GateRow[] {
    return (
      this.db.prepare("SELECT * FROM stage_gates WHERE task_id = ? ORDER BY seq").all(taskId) as SqlRow[]
    ).map((r) => ({
      seq: r.seq as number,
      at: r.at as string,
      taskId: r.task_id as string,
      runId: (r.run_id as string | null) ?? null,
      stage: r.stage as number,
      role: r.role as string,
      passed: r.passed === 1,
      startCommit: (r.start_commit as string | null) ?? null,
      commit: (r.commit_sha as string | null) ?? null,
      summary: r.summary as string,
      checks: JSON.parse(r.checks as string) as GateRow["checks"],
      files: JSON.parse(r.files as string) as GateRow["files"],
    }));
  }

  // ---- runs --------------------------------------------------------------------------------

  createRun(
    run: Omit<
      RunRow,
      | "endedAt"
      | "exitCode"
      | "outcome"
      | "detail"
      | "agentPid"
      | "phase"
      | "agentStartedAt"
      | "waitingSince"
      | "waitingFor"
      | "nudgedAt"
      | "usage"
      | "stage"
      | "launchId"
    > & { stage?: string | null; launchId?: string | null },
  ): RunRow {
    this.db
      .prepare(
        `INSERT INTO runs (id, task_id, attempt, profile, status, worktree, branch, base, session, run_dir, supervisor_pid,
           created_worktree, created_branch, started_at, stage, launch_id)
         VALUES (@id, @taskId, @attempt, @profile, @status, @worktree, @branch, @base, @session, @runDir, @supervisorPid,
           @createdWorktree, @createdBranch, @startedAt, @stage, @launchId)`,
      )
      .run({
        ...run,
        stage: run.stage ?? null,
        launchId: run.launchId ?? null,
        createdWorktree: run.createdWorktree ? 1 : 0,
        createdBranch: run.createdBranch ? 1 : 0,
      });
    return this.run(run.id) as RunRow;
  }

  updateRun(
    id: string,
    fields: Partial<
      Pick<
        RunRow,
        | "status"
        | "supervisorPid"
        | "agentPid"
        | "endedAt"
        | "exitCode"
        | "outcome"
        | "detail"
        | "createdWorktree"
        | "createdBranch"
        | "phase"
        | "waitingSince"
        | "waitingFor"
        | "nudgedAt"
        | "usage"
      >
    >,
  ): void {
    const columns: Record<string, string> = {
      status: "status",
      supervisorPid: "supervisor_pid",
      agentPid: "agent_pid",
      endedAt: "ended_at",
      exitCode: "exit_code",
      outcome: "outcome",
      detail: "detail",
      createdWorktree: "created_worktree",
      createdBranch: "created_branch",
      phase: "phase",
      waitingSince: "waiting_since",
      waitingFor: "waiting_for",
      nudgedAt: "nudged_at",
      usage: "usage",
    };
    const sets: string[] = [];
    const values: Record<string, unknown> = { id };
    for (const [k, v] of Object.entries(fields)) {
      const col = columns[k];
      if (!col || v === undefined) continue;
      sets.push(`${col} = @${k}`);
      values[k] =
        typeof v === "boolean" ? (v ? 1 : 0) : typeof v === "object" && v !== null ? JSON.stringify(v) : v;
    }
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE runs SET ${sets.join(", ")} WHERE id = @id`).run(values);
  }

  /** provisioning -> running, only if nothing else (the supervisor ending it) came first. */
  markRunStarted(id: string): void {
    this.db
      .prepare(
        "UPDATE runs SET status = 'running', phase = NULL, agent_started_at = COALESCE(agent_started_at, ?) WHERE id = ? AND status = 'provisioning'",
      )
      .run(new Date().toISOString(), id);
  }

  /** Ends a live run once; returns false when it had already ended. */
  endRun(id: string, fields: { outcome: string; exitCode?: number | null; detail?: string | null }): boolean {
    const r = this.db
      .prepare(
        "UPDATE runs SET status = 'ended', ended_at = ?, outcome = ?, exit_code = ?, detail = ? WHERE id = ? AND status != 'ended'",
      )
      .run(new Date().toISOString(), fields.outcome, fields.exitCode ?? null, fields.detail ?? null, id);
    return r.changes > 0;
  }

  run(id: string): RunRow | null {
    const r = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as SqlRow | undefined;
    return r ? toRun(r) : null;
  }

  runsOf(taskId: string): RunRow[] {
    return (
      this.db
        .prepare("SELECT * FROM runs WHERE task_id = ? ORDER BY started_at, rowid")
        .all(taskId) as SqlRow[]
    ).map(toRun);
  }

  liveRuns(): RunRow[] {
    return (
      this.db
        .prepare("SELECT * FROM runs WHERE status IN ('provisioning','running') ORDER BY started_at")
        .all() as SqlRow[]
    ).map(toRun);
  }

  latestRun(taskId: string): RunRow | null {
    const r = this.db
      .prepare("SELECT * FROM runs WHERE task_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1")
      .get(taskId) as SqlRow | undefined;
    return r ? toRun(r) : null;
  }

  /** When each of these sessions' runs last ended (epoch ms), through the session index. */
  lastEndedBySession(sessions: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    const q = this.db.prepare(
      "SELECT MAX(ended_at) AS at FROM runs WHERE session = ? AND ended_at IS NOT NULL",
    );
    for (const s of sessions) {
      const at = (q.get(s) as { at: string | null }).at;
      if (at) out.set(s, Date.parse(at));
    }
    return out;
  }

  /** Each run's recorded usage (only runs that have one): what whole-queue cost views read. */
  usages(): Array<{ taskId: string; usage: RunUsage }> {
    const rows = this.db
      .prepare("SELECT task_id, usage FROM runs WHERE usage IS NOT NULL ORDER BY started_at")
      .raw(true)
      .all() as Array<[string, string]>;
    return rows.map(([taskId, usage]) => ({ taskId, usage: JSON.parse(usage) as RunUsage }));
  }

  // ---- launches ----------------------------------------------------------------------------

  /** Records a downbeat (idempotent: a second call with the same id changes nothing). */
  createLaunch(l: { id: string; startedAt: string; actor: string; budget: LaunchRow["budget"] }): LaunchRow {
    this.db
      .prepare("INSERT OR IGNORE INTO launches (id, started_at, actor, budget) VALUES (?, ?, ?, ?)")
      .run(l.id, l.startedAt, l.actor, l.budget ? JSON.stringify(l.budget) : null);
    return this.launch(l.id) as LaunchRow;
  }

  launch(id: string): LaunchRow | null {
    const r = this.db.prepare("SELECT * FROM launches WHERE id = ?").get(id) as SqlRow | undefined;
    if (!r) return null;
    return {
      id: r.id as string,
      startedAt: r.started_at as string,
      actor: r.actor as string,
      budget: typeof r.budget === "string" ? (JSON.parse(r.budget) as LaunchRow["budget"]) : null,
      spentAt: (r.spent_at as string | null) ?? null,
      spentReason: (r.spent_reason as string | null) ?? null,
    };
  }

  /** The latest launch that had a budget, or null. */
  latestBudgetedLaunch(): LaunchRow | null {
    const r = this.db
      .prepare(
        "SELECT id FROM launches WHERE budget IS NOT NULL ORDER BY started_at DESC, rowid DESC LIMIT 1",
      )
      .get() as { id: string } | undefined;
    return r ? this.launch(r.id) : null;
  }

  /** The first supervisor to find the budget passed records it; later ones keep that reason. */
  markLaunchSpent(id: string, reason: string): void {
    this.db
      .prepare("UPDATE launches SET spent_at = ?, spent_reason = ? WHERE id = ? AND spent_at IS NULL")
      .run(new Date().toISOString(), reason, id);
  }

  /** The recorded usage of every run of a launch (by index: a launch's runs only). */
  launchUsages(id: string): Array<{ runId: string; usage: RunUsage }> {
    const rows = this.db
      .prepare("SELECT id, usage FROM runs WHERE launch_id = ? AND usage IS NOT NULL")
      .raw(true)
      .all(id) as Array<[string, string]>;
    return rows.map(([runId, usage]) => ({ runId, usage: JSON.parse(usage) as RunUsage }));
  }

  allRuns(): RunRow[] {
    return (this.db.prepare("SELECT * FROM runs ORDER BY started_at").all() as SqlRow[]).map(toRun);
  }

  // ---- notes -------------------------------------------------------------------------------

  addNote(
    taskId: string,
    runId: string | null,
    kind: NoteRow["kind"],
    text: string,
    author: string | null = null,
  ): void {
    this.tx(() => {
      this.db
        .prepare("INSERT INTO notes (at, task_id, run_id, kind, text, author) VALUES (?, ?, ?, ?, ?, ?)")
        .run(now(), taskId, runId, kind, text, author);
    });
  }

  notes(taskId: string): NoteRow[] {
    return (
      this.db.prepare("SELECT * FROM notes WHERE task_id = ? ORDER BY seq").all(taskId) as SqlRow[]
    ).map((r) => ({
      seq: r.seq as number,
      at: r.at as string,
      taskId: r.task_id as string,
      runId: (r.run_id as string | null) ?? null,
      kind: r.kind as NoteRow["kind"],
      text: r.text as string,
      author: (r.author as string | null) ?? null,
    }));
  }

  /** task id -> how many notes it has, in one query: a cheap change marker for whole-queue views. */
  noteCounts(): Map<string, number> {
    const rows = this.db.prepare("SELECT task_id, COUNT(*) AS n FROM notes GROUP BY task_id").all() as Array<{
      task_id: string;
      n: number;
    }>;
    return new Map(rows.map((r) => [r.task_id, r.n]));
  }

  /** SQLite's data_version: changes whenever another connection commits (one cheap read). */
  dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  // ---- verifications and artifacts ---------------------------------------------------------

  addVerification(
    v: Omit<VerificationRow, "seq" | "at" | "key" | "tail" | "log"> & {
      key?: string | null;
      tail?: string | null;
      log?: string | null;
    },
  ): void {
    this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO verifications (at, task_id, run_id, commit_sha, kind, command, passed, exit_code, ms, detail, key, tail, log)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          now(),
          v.taskId,
          v.runId,
          v.commit,
          v.kind,
          v.command,
          v.passed ? 1 : 0,
          v.exitCode,
          v.ms,
          v.detail,
          v.key ?? null,
          // Escaped (and bounded) on the way in too: whoever reads the row gets inert text.
          v.tail ? checkTail(v.tail) : null,
          v.log || null,
        );
    });
  }

  /**
   * The newest passing verification Ballador itself ran (clean or merge, never an agent's gate)
   * with this key, or null.
   */
  passedVerification(key: string): VerificationRow | null {
    const r = this.db
      .prepare(
        "SELECT * FROM verifications WHERE key = ? AND passed = 1 AND kind IN ('clean', 'merge') ORDER BY seq DESC LIMIT 1",
      )
      .get(key) as SqlRow | undefined;
    return r ? toVerification(r) : null;
  }

  /**
   * Tasks verified by nothing: the newest verification Ballador ran for them (clean, update or
   * merge; never an agent's gate) had no verify command. One grouped read for the whole queue.
   */
  unverifiedTaskIds(): Set<string> {
    const rows = this.db
      .prepare(
        `SELECT v.task_id AS id FROM verifications v
         JOIN (SELECT task_id, MAX(seq) AS seq FROM verifications
               WHERE kind IN ('clean', 'update', 'merge') GROUP BY task_id) l ON v.seq = l.seq
         WHERE v.command IS NULL`,
      )
      .all() as Array<{ id: string }>;
    return new Set(rows.map((r) => r.id));
  }

  verifications(taskId: string): VerificationRow[] {
    return (
      this.db.prepare("SELECT * FROM verifications WHERE task_id = ? ORDER BY seq").all(taskId) as SqlRow[]
    ).map(toVerification);
  }

  addArtifact(taskId: string, kind: string, value: string): void {
    this.tx(() => {
      this.db
        .prepare("INSERT INTO artifacts (at, task_id, kind, value) VALUES (?, ?, ?, ?)")
        .run(now(), taskId, kind, value);
    });
  }

  artifacts(taskId: string): ArtifactRow[] {
    return (
      this.db.prepare("SELECT * FROM artifacts WHERE task_id = ? ORDER BY seq").all(taskId) as SqlRow[]
    ).map((r) => ({
      seq: r.seq as number,
      at: r.at as string,
      taskId: r.task_id as string,
      kind: r.kind as string,
      value: r.value as string,
    }));
  }
}
