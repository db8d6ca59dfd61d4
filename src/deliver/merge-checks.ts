/**
 * What `ballador merge` asks the person to accept before it moves the base: each a small check
 * of its own with its own flag (--unverified here; the verify-change and part-verify ones beside).
 */
import type { TaskRow } from "../adapters/store/index.js";
import type { Project } from "../project/index.js";
import { refused, verifyCommandFor } from "../project/index.js";

/**
 * A task nothing verifies (no verify command: not the part's, not the config's, no verify.sh on
 * the base) merges only with --unverified: the person says they checked it themselves.
 * Returns the verify command the merge will use.
 */
export async function requireVerifiedOrConsent(
  project: Project,
  task: Pick<TaskRow, "id" | "verify">,
  consent: { unverified?: boolean },
): Promise<string | null> {
  const verify = await verifyCommandFor(project, task);
  if (verify === null && consent.unverified !== true)
    throw refused(
      "unverified",
      `task ${task.id} is unverified: no verify command is configured, so nothing has checked its work and nothing would check the merged result. Set verify: in .ballador/config.yaml (ballador doctor suggests one; the merge then verifies the merged result), or merge it as it is: ballador merge ${task.id} --unverified`,
    );
  return verify;
}
