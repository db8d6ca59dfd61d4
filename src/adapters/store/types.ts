import type { TaskState } from "../../core/states.js";
import type { RunUsage } from "../../core/usage.js";

export interface TaskRow {
  id: string;
  seq: number;
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
  state: TaskState;
  reason: string | null;
  attempt: number;
  branch: string | null;
  createdAt: string;
  updatedAt: string;
  stateChangedAt: string;
  /** The part's pipeline as written (a name or roles); null: none named (the config's default applies). */
  pipeline: string | string[] | null;
  /** The part's pause_after; null: the pipeline's own. */
  pauseAfter: string[] | null;
  /** The index of the stage the task is at (0 without a pipeline). */
  stage: number;
  /** The branch commit the current stage started from (null until it starts). */
  stageStart: string | null;
  /** The part's runner: (spec 0013): a runner's name, any or local; null: not named (local). */
  runner: string | null;
}

/** What `status` reads of each task (TaskReads.statusTasks). */
export type StatusTaskRow = Pick<
  TaskRow,
  | "id"
  | "title"
  | "state"
  | "reason"
  | "agent"
  | "attempt"
  | "stateChangedAt"
  | "branch"
  | "verify"
  | "pipeline"
  | "pauseAfter"
  | "stage"
>;

/** A stage's gate result (issue 16): observed by Ballador on the branch, never the agent's claim. */
export interface GateRow {
  seq: number;
  at: string;
  taskId: string;
  runId: string | null;
  stage: number;
  role: string;
  passed: boolean;
  startCommit: string | null;
  commit: string | null;
  summary: string;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
  /** The test author's files as its passing gate saw them (blob ids; null: deleted). */
  files: Array<{ path: string; blob: string | null }>;
}

export interface EventRow {
  seq: number;
  at: string;
  taskId: string;
  from: TaskState | null;
  to: TaskState;
  cause: string;
  actor: string;
  runId: string | null;
  detail: string | null;
}

export type RunStatus = "provisioning" | "running" | "ended";

export interface RunRow {
  id: string;
  taskId: string;
  attempt: number;
  profile: string;
  status: RunStatus;
  worktree: string;
  branch: string;
  base: string;
  session: string;
  runDir: string;
  supervisorPid: number | null;
  agentPid: number | null;
  createdWorktree: boolean;
  createdBranch: boolean;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  outcome: string | null;
  detail: string | null;
  /** While provisioning: the step it is at (worktree, copy, bootstrap, before_launch). */
  phase: string | null;
  /** When the agent itself started, after provisioning. */
  agentStartedAt: string | null;
  /** Needs you: since when the agent waits for a person (null: it is working or ended). */
  waitingSince: string | null;
  /** What it asked, as the agent or its terminal said it: hostile text, escape it. */
  waitingFor: string | null;
  /** When Ballador typed the unattended nudge into its terminal. */
  nudgedAt: string | null;
  /** Tokens per model from the agent's own session records (a claim), or null. */
  usage: RunUsage | null;
  /** The pipeline stage (its role) this run served; null without a pipeline. */
  stage: string | null;
  /** The launch (downbeat) that started it, directly or through the supervisor's retries. */
  launchId: string | null;
  /** The runner (another machine, spec 0013) the run lives on; null: this machine. */
  runner: string | null;
}

/** One downbeat: a `launch`, or a `launch --watch` with all its waves. */
export interface LaunchRow {
  id: string;
  startedAt: string;
  actor: string;
  /** What the whole launch may spend (tokens and/or USD), or null: no launch budget. */
  budget: { tokens?: number; usd?: number } | null;
  /** When a supervisor found the budget spent, and why; the launch starts nothing after. */
  spentAt: string | null;
  spentReason: string | null;
}

export interface NoteRow {
  seq: number;
  at: string;
  taskId: string;
  runId: string | null;
  /** person: written by a person (the dashboard), never by an agent; request: a person's requested changes (request-changes, retry --message), carried into the next prompt; pr-review: review comments of the task's pull request that the person sent back (feedback --from-pr), quoted in the next prompt; update: Ballador's instructions to bring the base into the branch (update), carried into the next prompt. */
  kind: "note" | "summary" | "blocked" | "system" | "person" | "request" | "pr-review" | "update" | "typed";
  text: string;
  /** Who wrote a person's note: the dashboard session's name (null before issue 29, and for agents). */
  author: string | null;
}

export interface VerificationRow {
  seq: number;
  at: string;
  taskId: string;
  runId: string | null;
  commit: string | null;
  /** gate: run by `ballador done` inside the agent's run; clean: Ballador's own, on a fresh checkout; merge: on the merged result; update: on the branch with the base merged in (update). */
  kind: "gate" | "clean" | "merge" | "update" | "runner";
  command: string | null;
  passed: boolean;
  exitCode: number | null;
  ms: number;
  detail: string | null;
  /** Ballador's own verifications: what was verified (tree, command, the base's verify files). */
  key: string | null;
  /** A failed verification's output, its end only: bounded and escaped when kept (checkTail); the agent's code wrote it. */
  tail: string | null;
  /** Path of the verification's whole log (in its run folder), when one was written. */
  log: string | null;
}

export interface ArtifactRow {
  seq: number;
  at: string;
  taskId: string;
  kind: string;
  value: string;
}

/** A running dashboard server (migration 9): its token only as a hash. */
export interface DashboardRow {
  id: string;
  origin: string;
  pid: number;
  startedAt: string;
  idleMs: number;
  tokenHash: string;
}

/** A dashboard's browser session (migration 9). */
export interface DashboardSessionRow {
  key: string;
  id: string;
  dashboard: string;
  csrf: string;
  name: string | null;
  createdAt: string;
  lastSeen: string;
  remote: string;
}
