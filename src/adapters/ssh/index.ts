/**
 * The system `ssh`, as Ballador runs it to reach runners: never a prompt (BatchMode), a bounded
 * connect (ConnectTimeout), the person's own ~/.ssh/config and agent, or the file named by
 * BALLADOR_SSH_CONFIG instead (`-F`, for tests and for people who keep Ballador's hosts apart).
 * What a remote command prints is the runner's: callers treat it as untrusted text.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../process/shell.js";

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
 * The socket sharing one connection to `key` (what the destination is and which ssh_config
 * names it) in `dir`, named by a hash: %C would not fit a socket path under a deep folder.
 */
function shareSocket(dir: string, key: string, env: NodeJS.ProcessEnv): string {
  const name = createHash("sha256")
    .update(`${key}\0${env.BALLADOR_SSH_CONFIG ?? ""}`)
    .digest("hex")
    .slice(0, SHARE_NAME);
  return join(dir, name);
}

/** Options sharing one connection per destination through a socket in `dir` (null: none). */
function shareOptions(dir: string | null | undefined, key: string, env: NodeJS.ProcessEnv): string[] {
  if (!dir) return [];
  return [
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${shareSocket(dir, key, env)}`,
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

/** What names a runner's shared connection (its socket's hash): the sessions' and the opener's alike. */
function sshShareKey(target: string): string {
  return `ssh ${target}`;
}

/** Options before the destination, with its connection shared through a socket in `share`. */
export function sshOptionsFor(
  target: string,
  share: string | null | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return [...sshOptions(env), ...shareOptions(share, sshShareKey(target), env)];
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

/** The person's own GIT_SSH_COMMAND is git's ssh (unless BALLADOR_SSH_CONFIG names Ballador's ssh_config). */
function personsGitSsh(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.GIT_SSH_COMMAND && !env.BALLADOR_SSH_CONFIG);
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
  if (personsGitSsh(env)) return {};
  const d = share ? gitSshDestination(share.remote) : null;
  const shared = d ? shareOptions(share?.dir, gitShareKey(d), env) : [];
  return { GIT_SSH_COMMAND: ["ssh", ...sshOptions(env), ...shared].map(shellWord).join(" ") };
}

/** Beside a shared connection's socket while it is being opened: the opener's pid. */
const OPENING = ".opening";

/**
 * Opens the shared connection to `target` (or to the git remote `remote`) in the background,
 * so that the sessions that follow find it open (they wait for it: awaitShared). Never waited
 * for, never fails: a session that finds no connection opens its own, as without sharing.
 * Its remote command is `true`, not `-N`: one that loses the race to be the shared connection
 * to a session started meanwhile then ends, where `-N` would hold its own connection forever.
 */
export function warmConnection(
  to: { target: string } | { remote: string },
  share: string | null,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (!share) return;
  let target = "";
  let key = "";
  let port: string[] = [];
  if ("target" in to) [target, key] = [to.target, sshShareKey(to.target)];
  else {
    const d = gitSshDestination(to.remote);
    if (!d) return;
    [target, key, port] = [d.target, gitShareKey(d), d.port ? ["-p", d.port] : []];
  }
  const socket = shareSocket(share, key, env);
  if (exists(socket) || !claimOpening(socket)) return;
  const args = [...sshOptions(env), ...shareOptions(share, key, env), ...port, "--", target, "true"];
  const child = spawn("ssh", args, { env, stdio: "ignore", detached: true });
  child.on("error", () => undefined);
  child.unref();
  if (child.pid) writeFileSync(socket + OPENING, String(child.pid));
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Takes the opening of `socket`'s connection, unless an opener still alive holds it. */
function claimOpening(socket: string): boolean {
  try {
    closeSync(openSync(socket + OPENING, "wx", 0o600));
    return true;
  } catch {
    if (openerAlive(socket)) return false;
    writeFileSync(socket + OPENING, "");
    return true;
  }
}

/** An opener of `socket` is at work: its mark is recent and its pid (when written) alive. */
function openerAlive(socket: string): boolean {
  try {
    const mark = socket + OPENING;
    if (Date.now() - statSync(mark).mtimeMs > SSH_CONNECT_TIMEOUT_S * 1000) return false;
    const pid = Number(readFileSync(mark, "utf8"));
    if (!Number.isInteger(pid) || pid <= 0) return true;
    // An opener that ended unreaped (launch gone, a pid 1 that does not reap) is a zombie: dead.
    return isAlive(pid);
  } catch {
    return false;
  }
}

/**
 * Resolves once the shared connection an ssh `argv` would use is open, or nobody is opening it:
 * two sessions that both find no socket each open their own connection (OpenSSH's
 * ControlMaster=auto), so a session started while launch opens it waits for it. Bounded by
 * the connect timeout; at once without sharing or with the socket there.
 */
export async function awaitShared(argv: readonly string[]): Promise<void> {
  const opt = argv.find((a) => a.startsWith("ControlPath="));
  if (!opt) return;
  const socket = opt.slice("ControlPath=".length);
  const until = Date.now() + SSH_CONNECT_TIMEOUT_S * 1000;
  while (!exists(socket) && openerAlive(socket) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** awaitShared for git talking to `share.remote` (see gitSshEnv). */
export function awaitGitShared(
  share: { dir: string | null; remote: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const d = gitSshDestination(share.remote);
  // The person's own ssh for git shares nothing of Ballador's: nothing to wait for.
  const shared = d && share.dir && !personsGitSsh(env);
  return awaitShared(shared ? shareOptions(share.dir, gitShareKey(d), env) : []);
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
export async function spawnPrepared(runDir: string): Promise<ChildProcessWithoutNullStreams | null> {
  let argv: unknown;
  try {
    argv = JSON.parse(readFileSync(join(runDir, PREPARED), "utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(argv) || argv[0] !== "ssh" || !argv.every((a) => typeof a === "string")) return null;
  await awaitShared(argv as string[]);
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
export async function runSsh(
  target: string,
  remoteCommand: string,
  opts: { input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv; share?: string | null } = {},
): Promise<SshResult> {
  const env = opts.env ?? process.env;
  const argv = sshArgv(target, remoteCommand, env, opts.share);
  await awaitShared(argv);
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", argv, {
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
