/**
 * Stands in for the sandbox runtime's `ripGrep` in the bundle (scripts/sandbox-runtime-plugin.mjs
 * routes the runtime's import of it here). At every wrap the runtime lists, with `rg --files`,
 * the dangerous files (.bashrc, .git/hooks, ...) under the wrapping process's current folder to
 * deny writes to them. Ballador wraps from the run's scratch folder (run-sandbox.ts), which
 * is empty: an empty folder holds no file at any depth, so the answer is known without a
 * process (a fork of the whole supervisor, ~7 ms a step). The check is made afresh at each
 * wrap, never remembered: a folder with anything in it is scanned by rg as before, so a file
 * that appears later is found by the next wrap (docs/specs/0017-cost-startup.md).
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";

interface RipgrepConfig {
  command: string;
  args?: string[];
  argv0?: string;
}

/** How many scans were answered without rg, and how many ran it (for the bench and tests). */
export const scans = { answeredEmpty: 0, ran: 0 };

function emptyFolder(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    // Not a folder we can list: rg decides (and reports) as before.
    return false;
  }
}

/** The runtime's contract: matching lines; [] for "nothing found" (exit 1); throws otherwise. */
export async function ripGrep(
  args: string[],
  target: string,
  abortSignal: AbortSignal | undefined,
  config: RipgrepConfig = { command: "rg" },
): Promise<string[]> {
  if (args.includes("--files") && emptyFolder(target)) {
    scans.answeredEmpty += 1;
    return [];
  }
  scans.ran += 1;
  const child = spawn(config.command, [...(config.args ?? []), ...args, target], {
    ...(config.argv0 ? { argv0: config.argv0 } : {}),
    ...(abortSignal ? { signal: abortSignal } : {}),
    timeout: 10_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code === 0) return out.split("\n").filter((l) => l.trim() !== "");
  if (code === 1) return [];
  throw new Error(`ripgrep exited ${code}: ${err.trim()}`);
}
