/**
 * Builders for the `agents:` part of a test project's config, so a test says which profile it
 * runs and not the nesting around it.
 *
 *   config: { ...agentProfile("deployer", { preset: "scripted", secrets }) }
 *   config: { max_attempts: 2, ...presetProfile("claude-headless", CLAUDE_ENV) }
 *   config: maskedSecretConfig({ API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] } })
 */

export type Profile = Record<string, unknown>;
/** A profile's `secrets:` entry (env/file/command, hosts, placement, mode). */
export type SecretSpec = Record<string, unknown>;

/** `agents:` with these profiles; the default is `defaultName` (the first profile unless named). */
export function agentProfiles(
  profiles: Record<string, Profile>,
  defaultName = Object.keys(profiles)[0] ?? "",
): { agents: { default: string; profiles: Record<string, Profile> } } {
  return { agents: { default: defaultName, profiles } };
}

/** `agents:` with one profile, the default. */
export function agentProfile(name: string, profile: Profile): ReturnType<typeof agentProfiles> {
  return agentProfiles({ [name]: profile });
}

/** One profile named after its preset, passing the launcher's variables `env` (names). */
export function presetProfile(preset: string, env: readonly string[]): ReturnType<typeof agentProfiles> {
  return agentProfile(preset, { preset, env: [...env] });
}

/** The variables a Claude Code profile passes to reach a (fake) Messages API. */
export const CLAUDE_ENV = ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"] as const;

/**
 * The masked-secret test config: one default profile, `deployer` (the scripted agent), holding
 * `secrets`; `more` is laid over it (e.g. `sandbox`).
 */
export function maskedSecretConfig(
  secrets: Record<string, SecretSpec>,
  more: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...more, ...agentProfile("deployer", { preset: "scripted", secrets }) };
}
