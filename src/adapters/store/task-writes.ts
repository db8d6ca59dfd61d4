/**
 * Writing the queue: parts queued or re-queued, state moves and the readiness of dependents.
 * Each change is one immediate transaction that checks the move with the pure state machine,
 * writes the task, appends the event and refreshes the readiness of its dependents.
 */
import { assertTransition, EDITABLE_STATES, satisfiesDependency, type TaskState } from "../../core/states.js";
import { now, type SqlRow, StoreError } from "./connection.js";
import { TaskReads } from "./task-reads.js";
import type { TaskRow } from "./types.js";

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

/** A part as queued: the task's own fields from its part file (pipeline and pause_after optional). */
export interface QueuedPart
  extends Pick<
    TaskRow,
    | "id"
    | "title"
    | "spec"
    | "agent"
    | "role"
    | "scope"
    | "needs"
    | "verify"
    | "priority"
    | "body"
    | "partPath"
    | "partHash"
  > {
  pipeline?: TaskRow["pipeline"];
  runner?: TaskRow["runner"];
  pauseAfter?: TaskRow["pauseAfter"];
}

export class TaskWrites extends TaskReads {
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
        `INSERT INTO tasks (id, seq, title, spec, agent, role, scope, needs, verify, priority, body, part_path, part_hash, pipeline, pause_after, runner, state, created_at, updated_at, state_changed_at)
         VALUES (@id, @seq, @title, @spec, @agent, @role, @scope, @needs, @verify, @priority, @body, @partPath, @partHash, @pipeline, @pauseAfter, @runner, 'queued', @at, @at, @at)`,
      );
      const update = this.db.prepare(
        `UPDATE tasks SET title=@title, spec=@spec, agent=@agent, role=@role, scope=@scope, needs=@needs, verify=@verify,
           priority=@priority, body=@body, part_path=@partPath, part_hash=@partHash, pipeline=@pipeline, pause_after=@pauseAfter, runner=@runner,
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
          runner: p.runner ?? null,
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
      this.afterTransition(id, to, opts);
      this.settleReadiness(this.dependentsOf(id), "ballador");
      return this.task(id) as TaskRow;
    });
  }

  /** What a later layer records in the transaction of a state change (the tracker outbox). */
  protected afterTransition(_id: string, _to: TaskState, _opts: TransitionOptions): void {}

  /** Moves a task to a pipeline stage (and the commit it starts from); no state change. */
  setStage(id: string, stage: number, start: string | null): void {
    this.tx(() => {
      this.db
        .prepare("UPDATE tasks SET stage = ?, stage_start = ?, updated_at = ? WHERE id = ?")
        .run(stage, start, now(), id);
    });
  }
}
