/** What a launch checks in a project whose runs use jj workspaces (vcs: jj). */
import { existsSync } from "node:fs";
import { ownGitStore } from "../adapters/git/index.js";
import { listWorkspaces } from "../adapters/jj/index.js";
import type { Project } from "../project/index.js";
import { JJ_WORKSPACE_PREFIX } from "./vcs-names.js";

/**
 * Why this project cannot run tasks in jj workspaces, or null. The run reads the task's change
 * through git (verification, brief, merge, `pr`): the colocated `.git`, or the store jj keeps in
 * `.jj/repo/store/git` when it is not colocated (findRoot points host-side git there). The ref
 * guard is the sandbox's copy of the operation heads, so a run needs a sandbox.
 */
export function jjLaunchProblem(project: Project): string | null {
  const root = project.paths.root;
  if (!existsSync(`${root}/.jj/repo`))
    return `vcs: jj, but ${root} has no .jj folder; run \`jj git init --colocate\` there, or set vcs: git in .ballador/config.yaml`;
  if (project.config.sandbox.mode === "none")
    return "vcs: jj needs a sandbox (sandbox.mode bwrap or auto): the run's copy of jj's operation heads is what keeps the agent's jj off the repository's bookmarks; set sandbox.mode in .ballador/config.yaml";
  return null;
}

/**
 * A run that would make a git worktree (vcs: git, or a runner's run) in a jj repository that is
 * not colocated: refused. Its branches would live in jj's own store, which the person's jj does
 * not import by itself, and nothing of the jj run's protection applies to a git run there.
 */
export function ownStoreGitRunProblem(project: Project, remote: boolean): string | null {
  const root = project.paths.root;
  if (ownGitStore(root) === null) return null;
  return remote
    ? `${root} is a jj repository that is not colocated; runs on runners make git worktrees and are not available there yet: run the task locally (no runner), or use a colocated repository (\`jj git init --colocate\` in a git checkout)`
    : `${root} is a jj repository that is not colocated; its runs must be jj workspaces: set vcs: jj (or remove vcs: git) in .ballador/config.yaml`;
}

/** An existing folder at a task's place must be that task's jj workspace (a resume, a retry). */
export async function existingJjWorkspaceProblem(
  project: Project,
  taskId: string,
  path: string,
): Promise<string | null> {
  const name = `${JJ_WORKSPACE_PREFIX}${taskId}`;
  if ((await listWorkspaces(project.paths.root)).has(name)) return null;
  return `${path} exists but is not the jj workspace ${name} of this repository; move it away or run ballador cleanup ${taskId}`;
}
