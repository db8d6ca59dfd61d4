/**
 * `merge`'s check of a part's own verify command (issue 28): a task judged by a command that is
 * not the project's merges only when the person accepts that with `--accept-part-verify`.
 */
import type { TaskRow } from "../adapters/store/index.js";
import { type PartVerifyOverride, partVerifyMergeRefusal, partVerifyOverride } from "../core/part-verify.js";
import type { Project } from "../project/index.js";
import { refused } from "../project/index.js";

/** Throws (exit 4, code part_verify) unless accepted; returns the override merged with, or null. */
export function checkPartVerify(
  project: Project,
  task: Pick<TaskRow, "id" | "verify">,
  accepted: boolean,
): PartVerifyOverride | null {
  const refusal = partVerifyMergeRefusal(task, project.config.verify, accepted);
  if (refusal) throw refused("part_verify", refusal.message, refusal.details);
  return partVerifyOverride(task.verify, project.config.verify);
}
