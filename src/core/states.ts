/**
 * The task state machine. Pure: every state change in Ballador is checked here first,
 * so an illegal move is an error wherever it comes from (CLI, supervisor, MCP, dashboard).
 */

export const TASK_STATES = [
  "queued",
  "ready",
  "running",
  "verifying",
  "review",
  "merged",
  "blocked",
  "failed",
  "stopped",
  "abandoned",
] as const;

export type TaskState = (typeof TASK_STATES)[number];

/** Why a task failed: the brief names these four. */
export const FAILURE_REASONS = ["launch", "agent", "verify", "timeout"] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

const TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  // queued <-> ready follows dependencies; a ready task falls back when a dependency regresses.
  queued: ["ready", "abandoned"],
  ready: ["queued", "running", "failed", "abandoned"],
  running: ["verifying", "blocked", "failed", "stopped", "abandoned"],
  // verifying -> running: verification failed and the agent gets another attempt.
  verifying: ["review", "running", "failed", "stopped", "abandoned"],
  // review -> running: changes requested; review -> ready: retried from scratch.
  review: ["merged", "running", "ready", "abandoned"],
  merged: [],
  blocked: ["running", "ready", "abandoned"],
  failed: ["running", "ready", "abandoned"],
  stopped: ["running", "ready", "abandoned"],
  abandoned: [],
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly taskId: string,
    readonly from: TaskState,
    readonly to: TaskState,
  ) {
    const allowed = TRANSITIONS[from];
    super(
      `task ${taskId}: cannot go from ${from} to ${to}` +
        (allowed.length > 0 ? ` (from ${from} it may go to: ${allowed.join(", ")})` : ` (${from} is final)`),
    );
    this.name = "IllegalTransitionError";
  }
}

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}

export function canTransition(from: TaskState, to: TaskState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function allowedTransitions(from: TaskState): readonly TaskState[] {
  return TRANSITIONS[from];
}

export function assertTransition(taskId: string, from: TaskState, to: TaskState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(taskId, from, to);
}

/** States in which a task has (or may have) a live agent process and a worktree in use. */
export const ACTIVE_STATES: readonly TaskState[] = ["running", "verifying"];
/** States that end a task's story: nothing more will happen unless a person acts. */
export const FINAL_STATES: readonly TaskState[] = ["merged", "abandoned"];
/** States whose part may be replaced by re-queueing: nothing has started yet. */
export const EDITABLE_STATES: readonly TaskState[] = ["queued", "ready"];

/**
 * A dependency satisfies its dependents once merged, or once in review when stacking is on
 * (dependents then start from the dependency's branch).
 */
export function satisfiesDependency(state: TaskState, stack: boolean): boolean {
  return state === "merged" || (stack && state === "review");
}
