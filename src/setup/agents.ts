/**
 * `ballador agents`: every built-in preset at a glance. Its binary on PATH or not and its
 * version, interactive or headless, the credentials that would reach it (for the project's
 * profile that uses it, else for a profile that names only the preset), whether it was proven
 * here with its real binary, and the profile line that adds it. Observed facts; nothing changes.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PRESETS, presetBinary, withResume } from "../adapters/agents/presets.js";
import { type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import { agentReadiness, programVersion, VERSION_TIMEOUT_MS } from "../adapters/agents/readiness.js";
import { loadConfig } from "../config/load.js";
import { type Config, DEFAULT_CONFIG } from "../config/schema.js";
import { REPO_CONFIG_PATH } from "../config/sources.js";
import { findRoot } from "../project/index.js";

export interface AgentPreset {
  preset: string;
  description: string;
  /** The agent's own program. */
  binary: string;
  mode: "interactive" | "headless";
  /** The full path found on PATH, or null. */
  path: string | null;
  version: string | null;
  command: string[];
  /**
   * The command a retry or `request-changes` runs, continuing the agent's conversation; null
   * when the agent cannot continue one (each attempt then starts a new conversation).
   */
  retryCommand: string[] | null;
  /** The project's profiles that use this preset (empty outside a project). */
  profiles: string[];
  /** Variable names and login files that would reach the agent. */
  credentials: string[];
  /** What is missing for unattended use, each with its fix. */
  missing: Array<{ problem: string; fix: string }>;
  /** What was proven on this machine with the real binary; null: untested. */
  tested: string | null;
  /** The config lines that add it as a profile. */
  profileLines: string[];
  install: string | null;
}

export async function listAgents(cwd: string): Promise<{ project: string | null; agents: AgentPreset[] }> {
  let config: Config | null = null;
  let root: string | null = null;
  try {
    root = await findRoot(cwd);
    if (existsSync(join(root, REPO_CONFIG_PATH))) config = loadConfig(root).config;
  } catch {
    // Outside a project (or with a config doctor would name): the presets alone.
  }
  const names = Object.keys(PRESETS).filter((n) => n !== "scripted");
  const versions = new Map<string, Promise<string | null>>();
  const agents = await Promise.all(
    names.map(async (name): Promise<AgentPreset> => {
      const preset = PRESETS[name] as NonNullable<(typeof PRESETS)[string]>;
      const using = config
        ? Object.entries(config.agents.profiles)
            .filter(([, p]) => p.preset === name)
            .map(([n]) => n)
        : [];
      let profile: ResolvedProfile;
      try {
        profile = config && using[0] ? resolveProfile(config, using[0]) : defaultProfile(name);
      } catch {
        profile = defaultProfile(name);
      }
      const binary = presetBinary(preset);
      // One --version per program, however many presets share it.
      const r = await agentReadiness(profile, { cwd: root ?? cwd, version: false });
      let version: string | null = null;
      if (r.path && preset.versionArgs) {
        const path = r.path;
        if (!versions.has(path))
          versions.set(path, programVersion(path, preset.versionArgs, VERSION_TIMEOUT_MS));
        version = (await versions.get(path))?.replace(/^v(?=\d)/, "") ?? null;
      }
      return {
        preset: name,
        description: preset.description,
        binary,
        mode: preset.mode ?? "headless",
        path: r.path,
        version,
        command: preset.command,
        retryCommand: withResume(preset.command, preset, "{session}"),
        profiles: using,
        credentials: r.credentials,
        missing: r.missing,
        tested: preset.tested ?? null,
        profileLines: ["agents:", "  profiles:", `    ${name}: { preset: ${name} }`],
        install: preset.install ?? null,
      };
    }),
  );
  return { project: root && config ? root : null, agents };
}

function defaultProfile(preset: string): ResolvedProfile {
  const config = structuredClone(DEFAULT_CONFIG);
  config.agents.profiles = { [preset]: { preset } };
  return resolveProfile(config, preset);
}
