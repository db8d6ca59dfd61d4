/** Ending a run that cannot go on, shared by the roll-back of a launch and reconcile. */
import type { RunRow, TaskStore } from "../../adapters/store/index.js";

/**
 * Ends the run with `outcome`, and fails its task when the task still says it runs (running
 * or verifying): a task a person moved meanwhile (stopped, abandoned) keeps its state.
 */
export function endRunFailingTask(
  store: TaskStore,
  run: RunRow,
  end: { outcome: string; detail: string },
  failure: { cause: string; actor: string; reason: string },
): void {
  store.endRun(run.id, end);
  const task = store.task(run.taskId);
  if (task && (task.state === "running" || task.state === "verifying")) {
    store.transition(run.taskId, "failed", { ...failure, runId: run.id, detail: end.detail });
  }
}
