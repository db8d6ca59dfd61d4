// The tmux adapter: Ballador's own tmux server (one socket via -L), argv only, never a shell.
import { execFile } from "node:child_process";
import { lstatSync, realpathSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { CommandError } from "../process/command-error.js";
import { escapeFormat, shellQuote, tmuxArg } from "./quote.js";

export { escapeFormat, shellQuote, tmuxArg } from "./quote.js";

/** A tmux command failed. */
export class TmuxError extends CommandError {
  override name = "TmuxError";
  constructor(message: string, args: readonly string[], code: number | null, stderr: string) {
    super(message, "tmux", args, code, stderr);
  }
}

/** The tmux binary is not on PATH. */
export class TmuxMissingError extends TmuxError {
  override name = "TmuxMissingError";
}

export interface TmuxOptions {
  /** Socket name passed as `-L`, so a person's own tmux server is never touched. */
  socket: string;
  /** Config file for a server this adapter starts (`-f`); tmux's usual lookup when unset. */
  configFile?: string;
}

export interface NewSessionOptions {
  name: string;
  cwd: string;
  /** argv of the pane's process, run as given (no shell). */
  command: string[];
  env?: Record<string, string>;
  width?: number;
  height?: number;
  /** Keep the pane (and session) after the process exits. Off by default. */
  remainOnExit?: boolean;
  /** Append all pane output to this file, from the very first byte. */
  logFile?: string;
}

export interface SessionInfo {
  name: string;
  /** Creation time, seconds since the epoch. */
  created: number;
  panePid: number | null;
  dead: boolean;
}

// Marks a command separator; a plain ";" string is an argument and gets escaped.
const SEP: unique symbol = Symbol("tmux command separator");
type Arg = string | typeof SEP;

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

const SESSION_NAME = /^[A-Za-z0-9_-]+$/;
const SOCKET_NAME = /^[A-Za-z0-9_.-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// All mean "no server on this socket": socket file missing, stale, or the server quit (as it
// does when its last session ends) while this client was connecting.
const NO_SERVER = /no server running|error connecting to|server exited unexpectedly/i;
const NO_SESSION = /can't find (session|pane|window)/i;
// The server quit while this client was connecting: nothing it was asked ran.
const SERVER_QUIT = /server exited unexpectedly|lost server/i;
const START_ATTEMPTS = 5;
// Client commands return at once; a hang means a wedged server, better reported than waited on.
const TIMEOUT_MS = 30_000;

/** A tmux session name for a task: "bl-" plus the id with anything unsafe mapped to "_". */
export function sessionNameFor(taskId: string): string {
  // tmux forbids "." and ":" in names; the narrower set also keeps targets and formats inert.
  return `bl-${taskId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export class Tmux {
  readonly socket: string;
  private readonly configFile: string | undefined;

  constructor(opts: TmuxOptions) {
    if (!SOCKET_NAME.test(opts.socket)) {
      throw new TmuxError(`invalid tmux socket name: "${opts.socket}"`, [], null, "");
    }
    this.socket = opts.socket;
    this.configFile = opts.configFile;
  }

  /** Starts a detached session whose only pane runs `command`. */
  async newSession(opts: NewSessionOptions): Promise<void> {
    assertSessionName(opts.name);
    const [program] = opts.command;
    if (program === undefined) throw new TmuxError("newSession: empty command", [], null, "");
    // tmux runs a single-element command through `sh -c`, but execs two or more elements
    // directly; `env --` makes even a lone program take the direct path (env then execs it).
    const argv = opts.command.length === 1 ? ["env", "--", program] : opts.command;
    const args: Arg[] = [
      "new-session",
      "-d",
      "-s",
      opts.name,
      // -c is format-expanded, where "#(...)" would run a shell command.
      "-c",
      escapeFormat(opts.cwd),
      "-x",
      String(opts.width ?? SESSION_SIZE.cols),
      "-y",
      String(opts.height ?? SESSION_SIZE.rows),
    ];
    for (const [key, value] of Object.entries(opts.env ?? {})) {
      if (!ENV_NAME.test(key)) throw new TmuxError(`invalid environment name: "${key}"`, [], null, "");
      args.push("-e", `${key}=${value}`);
    }
    args.push("--", ...argv);
    // Chained in the same invocation so both apply before the process can exit or print.
    const target = `=${opts.name}:`;
    args.push(SEP, "set-option", "-w", "-t", target, "remain-on-exit", opts.remainOnExit ? "on" : "off");
    // What runs in the pane is untrusted: whatever a person's tmux.conf says, none of its
    // sequences reaches the terminal of a person who attaches (clipboard, passthrough, title).
    // -q: an older tmux without one of these options starts the session all the same.
    args.push(SEP, "set-option", "-q", "-s", "set-clipboard", "off");
    args.push(SEP, "set-option", "-q", "-w", "-t", target, "allow-passthrough", "off");
    args.push(SEP, "set-option", "-q", "-t", target, "set-titles", "off");
    if (opts.logFile !== undefined) args.push(SEP, "pipe-pane", "-t", target, pipeCommand(opts.logFile));
    await this.startSession(args);
  }

  /**
   * Runs a new-session command. A client that connects while the server quits (its last session
   * just ended) gets "server exited unexpectedly" with nothing started; measured at 26 of 400
   * with sessions ending around them. The next attempt starts a server of its own.
   */
  private async startSession(args: Arg[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.run(args, { allowFail: true });
      if (res.code === 0) return;
      if (!SERVER_QUIT.test(res.stderr) || attempt >= START_ATTEMPTS) throw this.failure(args, res);
    }
  }

  /** Whether a session with exactly this name exists. */
  async hasSession(name: string): Promise<boolean> {
    if (!SESSION_NAME.test(name)) return false;
    const res = await this.run(["has-session", "-t", `=${name}`], { allowFail: true });
    if (res.code === 0) return true;
    if (NO_SERVER.test(res.stderr) || NO_SESSION.test(res.stderr)) return false;
    throw this.failure(["has-session", "-t", `=${name}`], res);
  }

  /** Sessions on this socket; empty when no server runs. */
  async listSessions(): Promise<SessionInfo[]> {
    // The name goes last: it is the only field that could hold a tab.
    const format = "#{session_created}\t#{pane_pid}\t#{pane_dead}\t#{session_name}";
    const args = ["list-sessions", "-F", format];
    const res = await this.run(args, { allowFail: true });
    if (res.code !== 0) {
      if (NO_SERVER.test(res.stderr)) return [];
      throw this.failure(args, res);
    }
    return res.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [created = "", pid = "", dead = "", ...rest] = line.split("\t");
        return {
          name: rest.join("\t"),
          created: Number.parseInt(created, 10),
          panePid: toPid(pid),
          dead: dead === "1",
        };
      });
  }

  /** Kills a session; no error when it (or the whole server) is already gone. */
  async killSession(name: string): Promise<void> {
    if (!SESSION_NAME.test(name)) return;
    const args = ["kill-session", "-t", `=${name}`];
    const res = await this.run(args, { allowFail: true });
    if (res.code === 0 || NO_SERVER.test(res.stderr) || NO_SESSION.test(res.stderr)) return;
    throw this.failure(args, res);
  }

  /** The pid of the session's pane process, or null when there is no such session. */
  async panePid(name: string): Promise<number | null> {
    assertSessionName(name);
    const args = ["display-message", "-p", "-t", `=${name}:`, "#{pane_pid}"];
    const res = await this.run(args, { allowFail: true });
    if (res.code === 0) return toPid(res.stdout.trim());
    if (NO_SERVER.test(res.stderr) || NO_SESSION.test(res.stderr)) return null;
    throw this.failure(args, res);
  }

  /**
   * The pane's text, trailing blanks removed. Without `lines`: the visible screen; with it:
   * the last `lines` lines of screen plus scrollback.
   */
  async capturePane(name: string, opts: { lines?: number } = {}): Promise<string> {
    assertSessionName(name);
    // -J joins lines that the terminal width wrapped.
    const args = ["capture-pane", "-p", "-J", "-t", `=${name}:`];
    if (opts.lines !== undefined) args.push("-S", "-");
    const res = await this.run(args);
    const rows = res.stdout.split("\n").map((row) => row.trimEnd());
    while (rows.length > 0 && rows[rows.length - 1] === "") rows.pop();
    const kept = opts.lines === undefined ? rows : rows.slice(-Math.max(0, opts.lines));
    return kept.join("\n");
  }

  /**
   * The visible screen with its colours and attributes as escape sequences (`-e`), for a
   * terminal emulator to draw; plus the pane's size. Null when there is no such session.
   */
  async captureScreen(name: string): Promise<{ text: string; width: number; height: number } | null> {
    assertSessionName(name);
    const target = `=${name}:`;
    const args: Arg[] = ["display-message", "-p", "-t", target, "#{pane_width} #{pane_height}"];
    args.push(SEP, "capture-pane", "-p", "-e", "-t", target);
    const res = await this.run(args, { allowFail: true });
    if (res.code !== 0) {
      if (NO_SERVER.test(res.stderr) || NO_SESSION.test(res.stderr)) return null;
      throw this.failure(args, res);
    }
    const nl = res.stdout.indexOf("\n");
    const [w = "", h = ""] = res.stdout.slice(0, nl).split(" ");
    return {
      text: res.stdout.slice(nl + 1).replace(/\n$/, ""),
      width: Number.parseInt(w, 10) || 80,
      height: Number.parseInt(h, 10) || 24,
    };
  }

  /**
   * Appends the pane's output to `file` from now on, replacing any earlier pipe. Not `-o`:
   * with it tmux toggles, so a second call would silently stop the logging.
   */
  async pipePaneTo(name: string, file: string): Promise<void> {
    assertSessionName(name);
    await this.run(["pipe-pane", "-t", `=${name}:`, pipeCommand(file)]);
  }

  /** Sends keys to the pane: tmux key names ("Enter", "C-c"), or text as is with `literal`. */
  async sendKeys(name: string, keys: string[], opts: { literal?: boolean } = {}): Promise<void> {
    assertSessionName(name);
    const args = ["send-keys", "-t", `=${name}:`];
    if (opts.literal) args.push("-l");
    args.push("--", ...keys);
    await this.run(args);
  }

  /**
   * Pastes `text` into the session's pane the way a terminal pastes: tmux adds the bracketed-paste
   * markers when the program there asked for them (so an editor or a REPL takes a multi-line
   * paste as one), and line feeds arrive as carriage returns. Through a buffer of the session's
   * own, deleted once pasted.
   */
  async paste(name: string, text: string): Promise<void> {
    assertSessionName(name);
    const buffer = `ballador-paste-${name}`;
    await this.run([
      "set-buffer",
      "-b",
      buffer,
      "--",
      text,
      SEP,
      "paste-buffer",
      "-d",
      "-p",
      "-b",
      buffer,
      "-t",
      `=${name}:`,
    ]);
  }

  /**
   * Shows `text` on the session's status line (its right side): where Ballador's own status
   * goes while an agent owns the pane. Formats and styles in the text stay inert.
   */
  async setStatus(name: string, text: string): Promise<void> {
    assertSessionName(name);
    const target = `=${name}:`;
    await this.run([
      "set-option",
      "-t",
      target,
      "status-right-length",
      "160",
      SEP,
      "set-option",
      "-t",
      target,
      "status-right",
      escapeFormat(text),
    ]);
  }

  /** The argv a person runs to attach to the session. */
  attachArgs(name: string): string[] {
    assertSessionName(name);
    return ["tmux", ...this.globalArgs(), "attach-session", "-t", `=${name}`];
  }

  /** Stops this socket's server and every session on it (no error when none runs). */
  async killServer(): Promise<void> {
    const res = await this.run(["kill-server"], { allowFail: true });
    if (res.code === 0 || NO_SERVER.test(res.stderr)) return;
    throw this.failure(["kill-server"], res);
  }

  /** Where tmux keeps this server's socket file ($TMUX_TMPDIR or /tmp, then tmux-UID). */
  socketPath(): string {
    const dir = process.env.TMUX_TMPDIR || "/tmp";
    let base = dir;
    try {
      base = realpathSync(dir); // tmux resolves it the same way
    } catch {
      // not there: no socket either
    }
    return join(base, `tmux-${process.getuid?.() ?? 0}`, this.socket);
  }

  /**
   * Removes the socket file a stopped server leaves behind (tmux does not unlink it): only a
   * socket, never another kind of file. Returns whether one was removed.
   */
  removeSocketFile(): boolean {
    const path = this.socketPath();
    try {
      if (!lstatSync(path).isSocket()) return false;
      unlinkSync(path);
      return true;
    } catch {
      return false;
    }
  }

  private globalArgs(): string[] {
    const args = ["-L", this.socket];
    if (this.configFile !== undefined) args.push("-f", this.configFile);
    return args;
  }

  private run(args: Arg[], opts: { allowFail?: boolean } = {}): Promise<RunResult> {
    // -u: without a UTF-8 locale (a login over ssh, cron) tmux prints a format's tabs as "_", and
    // every session listed would lose its name: reconcile then took live runs for lost ones.
    const full = ["-u", ...this.globalArgs(), ...args.map((a) => (a === SEP ? ";" : tmuxArg(a)))];
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Set when Ballador runs inside someone's tmux; it has no business in this server.
    delete env.TMUX;
    delete env.TMUX_PANE;
    return new Promise((resolve, reject) => {
      execFile(
        "tmux",
        full,
        { env, encoding: "utf8", timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (!error) {
            resolve({ stdout, stderr, code: 0 });
            return;
          }
          if ((error as NodeJS.ErrnoException).code === "ENOENT") {
            reject(
              new TmuxMissingError(
                "tmux was not found on PATH (install it, e.g. `apt-get install tmux` or `brew install tmux`)",
                args.map((a) => (a === SEP ? ";" : a)),
                null,
                "",
              ),
            );
            return;
          }
          const code = typeof error.code === "number" ? error.code : null;
          const res = { stdout, stderr, code: code ?? -1 };
          if (code !== null && opts.allowFail) resolve(res);
          else reject(this.failure(args, res, error.message));
        },
      );
    });
  }

  private failure(args: Arg[], res: RunResult, fallback = ""): TmuxError {
    const stderr = res.stderr.trim();
    const detail = stderr || fallback.trim();
    const words = args.map((a) => (a === SEP ? ";" : a));
    return new TmuxError(
      `tmux -L ${this.socket} ${words.join(" ")} failed (exit ${res.code})${detail ? `: ${detail}` : ""}`,
      words,
      res.code,
      stderr,
    );
  }
}

/** The size of every session Ballador opens (its log is rendered at this size). */
export const SESSION_SIZE = { cols: 200, rows: 50 } as const;

/** The shell command pipe-pane runs (tmux uses /bin/sh) to append to `file`. */
function pipeCommand(file: string): string {
  // pipe-pane's command is format-expanded before the shell sees it.
  return escapeFormat(`exec cat >> ${shellQuote(file)}`);
}

function assertSessionName(name: string): void {
  if (!SESSION_NAME.test(name)) {
    throw new TmuxError(
      `invalid tmux session name: "${name}" (use sessionNameFor to derive one)`,
      [],
      null,
      "",
    );
  }
}

function toPid(text: string): number | null {
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}
