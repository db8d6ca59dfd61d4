/**
 * Executes a validated script in the current worktree, as a coding agent would: real files, real
 * processes, real git, real `ballador` reports. Every step prints what it is about to do and how
 * it ended, so a person attached to the tmux session can follow along.
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { homedir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expandAction, type Placeholders, type Script, type Step, type StepAction } from "./script.js";

export const LOG_PREFIX = "[agent]";
export const TRANSCRIPT_FILE = "agent-transcript.jsonl";
export const FALLBACK_AUTHOR = { name: "Ballador scripted agent", email: "scripted-agent@ballador.invalid" };

export type RunOptions = {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Receives each progress line (without newline). */
  log: (line: string) => void;
  /** JSON-lines transcript; omitted when the run has no run folder. */
  transcriptPath?: string;
};

/** A step's failure: the message is what the person reads. */
class StepFailure extends Error {}

type StepResult = { detail: string };

export function placeholdersFromEnv(env: NodeJS.ProcessEnv, cwd: string): Placeholders {
  return {
    task: env.BALLADOR_TASK_ID ?? "",
    run: env.BALLADOR_RUN_ID ?? "",
    worktree: env.BALLADOR_WORKTREE ?? cwd,
    attempt: env.BALLADOR_ATTEMPT ?? "1",
  };
}

/** The command that reaches `ballador`: $BALLADOR_BIN (a JS file runs under this Node), else PATH. */
export function balladorCommand(env: NodeJS.ProcessEnv): string[] {
  const bin = env.BALLADOR_BIN;
  if (bin === undefined || bin === "") return ["ballador"];
  return /\.[cm]?js$/.test(bin) ? [process.execPath, bin] : [bin];
}

const oneLine = (text: string, max = 120): string => {
  const flat = text.replace(/\r?\n/g, "\\n");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const quoteArg = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg));

export function describeAction(action: StepAction): string {
  switch (action.kind) {
    case "write":
    case "append":
      return `${action.path} (${Buffer.byteLength(action.content)} bytes)`;
    case "edit":
      return `${action.path}: ${JSON.stringify(action.find)} -> ${JSON.stringify(action.replace)}${action.all ? " (all)" : ""}`;
    case "delete":
    case "mkdir":
    case "read":
      return action.path;
    case "run":
      return typeof action.command === "string" ? action.command : action.command.map(quoteArg).join(" ");
    case "commit":
      return action.message;
    case "note":
      return action.text;
    case "done":
      return action.summary ?? "(no summary)";
    case "blocked":
      return action.reason;
    case "ballador":
      return action.args.map(quoteArg).join(" ");
    case "http":
      return `${action.method} ${action.url}${action.expectStatus === undefined ? "" : ` (expect ${action.expectStatus})`}`;
    case "sleep":
      return `${action.ms} ms`;
    case "print":
      return action.text.split(/\r?\n/)[0] ?? "";
    case "exit":
      return `code ${action.code}`;
  }
}

type Spawned = { code: number | null; signal: NodeJS.Signals | null };

/** Runs a program with its output streamed to ours; never through a shell. */
function runProgram(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Spawned> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new StepFailure("empty command"));
  return new Promise((resolve, reject) => {
    // stdin is closed so an unexpected prompt in a child fails instead of hanging an unattended run.
    const child = spawn(program, args, { cwd, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "ENOENT" ? "not found" : err.message;
      reject(new StepFailure(`cannot start ${JSON.stringify(program)}: ${why}`));
    });
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
}

async function mustSucceed(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const { code, signal } = await runProgram(argv, cwd, env);
  if (signal !== null) throw new StepFailure(`${path.basename(argv[0] ?? "")} was killed by ${signal}`);
  if (code !== 0) throw new StepFailure(`${argv.map(quoteArg).join(" ")} exited with code ${code}`);
}

/** Runs a program quietly and returns its trimmed stdout, or undefined when it fails. */
function capture(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd, env, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", () => resolve(undefined));
    child.on("close", (code) => resolve(code === 0 ? out.trim() : undefined));
  });
}

function resolvePath(p: string, cwd: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME ?? homedir();
  const expanded = p === "~" ? home : p.startsWith("~/") ? path.join(home, p.slice(2)) : p;
  return path.resolve(cwd, expanded);
}

// Node's fs messages already name the code and the path ("EACCES: permission denied, open '/x'").
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The git environment for a commit: a fallback identity only for what git config does not set. */
async function commitEnv(cwd: string, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const out = { ...env };
  const name = env.GIT_AUTHOR_NAME ?? (await capture(["git", "config", "--get", "user.name"], cwd, env));
  const email = env.GIT_AUTHOR_EMAIL ?? (await capture(["git", "config", "--get", "user.email"], cwd, env));
  if (!name) {
    out.GIT_AUTHOR_NAME = FALLBACK_AUTHOR.name;
    out.GIT_COMMITTER_NAME ??= FALLBACK_AUTHOR.name;
  }
  if (!email) {
    out.GIT_AUTHOR_EMAIL = FALLBACK_AUTHOR.email;
    out.GIT_COMMITTER_EMAIL ??= FALLBACK_AUTHOR.email;
  }
  return out;
}

function envValue(env: NodeJS.ProcessEnv, names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

function bypassesProxy(host: string, env: NodeJS.ProcessEnv): boolean {
  const list = envValue(env, ["no_proxy", "NO_PROXY"]);
  if (list === undefined) return false;
  return list
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === "*") return true;
      const bare = entry
        .replace(/^\*?\./, "")
        .replace(/:\d+$/, "")
        .toLowerCase();
      return host === bare || host.endsWith(`.${bare}`);
    });
}

/** The proxy URL for a target, following the usual http_proxy / https_proxy / no_proxy conventions. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bypassesProxy(host, env)) return undefined;
  const raw =
    target.protocol === "https:"
      ? envValue(env, ["https_proxy", "HTTPS_PROXY"])
      : envValue(env, ["http_proxy", "HTTP_PROXY"]);
  if (raw === undefined) return undefined;
  try {
    return new URL(raw.includes("://") ? raw : `http://${raw}`);
  } catch {
    throw new StepFailure(`the proxy setting ${JSON.stringify(raw)} is not a URL`);
  }
}

type HttpAction = Extract<StepAction, { kind: "http" }>;

function httpRequest(
  action: HttpAction,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number; bytes: number; via: string }> {
  const target = new URL(action.url);
  const proxy = proxyFor(target, env);
  if (proxy && target.protocol === "https:") {
    throw new StepFailure(`https through a proxy (${proxy.host}) is not supported by the scripted agent`);
  }
  let req: http.ClientRequest;
  if (proxy) {
    // Plain-http proxying: the request line carries the absolute URI and the proxy forwards it.
    const headers: http.OutgoingHttpHeaders = { host: target.host };
    if (proxy.username) {
      const creds = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      headers["proxy-authorization"] = `Basic ${Buffer.from(creds).toString("base64")}`;
    }
    req = http.request({
      host: proxy.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: proxy.port || 80,
      method: action.method,
      path: target.href,
      headers,
      agent: false,
    });
  } else {
    // No keep-alive agent: a pooled socket would keep the process alive after the last step.
    req = (target.protocol === "https:" ? https : http).request(target, {
      method: action.method,
      agent: false,
    });
  }
  const via = proxy ? `via proxy ${proxy.host}` : "direct";
  return new Promise((resolve, reject) => {
    req.setTimeout(action.timeoutMs, () =>
      req.destroy(new Error(`no response within ${action.timeoutMs} ms`)),
    );
    req.on("error", (err) =>
      reject(new StepFailure(`${action.method} ${action.url} (${via}): ${err.message}`)),
    );
    req.on("response", (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, via }));
      res.on("error", (err) => reject(new StepFailure(`reading the response failed: ${err.message}`)));
    });
    req.end();
  });
}

async function execute(action: StepAction, opts: RunOptions): Promise<StepResult> {
  const { cwd, env } = opts;
  switch (action.kind) {
    case "write":
    case "append":
    case "edit":
    case "delete":
    case "mkdir":
    case "read":
      return fileStep(action, cwd, env);
    case "run": {
      // The string form is the one place a shell is used: the script author wrote a shell command.
      const argv = typeof action.command === "string" ? ["/bin/sh", "-c", action.command] : action.command;
      await mustSucceed(argv, cwd, env);
      return { detail: "exit code 0" };
    }
    case "commit":
      return commitStep(action, cwd, env);
    case "note":
      return reportToBallador(["note", action.text], opts);
    case "done":
      return reportToBallador(
        ["done", ...(action.summary === undefined ? [] : ["--summary", action.summary])],
        opts,
      );
    case "blocked":
      return reportToBallador(["blocked", action.reason], opts);
    case "ballador":
      return reportToBallador(action.args, opts);
    case "http":
      return httpStep(action, env);
    case "sleep":
      await sleep(action.ms);
      return { detail: `slept ${action.ms} ms` };
    case "print":
      opts.log(action.text.replace(/\r?\n$/, ""));
      return { detail: "printed" };
    case "exit":
      return { detail: `exit code ${action.code}` };
  }
}

type FileAction = Extract<StepAction, { kind: "write" | "append" | "edit" | "delete" | "mkdir" | "read" }>;

/** The steps on one file or folder (relative to the worktree, or ~/ in the agent's HOME). */
async function fileStep(action: FileAction, cwd: string, env: NodeJS.ProcessEnv): Promise<StepResult> {
  const file = resolvePath(action.path, cwd, env);
  switch (action.kind) {
    case "write":
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, action.content);
      return { detail: `wrote ${Buffer.byteLength(action.content)} bytes to ${action.path}` };
    case "append":
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, action.content);
      return { detail: `appended ${Buffer.byteLength(action.content)} bytes to ${action.path}` };
    case "edit":
      return editStep(action, file);
    case "delete":
      await rm(file, { recursive: true });
      return { detail: `deleted ${action.path}` };
    case "mkdir":
      await mkdir(file, { recursive: true });
      return { detail: `created ${action.path}` };
    case "read": {
      const data = await readFile(file);
      return { detail: `read ${data.length} bytes from ${action.path}` };
    }
  }
}

async function editStep(action: Extract<StepAction, { kind: "edit" }>, file: string): Promise<StepResult> {
  const text = await readFile(file, "utf8");
  // Split/join rather than String.replace, whose replacement string gives "$&" and friends a meaning.
  const parts = text.split(action.find);
  if (parts.length === 1)
    throw new StepFailure(`${JSON.stringify(oneLine(action.find, 60))} not found in ${action.path}`);
  const count = action.all ? parts.length - 1 : 1;
  const edited = action.all
    ? parts.join(action.replace)
    : (parts[0] ?? "") + action.replace + parts.slice(1).join(action.find);
  await writeFile(file, edited);
  return { detail: `replaced ${count} occurrence${count === 1 ? "" : "s"} in ${action.path}` };
}

/** Commits everything in the worktree (git add -A); commitEnv supplies an identity git config lacks. */
async function commitStep(
  action: Extract<StepAction, { kind: "commit" }>,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<StepResult> {
  const gitEnv = await commitEnv(cwd, env);
  await mustSucceed(["git", "add", "-A"], cwd, gitEnv);
  await mustSucceed(
    ["git", "commit", "-m", action.message, ...(action.allowEmpty ? ["--allow-empty"] : [])],
    cwd,
    gitEnv,
  );
  const head = await capture(["git", "rev-parse", "--short", "HEAD"], cwd, gitEnv);
  return { detail: `committed ${head ?? "(unknown hash)"}` };
}

/** A request that must answer with the status the script expects (by default 2xx or 3xx). */
async function httpStep(action: HttpAction, env: NodeJS.ProcessEnv): Promise<StepResult> {
  const { status, bytes, via } = await httpRequest(action, env);
  const ok =
    action.expectStatus === undefined ? status >= 200 && status < 400 : status === action.expectStatus;
  const detail = `status ${status}, ${bytes} bytes (${via})`;
  if (!ok) {
    const wanted =
      action.expectStatus === undefined ? "a 2xx or 3xx status" : `status ${action.expectStatus}`;
    throw new StepFailure(`${detail}; expected ${wanted}`);
  }
  return { detail };
}

async function reportToBallador(args: readonly string[], opts: RunOptions): Promise<StepResult> {
  const argv = [...balladorCommand(opts.env), ...args];
  await mustSucceed(argv, opts.cwd, opts.env);
  return { detail: `ballador ${args[0] ?? ""} succeeded` };
}

type TranscriptRecord = Record<string, string | number | boolean | null>;

/** Appends synchronously so the transcript survives the process being killed between steps. */
function transcriptWriter(
  file: string | undefined,
  log: (line: string) => void,
): (record: TranscriptRecord) => void {
  if (file === undefined) return () => {};
  let broken = false;
  return (record) => {
    if (broken) return;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, `${JSON.stringify({ ...record, at: new Date().toISOString() })}\n`);
    } catch (err) {
      broken = true;
      log(`${LOG_PREFIX} warning: cannot write the transcript ${file}: ${errorText(err)}`);
    }
  };
}

/**
 * Runs every step and returns the process exit code: the code of an `exit` step, 1 when a step
 * fails under `on_error: stop`, else 0 (under `on_error: continue` failures are reported, not fatal).
 */
export async function runScript(script: Script, opts: RunOptions): Promise<number> {
  const { log } = opts;
  const write = transcriptWriter(opts.transcriptPath, log);
  const values = placeholdersFromEnv(opts.env, opts.cwd);
  const total = script.steps.length;
  let failed = 0;
  let allowed = 0;
  const finish = (code: number, reason: string): number => {
    write({ end: true, exit_code: code, failed, allowed_failures: allowed, reason });
    log(`${LOG_PREFIX} ${reason}; exit code ${code}`);
    return code;
  };
  write({ start: true, steps: total, on_error: script.onError, task: values.task, run: values.run });

  for (const step of script.steps) {
    const action = expandAction(step.action, values);
    const flags = [step.allowFail ? "allow_fail" : "", step.expectFail ? "expect_fail" : ""].filter(Boolean);
    log(
      `${LOG_PREFIX} ${step.index}/${total} ${action.kind}: ${oneLine(describeAction(action))}${flags.length ? ` [${flags.join(", ")}]` : ""}`,
    );
    const started = performance.now();
    let outcome: { ok: true; detail: string } | { ok: false; error: string };
    try {
      outcome = { ok: true, ...(await execute(action, opts)) };
    } catch (err) {
      outcome = { ok: false, error: errorText(err) };
    }
    const ms = Math.round(performance.now() - started);
    const verdict = judge(step, outcome);
    const isAllowed = !verdict.ok && step.allowFail;
    if (!verdict.ok) {
      if (isAllowed) allowed++;
      else failed++;
    }
    write({
      index: step.index,
      kind: action.kind,
      ok: verdict.ok,
      error: verdict.ok ? null : verdict.error,
      detail: verdict.detail,
      ms,
      allow_fail: step.allowFail,
      expect_fail: step.expectFail,
    });
    const status = verdict.ok ? verdict.label : isAllowed ? "failed (allowed)" : "FAILED";
    log(
      `${LOG_PREFIX}     ${status} in ${ms} ms: ${oneLine(verdict.ok ? verdict.detail : verdict.error, 300)}`,
    );

    if (action.kind === "exit") return finish(action.code, `exit step ${step.index}/${total}`);
    if (!verdict.ok && !isAllowed && script.onError === "stop") {
      return finish(1, `stopped at step ${step.index}/${total} (on_error: stop)`);
    }
  }
  const tally = [
    failed ? `${failed} failed` : "",
    allowed ? `${allowed} allowed failure${allowed === 1 ? "" : "s"}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return finish(0, `finished ${total} step${total === 1 ? "" : "s"}${tally ? `: ${tally}` : ", all ok"}`);
}

type Verdict = { ok: true; label: string; detail: string } | { ok: false; error: string; detail: string };

/** Applies expect_fail: a step that must fail succeeds only by failing. */
function judge(step: Step, outcome: { ok: true; detail: string } | { ok: false; error: string }): Verdict {
  if (!step.expectFail) {
    return outcome.ok
      ? { ok: true, label: "ok", detail: outcome.detail }
      : { ok: false, error: outcome.error, detail: outcome.error };
  }
  return outcome.ok
    ? {
        ok: false,
        error: `expected this step to fail, but it succeeded (${outcome.detail})`,
        detail: outcome.detail,
      }
    : { ok: true, label: "failed as expected", detail: outcome.error };
}
