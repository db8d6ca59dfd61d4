/** Removing a task's jj workspace (vcs: jj), and the workspaces no task accounts for after a crash. */
import { lstatSync, rmSync } from "node:fs";
import { forgetWorkspace, reconcileWorkspaces } from "../../adapters/jj/index.js";
import type { Project } from "../../project/index.js";
import { worktreePathFor } from "../../project/index.js";
import { isJjProject, JJ_WORKSPACE_PREFIX, jjOpFile } from "../vcs-names.js";

/**
 * Forgets the task's workspace and removes its folder (at the place Ballador computed: a link
 * there goes as a link). Idempotent. Returns whether a workspace was forgotten.
 */
export async function removeTaskWorkspace(project: Project, taskId: string, path: string): Promise<boolean> {
  const forgotten = await forgetWorkspace(project.paths.root, `${JJ_WORKSPACE_PREFIX}${taskId}`);
  try {
    lstatSync(path);
    rmSync(path, { recursive: true, force: true });
  } catch {
    // already gone
  }
  rmSync(jjOpFile(project, taskId), { force: true });
  return forgotten;
}

/**
 * After a kill -9: every `bl-` workspace whose task is unknown, merged or abandoned, or whose
 * folder is gone, and that no live run holds, is forgotten (its folder removed). A task in review
 * or failed keeps its workspace, as a git run keeps its worktree. Returns what it did, said.
 */
export async function reconcileJjWorkspaces(project: Project): Promise<string[]> {
  if (!isJjProject(project)) return [];
  const store = project.store();
  const live = new Set(store.liveRuns().map((r) => `${JJ_WORKSPACE_PREFIX}${r.taskId}`));
  for (const t of store.tasks()) {
    if (t.state === "merged" || t.state === "abandoned") continue;
    const path = worktreePathFor(project.config, project.paths.root, t.id);
    try {
      lstatSync(path);
      live.add(`${JJ_WORKSPACE_PREFIX}${t.id}`);
    } catch {
      // folder gone: its workspace record goes too
    }
  }
  let gone: string[];
  try {
    gone = await reconcileWorkspaces(project.paths.root, {
      prefix: JJ_WORKSPACE_PREFIX,
      live,
      pathOf: (name) => {
        try {
          return worktreePathFor(project.config, project.paths.root, name.slice(JJ_WORKSPACE_PREFIX.length));
        } catch {
          return ""; // not a task id: no folder of Ballador's to remove
        }
      },
    });
  } catch (err) {
    // jj missing or failing: the rest of reconcile still runs; the next command tries again.
    return [
      `jj workspaces not reconciled: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
    ];
  }
  return gone.map((name) => `jj workspace ${name}: no task holds it; forgotten`);
}
