/**
 * Progress of a long step (a verify, a conductor's attempt, agents provisioning): what to say and
 * when. Pure: the CLI face decides where it goes (a spinner on a terminal, lines in a pipe,
 * NDJSON with --json); use cases only start, update and end steps.
 */

/** One step in progress: its message can change (attempt 2/3, task 4 of 12); end it once. */
export interface ProgressStep {
  update(message: string): void;
  end(): void;
}

/** Starts a step: `step` is a stable name for scripts (merge.verify), `message` says it in words. */
export type Progress = (step: string, message: string) => ProgressStep;

export const silentProgress: Progress = () => ({ update() {}, end() {} });

/** Runs `fn` as a step, ended however `fn` ends. */
export async function during<T>(
  progress: Progress | undefined,
  step: string,
  message: string,
  fn: (step: ProgressStep) => Promise<T>,
): Promise<T> {
  const s = (progress ?? silentProgress)(step, message);
  try {
    return await fn(s);
  } finally {
    s.end();
  }
}

/** Steps shorter than this print nothing: a fast command stays quiet. */
export const PROGRESS_QUIET_MS = 2000;
/** In a pipe (and as NDJSON), a line when the step passes the quiet time, then this often. */
export const PROGRESS_PIPE_EVERY_MS = 10_000;

export type ProgressMode = "tty" | "pipe" | "json";

/** Elapsed time as people read it: "12 s", "3 min 05 s". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** "verifying the merged result: npm test (12 s)". */
export function progressText(message: string, elapsedMs: number): string {
  return `${message} (${formatElapsed(elapsedMs)})`;
}

/** The NDJSON object for a step (stderr with --json); `done` once it ended after being shown. */
export function progressObject(
  step: string,
  message: string,
  elapsedMs: number,
  done = false,
): { progress: string; message: string; elapsedMs: number; done?: true } {
  return {
    progress: step,
    message,
    elapsedMs: Math.round(elapsedMs),
    ...(done ? { done: true as const } : {}),
  };
}

/**
 * Whether to show the step now: never before the quiet time; on a terminal at every redraw; in a
 * pipe or as NDJSON once past the quiet time, then every PROGRESS_PIPE_EVERY_MS.
 */
export function progressDue(mode: ProgressMode, elapsedMs: number, lastShownMs: number | null): boolean {
  if (elapsedMs < PROGRESS_QUIET_MS) return false;
  if (mode === "tty" || lastShownMs === null) return true;
  return elapsedMs - lastShownMs >= PROGRESS_PIPE_EVERY_MS;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** The spinner's frame at a moment (one frame per 100 ms). */
export function spinnerFrame(elapsedMs: number): string {
  return FRAMES[Math.floor(elapsedMs / 100) % FRAMES.length] as string;
}
