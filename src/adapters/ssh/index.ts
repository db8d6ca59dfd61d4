/**
 * The system `ssh`, as Ballador runs it to reach runners: never a prompt (BatchMode), a bounded
 * connect (ConnectTimeout), the person's own ~/.ssh/config and agent, or the file named by
 * BALLADOR_SSH_CONFIG instead (`-F`, for tests and for people who keep Ballador's hosts apart).
 * What a remote command prints is the runner's: callers treat it as untrusted text.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SSH_CONNECT_TIMEOUT_S = 20;
/** How long a shared connection stays open once its last session has ended. */
export const SHARE_PERSIST_S = 60;
/** A socket's name in the share folder: a hash of what it reaches. */
const SHARE_NAME = 16;
/** sun_path holds 107 characters; OpenSSH binds `<path>.<16 random>` first, then renames. */
const SOCKET_PATH_MAX = 107 - 17;

/**
 * The folder of shared connections' sockets (OpenSSH ControlMaster: one connection per
 * destination, its sessions multiplexed over it), made 0700 when missing. Null when sharing is
 * off (BALLADOR_SSH_SHARE=0) or the folder cannot hold it: a path too long for a socket, or
 * not a private folder of this user, or a character ssh would read as syntax. Then every call opens its own connection, as before.
 */
export function shareDir(dir: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.BALLADOR_SSH_SHARE === "0") return null;
  if (dir.length + 1 + SHARE_NAME > SOCKET_PATH_MAX) return null;
  // ssh reads the path as a config word with %-tokens: none of those characters may be in it.
  if (!dir.startsWith("/") || /[\s%"'\\#]/.test(dir)) return null;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const mine = process.getuid === undefined || st.uid === process.getuid();
    return st.isDirectory() && mine && (st.mode & 0o077) === 0 ? dir : null;
  } catch {
    return null;
  }
}

/**
 * Options sharing one connection per destination through a socket in `dir` (null: none). The
 * socket is named by a hash of `key` (what the destination is and which ssh_config names it):
 * %C would not fit a socket path under a deep folder.
 */
function shareOptions(dir: string | null | undefined, key: string, env: NodeJS.ProcessEnv): string[] {
  if (!dir) return [];
  const name = createHash("sha256")
    .update(`${key}\0${env.BALLADOR_SSH_CONFIG ?? ""}`)
    .digest("hex")
    .slice(0, SHARE_NAME);
  return [
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${join(dir, name)}`,
    "-o",
    `ControlPersist=${SHARE_PERSIST_S}`,
  ];
}

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

/** Options before the destination, with its connection shared through a socket in `share`. */
export function sshOptionsFor(
  target: string,
  share: string | null | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return [...sshOptions(env), ...shareOptions(share, `ssh ${target}`, env)];
}

/** argv of `ssh` running one remote command; `--` so a destination is never read as an option. */
export function sshArgv(
  target: string,
  remoteCommand: string,
  env: NodeJS.ProcessEnv = process.env,
  share?: string | null,
): string[] {
  return [...sshOptionsFor(target, share, env), "--", target, remoteCommand];
}

/** Where git's ssh goes for a remote URL (`ssh://[user@]host[:port]/…` or `[user@]host:path`). */
export function gitSshDestination(url: string): { target: string; port: string | null } | null {
  const full = /^ssh:\/\/([^/?#]+)\//.exec(url);
  if (full?.[1]) {
    const m = /^(.*?)(?::(\d+))?$/.exec(full[1]);
    return m?.[1] ? { target: m[1], port: m[2] ?? null } : null;
  }
  // git's scp-like form: a colon before any slash, and no scheme.
  const scp = /^([^/:]+):/.exec(url);
  return scp?.[1] && !url.includes("://") ? { target: scp[1], port: null } : null;
}

function gitShareKey(d: { target: string; port: string | null }): string {
  return `git ${d.target} ${d.port ?? ""}`;
}

/**
 * The environment for git that talks to a runners_remote: ssh with BALLADOR_SSH_CONFIG, no
 * prompt, and with `share` the remote's connection shared (for `remote` only: its socket leads
 * to that host). A person's GIT_SSH_COMMAND is theirs, unless BALLADOR_SSH_CONFIG names
 * Ballador's own ssh_config.
 */
export function gitSshEnv(
  env: NodeJS.ProcessEnv = process.env,
  share?: { dir: string | null; remote: string },
): Record<string, string> {
  if (env.GIT_SSH_COMMAND && !env.BALLADOR_SSH_CONFIG) return {};
  const d = share ? gitSshDestination(share.remote) : null;
  const shared = d ? shareOptions(share?.dir, gitShareKey(d), env) : [];
  return { GIT_SSH_COMMAND: ["ssh", ...sshOptions(env), ...shared].map(shellWord).join(" ") };
}

/**
 * Opens the shared connection to `target` (or to the git remote `remote`) in the background,
 * so that the sessions that follow find it open. Never waited for, never fails: a call that
 * finds no connection opens its own, as without sharing.
 */
export function warmConnection(
  to: { target: string } | { remote: string },
  share: string | null,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (!share) return;
  let args: string[];
  if ("target" in to) args = [...sshOptionsFor(to.target, share, env), "-N", "--", to.target];
  else {
    const d = gitSshDestination(to.remote);
    if (!d) return;
    const port = d.port ? ["-p", d.port] : [];
    args = [...sshOptions(env), ...shareOptions(share, gitShareKey(d), env), ...port, "-N", "--", d.target];
  }
  const child = spawn("ssh", args, { env, stdio: "ignore", detached: true });
  child.on("error", () => undefined);
  child.unref();
}

/** The file in a run folder holding the argv of the ssh its process opens first (see spawnPrepared). */
const PREPARED = "early-ssh.json";

/** Writes the argv of an `ssh` that the run folder's process starts before anything else. */
export function prepareSsh(runDir: string, argv: readonly string[]): void {
  writeFileSync(join(runDir, PREPARED), JSON.stringify(argv), { mode: 0o600 });
}

/**
 * Starts the `ssh` prepared in the run folder (by its launch, in home's trusted part of it), with
 * its stdio piped: its connection and the far side's start then overlap this process's own
 * start. Null when none was prepared or the file is not an argv of ssh.
 */
export function spawnPrepared(runDir: string): ChildProcessWithoutNullStreams | null {
  let argv: unknown;
  try {
    argv = JSON.parse(readFileSync(join(runDir, PREPARED), "utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(argv) || argv[0] !== "ssh" || !argv.every((a) => typeof a === "string")) return null;
  const child = spawn("ssh", argv.slice(1) as string[], { stdio: ["pipe", "pipe", "pipe"] });
  child.on("error", () => undefined);
  child.stdin.on("error", () => undefined);
  return child;
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
  opts: { input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv; share?: string | null } = {},
): Promise<SshResult> {
  const env = opts.env ?? process.env;
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", sshArgv(target, remoteCommand, env, opts.share), {
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
