/**
 * Whether a profile's agent can run unattended on this machine: its program, its version, and
 * its credentials (a variable the profile passes, or a login file Ballador copies into the run).
 * Observed facts only; nothing is changed. `ballador doctor` reports these.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PRESETS, type Preset, presetBinary } from "./presets.js";
import { findProgram, type ResolvedProfile } from "./profiles.js";

/**
 * How long an agent's `--version` may take: a large CLI on a loaded machine took 6-9 s (Pi
 * 0.73.1, Cline CLI 3.0.65, at load 27 on 2 cores), several at once longer.
 */
export const VERSION_TIMEOUT_MS = 20_000;

export interface AgentReadiness {
  /** The program looked for (the agent's own, even when the preset wraps it). */
  program: string;
  /** Where it was found, or null. */
  path: string | null;
  /** The first line of `--version`, or null when it did not answer in time. */
  version: string | null;
  /** The built-in preset, when the profile uses one. */
  preset: Preset | null;
  /** Credentials that will reach the agent: variable names and login files. */
  credentials: string[];
  /** What is missing for unattended use, each with its fix. */
  missing: Array<{ problem: string; fix: string }>;
}

export async function agentReadiness(
  profile: ResolvedProfile,
  opts: {
    cwd: string;
    env?: NodeJS.ProcessEnv;
    home?: string;
    versionTimeoutMs?: number;
    /** false: do not run the program for its version (the caller does, once per program). */
    version?: boolean;
  },
): Promise<AgentReadiness> {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME ?? "";
  const preset = profile.preset ? (PRESETS[profile.preset] ?? null) : null;
  const own = profile.command[0] as string;
  // A preset that wraps its agent (aider's `sh -c`) is looked for by the agent's name.
  const program = preset && own === preset.command[0] ? presetBinary(preset) : own;
  const path = findProgram(program, opts.cwd, env);
  const version =
    path && preset?.versionArgs && opts.version !== false
      ? await programVersion(path, preset.versionArgs, opts.versionTimeoutMs ?? VERSION_TIMEOUT_MS)
      : null;
  const credentials: string[] = [];
  const missing: AgentReadiness["missing"] = [];
  if (preset?.credentials) {
    const passed = (name: string) => profile.env.includes(name) || name in profile.secrets;
    const secretSet = (name: string) => {
      const src = profile.secrets[name];
      if (!src) return false;
      return "env" in src ? env[src.env] !== undefined : true;
    };
    const unpassed: string[] = [];
    for (const name of preset.credentials.env) {
      if (secretSet(name) || (profile.env.includes(name) && env[name])) credentials.push(name);
      else if (env[name] && !passed(name)) unpassed.push(name);
    }
    for (const file of preset.credentials.files) {
      if (existsSync(join(home, file.replace(/^~\//, "")))) credentials.push(file);
    }
    if (unpassed.length > 0) {
      missing.push({
        problem: `${unpassed.join(", ")} ${unpassed.length === 1 ? "is" : "are"} set here but the profile does not pass ${unpassed.length === 1 ? "it" : "them"} (agents get only the variables their profile names)`,
        fix: `add ${unpassed.join(", ")} to agents.profiles.${profile.name}.env`,
      });
    }
    if (credentials.length === 0 && unpassed.length === 0) {
      const vars = preset.credentials.env;
      const files = preset.credentials.files;
      missing.push({
        problem: `no credentials: none of ${vars.join(", ")} is set${files.length > 0 ? ` and there is no ${files.join(" or ")}` : ""}`,
        fix: `set ${vars[0]} in the environment you launch from${profile.env.includes(vars[0] as string) ? "" : ` and add it to agents.profiles.${profile.name}.env`}${files.length > 0 ? `, or log in once with ${program} (${files[0]})` : ""}${preset.credentials.otherwise ? `, or ${preset.credentials.otherwise}` : ""}`,
      });
    }
  }
  return { program, path, version, preset, credentials, missing };
}

/** The first line a program prints for its version arguments, or null when it does not answer in time. */
export function programVersion(
  program: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(program, [...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return resolve(null);
      resolve((stdout || stderr).trim().split("\n")[0] ?? null);
    });
  });
}
