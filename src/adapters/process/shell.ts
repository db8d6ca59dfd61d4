/**
 * Running the project's own shell commands (bootstrap, hooks, verify). These are written by
 * the repository's owner in the config, so a shell is intended; task data only ever reaches
 * them through environment variables, never spliced into the command text.
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

export interface ShellResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
  ms: number;
}

const KEEP_OUTPUT = 64 * 1024;

export interface ShellOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile?: string;
  timeoutMs?: number;
  label?: string;
  /** Told the process group id as soon as the command starts, e.g. to record it for a crash. */
  onSpawn?: (pgid: number) => void;
  /** The program that really runs the command (e.g. the sandbox's wrapper); default /bin/sh -c. */
  wrapped?: { file: string; args: string[] };
  /** Each chunk of output as it comes (e.g. to the session's terminal, for a person attached). */
  onOutput?: (text: string) => void;
}

export function runShell(command: string, opts: ShellOptions): Promise<ShellResult> {
  const started = Date.now();
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    appendFileSync(opts.logFile, `\n$ ${opts.label ? `[${opts.label}] ` : ""}${command}\n`);
  }
  const file = opts.wrapped?.file ?? "/bin/sh";
  const args = opts.wrapped?.args ?? ["-c", command];
  return new Promise((resolve) => {
    // detached: its own process group, so a timeout kills the whole tree, not just sh.
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    if (child.pid) opts.onSpawn?.(child.pid);
    let output = "";
    let timedOut = false;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output = (output + text).slice(-KEEP_OUTPUT);
      if (opts.logFile) appendFileSync(opts.logFile, text);
      opts.onOutput?.(text);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killGroup(child.pid, "SIGKILL");
          }, opts.timeoutMs)
        : null;
    child.on("error", (err) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: 127,
        signal: null,
        output: `${output}${err.message}\n`,
        timedOut,
        ms: Date.now() - started,
      });
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (opts.logFile) appendFileSync(opts.logFile, `[exit ${code ?? signal}]\n`);
      resolve({ code, signal, output, timedOut, ms: Date.now() - started });
    });
  });
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function isAlive(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed process whose parent is gone is re-parented to pid 1, which in a container is
  // often no init that reaps: it stays a zombie and still answers signal 0. A zombie is dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (not Linux): signal 0 is all there is
  }
}
