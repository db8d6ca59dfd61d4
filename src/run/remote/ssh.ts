/**
 * Reaching a runner: the system `ssh` (the person's ~/.ssh/config and agent decide keys and
 * options), never a shell at home. The remote side gets one command line, which its login
 * shell splits: every word is quoted here.
 */
import { spawn } from "node:child_process";
import type { Config } from "../../config/schema.js";

/** A runner as the config names it (spec 0013). */
export interface RunnerEntry {
  name: string;
  ssh: string;
  max_sessions: number;
  root: string;
  trusted_verify?: boolean;
}

/** The runners of a config (none when it names none). */
export function runnersOf(config: Config): RunnerEntry[] {
  // The schema's runners list arrives with issue 32's config part; read it structurally.
  const list = (config as unknown as { runners?: RunnerEntry[] }).runners;
  return Array.isArray(list) ? list : [];
}

export function remoteOf(config: Config): string | null {
  const r = (config as unknown as { runners_remote?: string }).runners_remote;
  return typeof r === "string" && r !== "" ? r : null;
}

export function runnerNamed(config: Config, name: string): RunnerEntry | null {
  return runnersOf(config).find((r) => r.name === name) ?? null;
}

/** One word for a POSIX shell: single-quoted, its quotes closed and escaped. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The ssh program and its leading options (BALLADOR_SSH_CONFIG: an ssh_config file of its own). */
function sshBase(): string[] {
  const file = process.env.BALLADOR_SSH_CONFIG;
  const base = file ? ["ssh", "-F", file] : ["ssh"];
  // No prompt can be answered by a relay; a dead peer is noticed within a minute.
  return [...base, "-o", "BatchMode=yes", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"];
}

/** The argv that runs `words` on the runner (tty: for a person's attach). */
export function sshArgv(
  runner: RunnerEntry,
  words: readonly string[],
  opts: { tty?: boolean } = {},
): string[] {
  if (runner.ssh.startsWith("-")) throw new Error(`runner ${runner.name}: ssh target may not start with "-"`);
  return [...sshBase(), opts.tty ? "-t" : "-T", "--", runner.ssh, words.map(shellWord).join(" ")];
}

/** The runner's pinned Ballador (BALLADOR_RUNNER_BALLADOR overrides; default `ballador` on its PATH). */
export function remoteBallador(runner: RunnerEntry): string[] {
  const custom = process.env.BALLADOR_RUNNER_BALLADOR?.trim();
  if (custom) return custom.split(/\s+/);
  return [`${runner.root}/ballador/bin/ballador`];
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command on the runner and collects its output (bounded). */
export function sshRun(
  runner: RunnerEntry,
  words: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<SshResult> {
  const [cmd, ...args] = sshArgv(runner, words);
  return new Promise((resolve) => {
    const child = spawn(cmd as string, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const cap = 4 * 1024 * 1024;
    child.stdout.on("data", (d: Buffer) => {
      if (stdout.length < cap) stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < cap) stderr += d.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}
