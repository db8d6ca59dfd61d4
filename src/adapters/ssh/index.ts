/**
 * The system `ssh`, as Ballador runs it to reach runners: never a prompt (BatchMode), a bounded
 * connect (ConnectTimeout), the person's own ~/.ssh/config and agent, or the file named by
 * BALLADOR_SSH_CONFIG instead (`-F`, for tests and for people who keep Ballador's hosts apart).
 * What a remote command prints is the runner's: callers treat it as untrusted text.
 */
import { spawn } from "node:child_process";

export const SSH_CONNECT_TIMEOUT_S = 20;

/** Options before the destination: the config file (when set) and no prompt, a bounded connect. */
export function sshOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = env.BALLADOR_SSH_CONFIG;
  return [
    ...(file ? ["-F", file] : []),
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${SSH_CONNECT_TIMEOUT_S}`,
    "-o",
    "ServerAliveInterval=15",
  ];
}

/** argv of `ssh` running one remote command; `--` so a destination is never read as an option. */
export function sshArgv(
  target: string,
  remoteCommand: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return [...sshOptions(env), "--", target, remoteCommand];
}

/** The environment for git that talks to a runners_remote: ssh with BALLADOR_SSH_CONFIG, no prompt. */
export function gitSshEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env.GIT_SSH_COMMAND) return {};
  return { GIT_SSH_COMMAND: ["ssh", ...sshOptions(env).map(shellWord)].join(" ") };
}

/** A string as one POSIX shell word (single-quoted). */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The connection itself failed (ssh's own exit 255), not the remote command. */
  unreachable: boolean;
}

/** Most a remote command's output is kept: the runner is not trusted to bound its own. */
const MAX_OUTPUT = 1 << 20;

/**
 * Runs `remoteCommand` on `target` (through the remote login shell), with `input` on its stdin.
 * Never throws for the remote's failure: the exit code and output are in the result.
 */
export function runSsh(
  target: string,
  remoteCommand: string,
  opts: { input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<SshResult> {
  const env = opts.env ?? process.env;
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", sshArgv(target, remoteCommand, env), {
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const keep = (into: Buffer[]) => (d: Buffer) => {
      if (size >= MAX_OUTPUT) return;
      size += d.length;
      into.push(d);
    };
    child.stdout.on("data", keep(out));
    child.stderr.on("data", keep(err));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const c = code ?? (signal ? 124 : 1);
      resolve({
        code: c,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        unreachable: c === 255,
      });
    });
    // A remote that exits without reading its input must not crash us with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}
