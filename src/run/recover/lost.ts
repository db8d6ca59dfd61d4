/** A run whose tmux session died without its supervisor recording an end (reconcile.ts). */
import { existsSync } from "node:fs";
import type { RunRow } from "../../adapters/store/index.js";
import type { Project } from "../../project/index.js";
import { takeInRunWork } from "../run-steps.js";
import { endRunFailingTask } from "./end-run.js";

export async function markLost(project: Project, run: RunRow): Promise<void> {
  const store = project.store();
  const worktreeNote = existsSync(run.worktree) ? `worktree kept at ${run.worktree}` : "worktree is gone";
  const detail = `the tmux session died without the supervisor recording an end; ${worktreeNote}`;
  // Its commits are in the run's own object folder: the branch must not point at missing objects.
  for (const v of await takeInRunWork(project.paths.root, run.runDir, run.id).catch(() => [])) {
    store.addNote(run.taskId, run.id, "system", `sandbox: ${v}`);
  }
  endRunFailingTask(
    store,
    run,
    { outcome: "session-lost", detail },
    { cause: "reconcile: session died", actor: "reconcile", reason: "agent: session died without a report" },
  );
}
