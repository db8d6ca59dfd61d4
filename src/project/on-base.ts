/**
 * What a task takes from the project's base, never from its branch: its spec, and the command
 * that judges it.
 */
import { blobAt, git } from "../adapters/git/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import type { Project } from "./open.js";

/**
 * The verify command for a task: the part's override, the config's, or ./verify.sh when the
 * base has one. Decided by the base, never the branch: deleting verify.sh on a branch must not
 * switch verification off for its next attempt.
 */
export async function verifyCommandFor(
  project: Project,
  task: Pick<TaskRow, "verify">,
): Promise<string | null> {
  if (task.verify) return task.verify;
  if (project.config.verify) return project.config.verify;
  const r = await git(["cat-file", "-e", `${project.config.base}:verify.sh`], {
    cwd: project.paths.root,
    allowFail: true,
  });
  return r.code === 0 ? "./verify.sh" : null;
}

/** The largest spec an agent's prompt carries. */
export const SPEC_MAX_BYTES = 256 * 1024;
/** The largest part file launch expects to find committed on the base. */
export const PART_MAX_BYTES = 1024 * 1024;

/** A part's spec as committed on the project's base (a regular file), or why it is not there. */
export async function specOnBase(
  project: Project,
  spec: string,
): Promise<{ text: string } | { missing: string }> {
  return blobAt(project.paths.root, project.config.base, spec, SPEC_MAX_BYTES);
}
