/**
 * Reading the task store's rows into their typed shapes (types.ts): SQLite's snake_case columns,
 * 0/1 booleans and JSON text become camelCase fields, booleans, arrays and objects.
 */
import type { TaskState } from "../../core/states.js";
import type { RunUsage } from "../../core/usage.js";
import type { SqlRow } from "./connection.js";
import type {
  ArtifactRow,
  DashboardRow,
  DashboardSessionRow,
  EventRow,
  GateRow,
  LaunchRow,
  NoteRow,
  RunRow,
  RunStatus,
  StatusTaskRow,
  TaskRow,
  VerificationRow,
} from "./types.js";

export const LEAN_COLUMNS =
  "id, seq, title, spec, agent, role, needs, verify, priority, part_path, part_hash, state, reason, attempt, branch, created_at, updated_at, state_changed_at, pipeline, pause_after, stage, stage_start, runner";

/**
 * A lean row read as an array in LEAN_COLUMNS order (better-sqlite3's raw mode): at 10,000
 * tasks, making one keyed object per row and then another was most of a whole-queue read.
 */
export function toLeanTask(r: unknown[]): TaskRow {
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
    runner: (r[22] as string | null) ?? null,
  };
}

/** A row of TaskReads.statusTasks, read as an array in its column order. */
export function toStatusTask(r: unknown[]): StatusTaskRow {
  return {
    id: r[0] as string,
    title: r[1] as string,
    state: r[2] as TaskState,
    reason: (r[3] as string | null) ?? null,
    agent: (r[4] as string | null) ?? null,
    attempt: r[5] as number,
    stateChangedAt: r[6] as string,
    branch: (r[7] as string | null) ?? null,
    verify: (r[8] as string | null) ?? null,
    pipeline: r[9] ? (JSON.parse(r[9] as string) as string | string[]) : null,
    pauseAfter: r[10] ? (JSON.parse(r[10] as string) as string[]) : null,
    stage: (r[11] as number | null) ?? 0,
  };
}

/** The columns every task log (events, gates, notes, verifications, artifacts) starts with. */
function logHead(r: SqlRow): { seq: number; at: string; taskId: string } {
  return { seq: r.seq as number, at: r.at as string, taskId: r.task_id as string };
}

export function toVerification(r: SqlRow): VerificationRow {
  return {
    ...logHead(r),
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

export function toTask(r: SqlRow): TaskRow {
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
    runner: (r.runner as string | null) ?? null,
  };
}

export function toRun(r: SqlRow): RunRow {
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
    runner: (r.runner as string | null) ?? null,
  };
}

export function toEvent(r: SqlRow): EventRow {
  return {
    ...logHead(r),
    from: (r.from_state as TaskState | null) ?? null,
    to: r.to_state as TaskState,
    cause: r.cause as string,
    actor: r.actor as string,
    runId: (r.run_id as string | null) ?? null,
    detail: (r.detail as string | null) ?? null,
  };
}

export function toGate(r: SqlRow): GateRow {
  return {
    ...logHead(r),
    runId: (r.run_id as string | null) ?? null,
    stage: r.stage as number,
    role: r.role as string,
    passed: r.passed === 1,
    startCommit: (r.start_commit as string | null) ?? null,
    commit: (r.commit_sha as string | null) ?? null,
    summary: r.summary as string,
    checks: JSON.parse(r.checks as string) as GateRow["checks"],
    files: JSON.parse(r.files as string) as GateRow["files"],
  };
}

export function toNote(r: SqlRow): NoteRow {
  return {
    ...logHead(r),
    runId: (r.run_id as string | null) ?? null,
    kind: r.kind as NoteRow["kind"],
    text: r.text as string,
    author: (r.author as string | null) ?? null,
  };
}

export function toArtifact(r: SqlRow): ArtifactRow {
  return { ...logHead(r), kind: r.kind as string, value: r.value as string };
}

export function toLaunch(r: SqlRow): LaunchRow {
  return {
    id: r.id as string,
    startedAt: r.started_at as string,
    actor: r.actor as string,
    budget: typeof r.budget === "string" ? (JSON.parse(r.budget) as LaunchRow["budget"]) : null,
    spentAt: (r.spent_at as string | null) ?? null,
    spentReason: (r.spent_reason as string | null) ?? null,
  };
}

export function toDashboard(r: SqlRow): DashboardRow {
  return {
    id: r.id as string,
    origin: r.origin as string,
    pid: r.pid as number,
    startedAt: r.started_at as string,
    idleMs: r.idle_ms as number,
    tokenHash: r.token_hash as string,
  };
}

export function toSession(r: SqlRow): DashboardSessionRow {
  return {
    key: r.key as string,
    id: r.id as string,
    dashboard: r.dashboard as string,
    csrf: r.csrf as string,
    name: (r.name as string | null) ?? null,
    createdAt: r.created_at as string,
    lastSeen: r.last_seen as string,
    remote: r.remote as string,
  };
}
