/**
 * The states Ballador writes back to a tracker, apart from the rest of task sources
 * (core/sources.ts) so that the task store, loaded by every command, does not load the yaml
 * and zod that reading issues needs (docs/specs/0006-performance.md).
 */

/** The states Ballador writes back to a tracker: the claim, then its own task states. */
export const WRITE_STATES = [
  "claimed",
  "running",
  "review",
  "merged",
  "blocked",
  "failed",
  "abandoned",
] as const;
export type WriteState = (typeof WRITE_STATES)[number];

/**
 * The write a task's new state calls for (verifying is still "in progress" to the tracker). The
 * store queues it in the transaction of the state change, keyed by task and state.
 */
export const STATE_WRITE: Readonly<Partial<Record<string, WriteState>>> = {
  running: "running",
  verifying: "running",
  review: "review",
  merged: "merged",
  blocked: "blocked",
  failed: "failed",
  abandoned: "abandoned",
};
