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
  const passed = names.filter((n) => secretMode(specs[n] as SecretSpec) !== "mask");
  // The person sends this runner the values (per run, over ssh): it treats them as a local run does.
  if (runner.secrets_at === "runner") {
    if (passed.length < names.length && config.sandbox.mode === "none")
      return `profile ${profile} masks secrets, which needs the sandbox (sandbox.mode is none)`;
    return null;
  }
  if (passed.length > 0)
    return `profile ${profile} passes ${passed.join(", ")} to the agent as ${passed.length > 1 ? "they are" : "it is"}, and a secret's value goes to a runner only when your own config opts that runner in (secrets_at: runner); mask it (give its hosts in agents.profiles.${profile}.secrets) or run it --on local`;
  if (config.sandbox.mode === "none")
    return `profile ${profile} masks secrets, which needs the sandbox (sandbox.mode is none)`;
  return null;
}
