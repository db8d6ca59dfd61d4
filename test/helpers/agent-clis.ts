/**
 * The real agent CLIs (Claude Code, Codex, Gemini CLI, OpenCode, Copilot CLI, Qwen Code) are not devDependencies: the
 * demo and every other test need none of them. A test file that drives one calls
 * `beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT)`: the first time, scripts/install-agent-clis.mjs
 * installs the versions pinned in test/agent-clis/ into .cache/agent-clis (saying why, with a line
 * at least every 10 s); afterwards it finds them current and returns at once.
 */
import { spawn } from "node:child_process";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { PACKAGE_ROOT } from "./cli.js";

const CACHE = process.env.BALLADOR_AGENT_CLIS_DIR || join(PACKAGE_ROOT, ".cache", "agent-clis");

/** Where `claude`, `codex`, `gemini`, `opencode`, `copilot` and `qwen` are (put it first on the launcher's PATH). */
export const AGENT_BIN = join(CACHE, "node_modules", ".bin");

/** The first install downloads about 1.5 GB and compiles node-pty; later calls take milliseconds. */
export const AGENT_CLIS_TIMEOUT = 20 * 60_000;

export async function installAgentClis(): Promise<void> {
  const script = join(PACKAGE_ROOT, "scripts", "install-agent-clis.mjs");
  const code = await new Promise<number>((resolve, reject) => {
    // Its lines go straight to the terminal, so a long first install shows its progress.
    const child = spawn(process.execPath, [script, "--quiet"], { cwd: PACKAGE_ROOT, stdio: "inherit" });
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (code !== 0)
    throw new Error(
      `could not install the agent CLIs these tests drive (exit ${code}); run \`node scripts/install-agent-clis.mjs\` to see why`,
    );
}

/**
 * A PATH with only `names` of the pinned CLIs (links in `parent`/bin) before the system's: every
 * pinned CLI answering --version at once, on a loaded machine, took longer than a listing waits.
 */
export async function pathWithOnly(
  parent: string,
  names: readonly string[],
): Promise<{ bin: string; PATH: string }> {
  const bin = join(parent, "bin");
  await mkdir(bin);
  for (const b of names) await symlink(join(AGENT_BIN, b), join(bin, b));
  return { bin, PATH: `${bin}:/usr/bin:/bin` };
}

/** One preset as `ballador agents --json` lists it (the fields the agent tests read). */
export interface AgentListed {
  preset: string;
  binary: string;
  mode: string;
  path: string | null;
  version: string | null;
  command: string[];
  retryCommand: string[] | null;
  credentials: string[];
  missing: Array<{ problem: string; fix: string }>;
  tested: string | null;
  profileLines: string[];
  profiles: string[];
}
