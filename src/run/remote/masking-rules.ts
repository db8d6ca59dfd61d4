/** Which secrets may go with a run to a runner (spec 0013): names and modes only, never a value. */
import type { Config } from "../../config/schema.js";
import { type SecretSpec, secretMode } from "../../core/secrets.js";
import type { RunnerEntry } from "./ssh.js";

/** Why a profile's secrets cannot go with a run to this runner, or null when they can (names only). */
export function remoteSecretsProblem(
  config: Config,
  runner: RunnerEntry,
  profile: string,
  specs: Readonly<Record<string, SecretSpec>>,
): string | null {
  const names = Object.keys(specs);
  if (names.length === 0) return null;
  if (runner.secrets_at === "runner")
    return `runner ${runner.name} has secrets_at: runner (the runner's own secret store), which is designed but not built yet (spec 0013); remove it (the default, home, keeps profile ${profile}'s secrets ${names.join(", ")} at home behind an SSH tunnel), or run it --on local`;
  const passed = names.filter((n) => secretMode(specs[n] as SecretSpec) !== "mask");
  if (passed.length > 0)
    return `profile ${profile} passes ${passed.join(", ")} to the agent as ${passed.length > 1 ? "they are" : "it is"}, and a secret's value never goes to a runner; mask it (give its hosts in agents.profiles.${profile}.secrets) or run it --on local`;
  if (config.sandbox.mode === "none")
    return `profile ${profile} masks secrets, which needs the sandbox (sandbox.mode is none)`;
  return null;
}
