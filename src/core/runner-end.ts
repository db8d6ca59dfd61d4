/**
 * The end a runner's serve sends when it cannot start or serve a run (spec 0013): the failure's
 * first line, bounded, as the `end` event home's relay applies. One shape for `__runner-serve run`
 * and for the launch's hub.
 */
export function runnerErrorEnd(err: unknown): {
  t: "end";
  state: "failed";
  reason: string;
  outcome: "runner-error";
  commit: null;
} {
  const message =
    (err instanceof Error ? err.message : String(err)).split("\n")[0]?.slice(0, 3000) || "error";
  return {
    t: "end",
    state: "failed",
    reason: `launch: on the runner: ${message}`,
    outcome: "runner-error",
    commit: null,
  };
}
