/** Resolving a configured profile (preset + overrides) into the one shape the runtime uses. */
import { existsSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { Config, ProfileConfig } from "../../config/schema.js";
import { parseDuration } from "../../core/duration.js";
import { DEFAULT_WAIT_PATTERN } from "../../core/needs-you.js";
import type { SecretSpec } from "../../core/secrets.js";
import { PACKAGE_ROOT } from "../../package-root.js";
import { PRESETS, type PromptDelivery, presetOfProgram } from "./presets.js";

export interface ResolvedProfile {
  name: string;
  preset: string | null;
  command: string[];
  prompt: PromptDelivery;
  env: string[];
  secrets: Record<string, SecretSpec>;
  allowHosts: string[];
  writable: string[];
  /** Folders of the run's HOME mounted read-only (the preset's, also for a command starting its agent). */
  readOnlyHome: string[];
  /** Claude Code MCP servers passed to sandboxed runs: names, or every configured one. */
  mcpServers: string[] | "all";
  maxSessions: number | null;
  fallback: string | null;
  enabled: boolean;
  timeoutMs: number;
  /** needs_you: the config's keys with the profile's over them, and the preset's pattern. */
  needsYou: { quietMs: number; nudgeAfterMs: number; nudge: string; pattern: string };
  /** budget: the profile's, else the config's (per task); empty: none. */
  budget: { tokens?: number; usd?: number };
}

export class ProfileError extends Error {
  override name = "ProfileError";
}

export function resolveProfile(config: Config, name: string): ResolvedProfile {
  const p = config.agents.profiles[name];
  if (!p) {
    throw new ProfileError(
      `no agent profile "${name}" (configured: ${Object.keys(config.agents.profiles).join(", ")}); add it under agents.profiles in .ballador/config.yaml`,
    );
  }
  const preset = p.preset ? PRESETS[p.preset] : undefined;
  if (p.preset && !preset) {
    throw new ProfileError(
      `profile "${name}" names preset "${p.preset}", which does not exist (presets: ${Object.keys(PRESETS).join(", ")})`,
    );
  }
  const command = p.command ?? preset?.command;
  if (!command || command.length === 0)
    throw new ProfileError(`profile "${name}" has neither a preset nor a command`);
  return {
    name,
    preset: p.preset ?? null,
    command,
    prompt: p.prompt ?? preset?.prompt ?? "arg",
    env: p.env ?? preset?.env ?? [],
    secrets: p.secrets ?? {},
    allowHosts: [...(preset?.allowHosts ?? []), ...(p.allow_hosts ?? [])],
    writable: p.writable ?? preset?.writable ?? [],
    readOnlyHome: (preset ?? presetOfProgram(command[0]))?.readOnlyHome ?? [],
    mcpServers: p.mcp_servers ?? [],
    maxSessions: p.max_sessions ?? null,
    fallback: p.fallback ?? null,
    enabled: p.enabled ?? true,
    timeoutMs: parseDuration(p.timeout ?? config.run_timeout),
    needsYou: {
      quietMs: parseDuration(p.needs_you?.quiet ?? config.needs_you.quiet),
      nudgeAfterMs: parseDuration(p.needs_you?.nudge_after ?? config.needs_you.nudge_after),
      nudge: p.needs_you?.nudge ?? config.needs_you.nudge,
      pattern: preset?.waitPattern ?? DEFAULT_WAIT_PATTERN,
    },
    budget: taskBudget(config.budget, p.budget),
  };
}

/** A task's budget: the config's (without its launch budget), overridden key by key by the profile's. */
function taskBudget(
  config: Config["budget"] | undefined,
  profile: ProfileConfig["budget"],
): { tokens?: number; usd?: number } {
  const { launch: _launch, ...task } = config ?? {};
  return { ...task, ...(profile ?? {}) };
}

/** The program a profile starts, found the way a shell would (PATH), or the shipped scripted agent. */
export function findProgram(
  program: string,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (program === "ballador-scripted-agent") {
    const shipped = join(PACKAGE_ROOT, "bin", "ballador-scripted-agent.js");
    if (existsSync(shipped)) return shipped;
  }
  if (program.includes("/")) {
    const full = isAbsolute(program) ? program : resolve(cwd, program);
    return isExecutable(full) ? full : null;
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const full = join(dir, program);
    if (isExecutable(full)) return full;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}
