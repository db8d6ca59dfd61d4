/** Which secrets may go with a run to a runner (spec 0013): names and modes only, never a value. */
import type { ResolvedProfile } from "../../adapters/agents/profiles.js";
import type { Config } from "../../config/schema.js";
import { hostCovered, type SecretSpec, secretMode } from "../../core/secrets.js";
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

/**
 * Throws (names only) when a profile's secrets cannot go with a run to this runner, or when a
 * secret names a host the run's sandbox does not reach: what home checks before it resolves a
 * value, whether the values stay home (masked) or go to the runner.
 */
export function checkRemoteSecrets(config: Config, runner: RunnerEntry, profile: ResolvedProfile): void {
  const problem = remoteSecretsProblem(config, runner, profile.name, profile.secrets);
  if (problem) throw new Error(problem);
  const allowed = [...config.sandbox.allow_hosts, ...profile.allowHosts];
  for (const [name, spec] of Object.entries(profile.secrets)) {
    const outside = (spec.hosts ?? []).find((h) => !hostCovered(h, allowed));
    if (outside !== undefined)
      throw new Error(
        `secret ${name}: its host "${outside}" is not one the sandbox reaches; add it to sandbox.allow_hosts or the profile's allow_hosts in .ballador/config.yaml, or remove it from the secret's hosts`,
      );
  }
}
