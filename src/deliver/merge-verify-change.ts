/**
 * `merge`'s check for a branch that changes how tests run (issue 28): the files that decide a
 * verdict were judged by the base's version, so the change itself was never verified; merging it
 * is the person's call, said with `--accept-verify-change`. One small function of its own, beside
 * merge's other acceptance checks.
 */
import { git } from "../adapters/git/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import type { Config } from "../config/schema.js";
import { refused } from "../project/index.js";
import { baseVerifyInputs, verifyInputChanges } from "../verify/index.js";

/** The verify inputs the branch changes since it left the base (what merging would bring in). */
export async function branchVerifyChanges(
  root: string,
  config: Config,
  task: Pick<TaskRow, "verify">,
  baseCommit: string,
  head: string,
): Promise<string[]> {
  const verify = task.verify || config.verify || "./verify.sh";
  const fork = (
    await git(["merge-base", "--end-of-options", baseCommit, head], { cwd: root, allowFail: true })
  ).stdout.trim();
  const from = fork || baseCommit;
  const inputs = await baseVerifyInputs(root, baseCommit, verify, config.verify_inputs, config.bootstrap);
  return (await verifyInputChanges(root, from, head, inputs)).labels;
}

/** Refuses (exit 4, code verify_change) unless the person accepted the change. */
export function checkVerifyChange(id: string, changed: readonly string[], accepted: boolean): void {
  if (changed.length === 0 || accepted) return;
  throw refused(
    "verify_change",
    `${id} changes how tests run (${changed.join(", ")}); it was verified with the base's version of ${changed.length === 1 ? "that file" : "those files"}, so the change itself is unverified. Read it (ballador review ${id}), then merge with --accept-verify-change to take it.`,
    changed.map((c) => `changes how tests run: ${c}`),
  );
}
