/**
 * Which tool makes a project's isolated trees, and the names a jj run's workspace and operation
 * file go by. Apart from sandboxing.ts so that reconcile (loaded by `status`) does not load the
 * sandbox policy and the agents' homes with it (docs/specs/0006-performance.md).
 */
import { detectVcs, taskOpFile, type Vcs } from "../adapters/jj/index.js";
import type { Project } from "../project/index.js";

/** Which tool makes the project's isolated trees: `vcs` in the config, else what the repository uses. */
export function projectVcs(project: Project): Vcs {
  return project.config.vcs ?? detectVcs(project.paths.root);
}

export function isJjProject(project: Project): boolean {
  return projectVcs(project) === "jj";
}

/** The jj workspace's name for a task (jj names `bl-<task>`; Ballador's prefix for reconcile). */
export const JJ_WORKSPACE_PREFIX = "bl-";

/** Host-only: the last operation of a task's jj chain that the host checked (see run-jj.ts). */
export function jjOpFile(project: Project, taskId: string): string {
  return taskOpFile(project.paths.stateDir, taskId);
}
