/**
 * The set-up the agent-HOME tests share: a person's HOME, a run's HOME and a worktree (a git
 * repository) in a temporary folder, and a profile of a preset with nothing else set.
 *
 *   const s = await homeSetting({ ANTHROPIC_BASE_URL: "http://127.0.0.1:9" });
 *   put(join(s.realHome, ".pi", "agent", "settings.json"), "{}");
 *   await prepareAgentHome(profileOf("pi"), s.ctx);
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentHomeContext } from "../../src/adapters/agents/home.js";
import { type ResolvedProfile, resolveProfile } from "../../src/adapters/agents/profiles.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { makeTempDir } from "../helpers/cli.js";

/** The default config's profile `p` of `preset`. */
export function profileOf(preset: string): ResolvedProfile {
  const config = structuredClone(DEFAULT_CONFIG);
  config.agents.profiles = { p: { preset } };
  return resolveProfile(config, "p");
}

/** A sandboxed run's HOME context with `env` (removed by the caller's cleanupTempDirs). */
export async function homeSetting(env: Record<string, string> = {}) {
  const dir = await makeTempDir("bl-home-more-");
  const realHome = join(dir, "real");
  const home = join(dir, "run", "home");
  const worktree = join(dir, "worktree");
  mkdirSync(realHome, { recursive: true });
  execFileSync("git", ["init", "-q", worktree]);
  const ctx: AgentHomeContext = { home, realHome, worktree, sandboxed: true, env };
  return { dir, realHome, home, worktree, ctx };
}

/** Writes `text` at `path`, its folders made. */
export function put(path: string, text: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}
