/**
 * Runs (one attempt of a task in its worktree and sandbox) and launches (the downbeat that
 * started them, with its budget).
 */
import type { RunUsage } from "../../core/usage.js";
import type { SqlRow } from "./connection.js";
import { toLaunch, toRun } from "./rows.js";
import { TaskWrites } from "./task-writes.js";
import type { LaunchRow, RunRow } from "./types.js";

export class RunLedger extends TaskWrites {
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
      | "runner"
    > & { stage?: string | null; launchId?: string | null; runner?: string | null },
  ): RunRow {
    this.db
      .prepare(
        `INSERT INTO runs (id, task_id, attempt, profile, status, worktree, branch, base, session, run_dir, supervisor_pid,
           created_worktree, created_branch, started_at, stage, launch_id, runner)
         VALUES (@id, @taskId, @attempt, @profile, @status, @worktree, @branch, @base, @session, @runDir, @supervisorPid,
           @createdWorktree, @createdBranch, @startedAt, @stage, @launchId, @runner)`,
      )
      .run({
        ...run,
        stage: run.stage ?? null,
        launchId: run.launchId ?? null,
        runner: run.runner ?? null,
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

  /**
   * The runner of each task whose newest run was on one (spec 0013). SQLite's bare columns take
   * the row of MAX(rowid): the newest run per task, in one pass over the runs.
   */
  lastRunners(): Map<string, string> {
    const rows = this.db
      .prepare("SELECT task_id, runner, MAX(rowid) FROM runs GROUP BY task_id")
      .raw(true)
      .all() as Array<[string, string | null, number]>;
    const out = new Map<string, string>();
    for (const [taskId, runner] of rows) if (runner) out.set(taskId, runner);
    return out;
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
    return r ? toLaunch(r) : null;
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
}
