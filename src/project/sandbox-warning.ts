/**
 * The loud line for a sandbox a person switched mostly off on purpose
 * (`sandbox.i_know_this_disables_the_sandbox: true` with allow_write covering /, HOME or a
 * credentials folder, or allow_hosts "*"): status, doctor and the dashboard show it the way
 * they show `mode: none`. In project/, which every stage shares: status reads it without loading
 * run/.
 */
import { homedir } from "node:os";
import type { Config } from "../config/schema.js";
import { sandboxWeakenings, weakenedBanner } from "../core/sandbox-weakening.js";

export function sandboxWeakenedLine(config: Config, repoRoot: string): string | null {
  if (config.sandbox.mode === "none" || config.sandbox.i_know_this_disables_the_sandbox !== true) return null;
  const found = sandboxWeakenings({
    sandbox: config.sandbox,
    profiles: config.agents.profiles,
    home: process.env.HOME ?? homedir(),
    repoRoot,
  });
  return found.length > 0 ? weakenedBanner(found) : null;
}
