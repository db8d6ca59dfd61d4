import { AsyncLocalStorage } from "node:async_hooks";
import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { CommandError } from "../process/command-error.js";

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface GitOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** When true a non-zero exit is returned instead of thrown. */
  allowFail?: boolean;
}

/** A git command failed (non-zero exit, or it could not be started). */
export class GitError extends CommandError {
  override name = "GitError";
  constructor(
    message: string,
    args: readonly string[],
    code: number | null,
    stderr: string,
    readonly cwd: string,
  ) {
    super(message, "git", args, code, stderr);
  }
}

/** The git binary is not on PATH. */
export class GitMissingError extends GitError {
  override name = "GitMissingError";
}

/** The directory is not inside a git repository. */
export class NotAGitRepoError extends GitError {
  override name = "NotAGitRepoError";
}

// Variables that would redirect git away from the repository that `cwd` points at. They leak
// in when Ballador itself runs from a git hook, and would then make every call act on the
// wrong repository.
const LOCATION_VARS = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_COMMON_DIR",
  "GIT_PREFIX",
  "GIT_NAMESPACE",
];

/**
 * Roots whose git repository is not at `<root>/.git`: a jj repository that is not colocated keeps
 * its git store at `.jj/repo/store/git` (a bare repository). A call whose cwd is exactly such a
 * root gets GIT_DIR set to that store; every other call discovers its repository as usual. Set
 * only by the host for the person's root (findRoot), never from a path an agent wrote.
 */
const storeOfRoot = new Map<string, string>();

/** Host-side git calls in `root` use the bare git repository `gitDir` (see storeOfRoot). */
export function useGitStore(root: string, gitDir: string): void {
  storeOfRoot.set(root, gitDir);
}

/** The bare git repository registered for `root` (useGitStore), or null. */
export function gitStoreFor(root: string): string | null {
  return storeOfRoot.get(root) ?? null;
}

function childEnv(extra: NodeJS.ProcessEnv | undefined, cwd: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of LOCATION_VARS) delete env[name];
  // Never block on a credential prompt: nobody is at this terminal for us.
  env.GIT_TERMINAL_PROMPT = "0";
  const store = storeOfRoot.get(cwd);
  return { ...env, ...extra, ...(store ? { GIT_DIR: store } : {}) };
}

// Large enough for a status or diff listing of a big monorepo.
const MAX_BUFFER = 256 * 1024 * 1024;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Settings every git command Ballador runs gets, because many of them run in trees an agent
 * wrote: no hooks (a hook is code), no fsmonitor (a hook by another name), no untracked cache
 * (data an agent wrote), no recursion into submodules (whose URLs and config an agent wrote).
 * And no `git maintenance run --auto` after a commit or merge of Ballador's: one more process
 * per run for housekeeping the person's own git does anyway.
 */
const HARDENING = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "core.untrackedCache=false",
  "-c",
  "submodule.recurse=false",
  "-c",
  "maintenance.auto=false",
];

/**
 * Drivers the repository's config defines are run by git wherever a tree's .gitattributes
 * names them, and an agent writes .gitattributes: every filter becomes a pass-through and
 * every merge driver git's own three-way text merge, for Ballador's commands only.
 */
const driverCache = new Map<string, Promise<string[]>>();

function driverOverrides(cwd: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  let cached = driverCache.get(cwd);
  if (!cached) {
    cached = new Promise((resolve) => {
      execFile(
        "git",
        [...HARDENING, "config", "--null", "--get-regexp", "^(filter|merge)\\."],
        { cwd, env, maxBuffer: 1024 * 1024, encoding: "utf8" },
        (error, stdout) => {
          if (error) {
            resolve([]);
            return;
          }
          const filters = new Set<string>();
          const merges = new Set<string>();
          for (const entry of stdout.split("\0")) {
            const key = entry.split("\n")[0] ?? "";
            const m = /^(filter|merge)\.(.+)\.([^.]+)$/.exec(key);
            if (!m) continue;
            if (m[1] === "filter") filters.add(m[2] as string);
            else if (m[3] === "driver") merges.add(m[2] as string);
          }
          const out: string[] = [];
          for (const f of filters)
            out.push(
              "-c",
              `filter.${f}.process=`,
              "-c",
              `filter.${f}.clean=cat`,
              "-c",
              `filter.${f}.smudge=cat`,
            );
          for (const d of merges)
            out.push("-c", `merge.${d}.driver=git merge-file --marker-size=%L %A %O %B`);
          resolve(out);
        },
      );
    });
    driverCache.set(cwd, cached);
  }
  return cached;
}

/** Subcommands that may run an external diff or a textconv driver a tree's attributes name. */
const DIFFING = new Set(["diff", "log", "show", "format-patch", "diff-tree", "diff-index", "diff-files"]);

/** The arguments git really gets: the hardening, the driver overrides, then the command. */
export async function hardenedArgs(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const overrides = await driverOverrides(cwd, env);
  const [sub, ...rest] = args;
  const command =
    sub !== undefined && DIFFING.has(sub) ? [sub, "--no-ext-diff", "--no-textconv", ...rest] : [...args];
  return [...HARDENING, ...overrides, ...command];
}

/** What one git process left: its error (null: exit 0) and its output. */
interface Outcome {
  error: (Error & { code?: unknown }) | null;
  stdout: string;
  stderr: string;
}

function spawnGit(full: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile("git", full, { cwd, env, maxBuffer: MAX_BUFFER, encoding: "utf8" }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    );
  });
}

/**
 * One reading of the repositories (issue 35): inside withGitFacts, a question git answers from
 * refs and objects alone, asked again with the same arguments in the same folder, gets the
 * first answer instead of another process. Any other command (one that may move a ref, write
 * a tree or change config) forgets every answer, so Ballador's own writes are always seen.
 */
const factScope = new AsyncLocalStorage<{ answers: Map<string, Promise<Outcome>>; open: boolean }>();

/**
 * Runs `work` as one reading (see factScope). A callback it left behind that runs git after it
 * ended (a timer, a child's exit) asks git again: the reading ends with `work`.
 */
export async function withGitFacts<T>(work: () => Promise<T>): Promise<T> {
  const reading = { answers: new Map<string, Promise<Outcome>>(), open: true };
  try {
    return await factScope.run(reading, work);
  } finally {
    reading.open = false;
    reading.answers.clear();
  }
}

/** Subcommands whose answer depends on refs and objects only, never on a checkout's files. */
const OBJECT_READS = new Set([
  "rev-parse",
  "merge-base",
  "for-each-ref",
  "ls-tree",
  "log",
  "merge-tree",
  "show-ref",
]);
/**
 * Commands that neither move a ref nor write what the reads above see (reads of a checkout, a
 * clean checkout made or removed): nothing to forget. Anything else forgets every answer.
 */
const NEUTRAL = [
  /^(rev-parse|diff|cat-file|ls-files|check-ref-format|status) /,
  /^symbolic-ref --quiet HEAD$/,
  /^config (--get|--null --get)/,
  /^worktree (prune|list|remove|add --detach)/,
];

/** Whether an answer to `args` may be reused inside a reading (see factScope). */
function isObjectRead(args: readonly string[]): boolean {
  const [sub, ...rest] = args;
  if (sub === undefined) return false;
  // rev-parse without --verify can answer about the checkout (--show-toplevel, --git-dir).
  if (sub === "rev-parse") return rest[0] === "--verify";
  if (sub === "cat-file") return rest[0] === "-t" || rest[0] === "-e";
  if (sub === "diff") {
    // Two commits or a range: never the working tree or the index.
    if (rest.some((a) => a === "--cached" || a === "--staged" || a === "--no-index")) return false;
    const end = rest.indexOf("--");
    const revs = (end < 0 ? rest : rest.slice(0, end)).filter((a) => !a.startsWith("-"));
    return revs.length >= 2 || revs.some((a) => a.includes(".."));
  }
  return OBJECT_READS.has(sub);
}

/** The process's outcome, asked once per reading when it is an object read. */
function outcomeOf(
  args: string[],
  full: string[],
  opts: GitOptions,
  env: NodeJS.ProcessEnv,
): Promise<Outcome> {
  const reading = factScope.getStore();
  if (!reading?.open) return spawnGit(full, opts.cwd, env);
  const answers = reading.answers;
  if (!isObjectRead(args)) {
    if (!NEUTRAL.some((re) => re.test(args.join(" ")))) answers.clear();
    return spawnGit(full, opts.cwd, env);
  }
  const key = JSON.stringify([opts.cwd, opts.env ?? null, args]);
  let answer = answers.get(key);
  if (!answer) {
    answer = spawnGit(full, opts.cwd, env);
    answers.set(key, answer);
  }
  return answer;
}

/**
 * Commands that never run a filter, a merge driver or a diff driver, whatever the config and
 * the attributes say (they read refs and objects as stored): the driver overrides would change
 * nothing, so their lookup (one `git config` per folder and process) is skipped (issue 35).
 */
const DRIVERLESS = new Set([
  "rev-parse",
  "for-each-ref",
  "show-ref",
  "update-ref",
  "symbolic-ref",
  "check-ref-format",
  "merge-base",
  "ls-tree",
  "config",
]);

function needsOverrides(args: readonly string[]): boolean {
  const [sub, ...rest] = args;
  if (sub === "cat-file") return rest.some((a) => a.startsWith("--filters") || a.startsWith("--textconv"));
  return !DRIVERLESS.has(sub ?? "");
}

/** Runs git with an argument array (no shell), in `cwd`, hardened (see HARDENING). */
export async function git(args: string[], opts: GitOptions): Promise<GitResult> {
  const env = childEnv(opts.env, opts.cwd);
  const full = needsOverrides(args)
    ? await hardenedArgs(args, opts.cwd, env).catch(() => [...HARDENING, ...args])
    : [...HARDENING, ...args];
  const { error, stdout, stderr } = await outcomeOf(args, full, opts, env);
  if (!error) return { stdout, stderr, code: 0 };
  const errno = error as NodeJS.ErrnoException;
  if (errno.code === "ENOENT") throw await notStarted(args, opts.cwd);
  // A numeric code is the exit status; otherwise the process could not run or was killed.
  const code = typeof error.code === "number" ? error.code : null;
  if (code !== null && opts.allowFail) return { stdout, stderr, code };
  throw failure(args, code, stderr, opts.cwd, error.message);
}

/** Node reports a missing cwd with the same ENOENT as a missing binary; tell them apart. */
async function notStarted(args: string[], cwd: string): Promise<GitError> {
  return (await isDirectory(cwd))
    ? new GitMissingError(
        "git was not found on PATH (install it, e.g. `apt-get install git`)",
        args,
        null,
        "",
        cwd,
      )
    : new GitError(`cannot run git: directory does not exist: ${cwd}`, args, null, "", cwd);
}

function failure(
  args: string[],
  code: number | null,
  stderr: string,
  cwd: string,
  fallback: string,
): GitError {
  const detail = stderr.trim() || fallback.trim();
  const status = code === null ? "could not run" : `exited with code ${code}`;
  return new GitError(
    `git ${args.join(" ")} ${status} (in ${cwd})${detail ? `: ${detail}` : ""}`,
    args,
    code,
    stderr.trim(),
    cwd,
  );
}

/** Builds the error for a result that `allowFail` let through but the caller cannot accept. */
export function gitFailure(args: string[], result: GitResult, cwd: string): GitError {
  return failure(args, result.code, result.stderr, cwd, "");
}

/** Rejects values that git would parse as an option. */
export function assertNotOption(kind: string, value: string): void {
  if (value.startsWith("-")) {
    throw new GitError(
      `refusing ${kind} "${value}": it starts with "-" and would be read as an option`,
      [],
      null,
      "",
      "",
    );
  }
}
