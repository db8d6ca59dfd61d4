/** What a launch checks in a project whose runs use jj workspaces (vcs: jj). */
import { existsSync } from "node:fs";
import { isColocated, listWorkspaces } from "../adapters/jj/index.js";
import type { Project } from "../project/index.js";
import { JJ_WORKSPACE_PREFIX } from "./vcs-names.js";

/**
 * Why this project cannot run tasks in jj workspaces, or null. The run reads the task's change
 * through git (verification, brief, merge, `pr`), so the repository must be colocated; and the
 * ref guard is the sandbox's copy of the operation heads, so a run needs a sandbox.
 */
export function jjLaunchProblem(project: Project): string | null {
  const root = project.paths.root;
  if (!existsSync(`${root}/.jj/repo`))
    return `vcs: jj, but ${root} has no .jj folder; run \`jj git init --colocate\` there, or set vcs: git in .ballador/config.yaml`;
  if (!isColocated(root))
    return `${root} is a jj repository not colocated with git; Ballador's jj runs need a colocated one (\`jj git init --colocate\`), or set vcs: git`;
  if (project.config.sandbox.mode === "none")
    return "vcs: jj needs a sandbox (sandbox.mode bwrap or auto): the run's copy of jj's operation heads is what keeps the agent's jj off the repository's bookmarks; set sandbox.mode in .ballador/config.yaml";
  return null;
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
