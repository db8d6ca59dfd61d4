/**
 * Shared helpers for tests that drive the real `ballador` executable (bin/ballador.js, built
 * into dist/ by test/global-setup.ts) against real git repositories in temporary folders.
 *
 *   const repo = await makeGitRepo();              // <tmp>/repo on branch main, one commit
 *   const r = await repo.run(["init"]);            // { code, stdout, stderr }
 *   const status = await repo.json<{ tasks: unknown[] }>(["status"]);  // adds --json, parses
 *   afterEach(cleanupTempDirs);
 *
 * Hygiene built in: every run gets XDG_CONFIG_HOME pointing into the temporary folder (the
 * person's global config never leaks in), the caller's BALLADOR_* variables are removed, and
 * git gets a fixed identity so commits work on any machine.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root (where package.json, bin/ and dist/ are). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The real executable. */
export const BIN = join(PACKAGE_ROOT, "bin", "ballador.js");
/** Absolute file URL of a module in dist/, for test scripts that import the built code. */
export function distUrl(relativePath: string): string {
  return new URL(`../../dist/${relativePath}`, import.meta.url).href;
}

/** A git identity passed through the environment, so the machine's git config does not matter. */
export const GIT_IDENTITY: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: "Ballador Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Ballador Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** The complete environment; it must set XDG_CONFIG_HOME (see cleanEnv). */
  env: NodeJS.ProcessEnv;
  /** Written to stdin, then stdin is closed. Without it stdin is /dev/null. */
  input?: string;
  /** Kill the process after this long (default 30 s) and fail. */
  timeoutMs?: number;
}

const tempDirs: string[] = [];

/** A new empty temporary folder (symlinks resolved, as git reports them), removed by cleanupTempDirs. */
export async function makeTempDir(prefix = "bl-test-"): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder made by makeTempDir / makeGitRepo. Use as afterEach(cleanupTempDirs). */
export async function cleanupTempDirs(): Promise<void> {
  const dirs = tempDirs.splice(0);
  // For looking into a failed run: BALLADOR_KEEP_TEMP=1 keeps every temp folder.
  if (process.env.BALLADOR_KEEP_TEMP) return;
  // A process of the test's (an agent whose session was just killed) may still be writing in
  // there for a moment: retried rather than failing the test on ENOTEMPTY.
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })));
}

/**
 * The test process's environment without BALLADOR_* variables, with a git identity, and with
 * XDG_CONFIG_HOME set to `xdgConfigHome`; `extra` is applied last.
 */
export function cleanEnv(xdgConfigHome: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("BALLADOR_")) env[k] = v;
  return { ...env, ...GIT_IDENTITY, NO_COLOR: "1", XDG_CONFIG_HOME: xdgConfigHome, ...extra };
}

/** Runs `node bin/ballador.js ...args`; never throws on a non-zero exit (the code is in the result). */
export function runCli(args: readonly string[], opts: RunOptions): Promise<CliResult> {
  if (!opts.env.XDG_CONFIG_HOME) {
    throw new Error("runCli: set XDG_CONFIG_HOME (use cleanEnv) so the real global config cannot leak in");
  }
  return runProgram(process.execPath, [BIN, ...args], opts);
}

/** Runs any program; resolves with its exit code and output (a signal death counts as code 128+n). */
export function runProgram(program: string, args: readonly string[], opts: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out: ${program} ${args.join(" ")}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + signalNumber(signal), stdout, stderr });
    });
    if (child.stdin) {
      // A program that exits without reading its input must not fail the test with EPIPE.
      child.stdin.on("error", () => {});
      child.stdin.end(opts.input);
    }
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : 1;
}

/** Parses a command's --json stdout, failing with the whole output when it is not JSON. */
export function parseJson<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `expected JSON on stdout (exit ${result.code})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/** Runs git, throwing with its output when it fails. */
export async function git(args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await runProgram("git", args, { cwd, env: env ?? { ...process.env, ...GIT_IDENTITY } });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export interface TestRepo {
  /** The temporary folder holding the repository (task worktrees land beside it, in here). */
  parent: string;
  /** The repository's top folder. */
  dir: string;
  /** The environment every run gets: cleanEnv(<parent>/xdg). Add to it per call with `env`. */
  env: NodeJS.ProcessEnv;
  /** Runs ballador in the repository (or in `cwd`), with `env` added to the repo's environment. */
  run(
    args: readonly string[],
    opts?: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
  ): Promise<CliResult>;
  /** Runs ballador with --json added and returns the parsed stdout, whatever the exit code. */
  json<T = unknown>(args: readonly string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<T>;
  /** Writes a file (folders created), path relative to the repository. */
  write(relativePath: string, content: string): Promise<string>;
  /** Runs git in the repository. */
  git(args: readonly string[]): Promise<string>;
}

/**
 * A git repository in a new temporary folder: <tmp>/repo on branch main with one commit
 * (README.md, plus any `files`), and an empty <tmp>/xdg used as XDG_CONFIG_HOME.
 */
export async function makeGitRepo(opts: { files?: Record<string, string> } = {}): Promise<TestRepo> {
  const parent = await makeTempDir("bl-repo-");
  const dir = join(parent, "repo");
  const xdg = join(parent, "xdg");
  await mkdir(dir);
  await mkdir(xdg);
  const env = cleanEnv(xdg);
  const files = { "README.md": "# test repo\n", ...opts.files };
  await git(["init", "-q", "-b", "main"], dir, env);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await git(["add", "-A"], dir, env);
  await git(["commit", "-q", "-m", "initial commit"], dir, env);
  const repo: TestRepo = {
    parent,
    dir,
    env,
    run: (args, o = {}) =>
      runCli(args, {
        cwd: o.cwd ?? dir,
        env: { ...env, ...o.env },
        ...(o.input !== undefined ? { input: o.input } : {}),
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      }),
    json: async <T>(args: readonly string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
      parseJson<T>(await repo.run([...args, "--json"], o)),
    write: async (relativePath, content) => {
      const full = join(dir, relativePath);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
      return full;
    },
    git: (args) => git(args, dir, env),
  };
  return repo;
}

/**
 * A git repository, and an environment whose PATH holds a stand-in for the agent `program` (it
 * answers `--version` with `version`) before /usr/bin and /bin, with an empty HOME: what
 * `ballador agents` and `doctor` find of an agent. `bin` is the stand-in's folder.
 */
export async function repoWithStandInAgent(
  program: string,
  version: string,
): Promise<{ repo: TestRepo; env: NodeJS.ProcessEnv; bin: string }> {
  const repo = await makeGitRepo();
  const bin = join(repo.parent, "bin");
  const home = join(repo.parent, "home");
  await mkdir(bin);
  await mkdir(home);
  await writeFile(join(bin, program), `#!/bin/sh\n[ "$1" = --version ] && echo "${version}"\n`);
  await chmod(join(bin, program), 0o755);
  return { repo, env: { PATH: `${bin}:/usr/bin:/bin`, HOME: home }, bin };
}
