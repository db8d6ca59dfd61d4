/**
 * Paths and environments shared by launch, the supervisor and the lifecycle commands.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { writeAtomic } from "../adapters/runfolder/index.js";
import type { Config } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { shellQuote } from "../core/shell.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { reportShim } from "./report-shim.js";

export { PACKAGE_ROOT };
export const CLI_ENTRY = join(PACKAGE_ROOT, "bin", "ballador.js");
/** The bundle's entry when built (one file to load, not eighty), else the compiled module. */
export const SUPERVISOR_ENTRY = ((bundled) =>
  existsSync(bundled) ? bundled : join(PACKAGE_ROOT, "dist", "cli", "supervisor-main.js"))(
  join(PACKAGE_ROOT, "dist", "bundle", "supervisor.js"),
);

/**
 * V8's options for each supervisor (bench `memory`, docs/specs/0017-cost-startup.md):
 * - a young generation of 1 MiB semi-spaces instead of up to 16: a supervisor lives as long as
 *   its agent and allocates little once the agent runs, so the larger young generation only
 *   held start-up's garbage (about 3-7 MiB of each supervisor's proportional memory);
 * - `--single-threaded`: V8 collects and compiles on the main thread, with no helper threads
 *   of its own (about 1.2 MiB less each; the CPU per trivial task did not move).
 */
export const SUPERVISOR_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--single-threaded"];

export function worktreeRootFor(config: Config, repoRoot: string): string {
  const raw = config.worktree_root.replaceAll("{repo}", basename(repoRoot));
  return resolve(repoRoot, raw);
}

/** The worktree of a task; ids are validated, and the result is checked to stay under the root. */
export function worktreePathFor(config: Config, repoRoot: string, taskId: string): string {
  const root = worktreeRootFor(config, repoRoot);
  const path = resolve(root, taskId);
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel) || rel.includes(sep)) {
    throw new UserError(`task id "${taskId}" would leave the worktree root ${root}`);
  }
  return path;
}

export function branchFor(config: Config, taskId: string): string {
  return `${config.branch_prefix}${taskId}`;
}

/**
 * A folder with `ballador` and `ballador-scripted-agent` shims, put first on every agent's PATH,
 * so agents reach the same Ballador that launched them. `ballador` takes an agent's reports on
 * itself, without Node (report-shim.ts, spec 0018).
 */
export function ensureShimDir(stateDir: string): string {
  const dir = join(stateDir, "bin");
  mkdirSync(dir, { recursive: true });
  const agent = join(PACKAGE_ROOT, "bin", "ballador-scripted-agent.js");
  const shims: Record<string, string> = {
    ballador: reportShim(process.execPath, CLI_ENTRY),
    "ballador-scripted-agent": `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(agent)} "$@"\n`,
  };
  for (const [name, text] of Object.entries(shims)) {
    const path = join(dir, name);
    if (existsSync(path) && readFileSync(path, "utf8") === text) continue;
    writeAtomic(path, text);
    chmodSync(path, 0o755);
  }
  return dir;
}

/** Variables every run, hook and verify command receives. */
export interface RunIdentity {
  taskId: string;
  runId: string;
  worktree: string;
  branch: string;
  attempt: number;
  runDir: string;
  promptFile: string;
}

export function runVariables(id: RunIdentity): Record<string, string> {
  return {
    BALLADOR_TASK_ID: id.taskId,
    BALLADOR_RUN_ID: id.runId,
    BALLADOR_WORKTREE: id.worktree,
    BALLADOR_BRANCH: id.branch,
    BALLADOR_ATTEMPT: String(id.attempt),
    BALLADOR_RUN_DIR: id.runDir,
    BALLADOR_PROMPT_FILE: id.promptFile,
  };
}

/** The minimal base environment (default-deny): what any program needs to run, nothing secret. */
export function baseEnvironment(host: NodeJS.ProcessEnv, shimDir: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${shimDir}:${host.PATH ?? "/usr/local/bin:/usr/bin:/bin"}`,
    HOME: host.HOME ?? "/tmp",
    TERM: host.TERM && host.TERM !== "dumb" ? host.TERM : "xterm-256color",
    LANG: host.LANG ?? "C.UTF-8",
  };
  for (const k of ["USER", "LOGNAME", "SHELL", "TZ", "LC_ALL", "TMPDIR", "COLORTERM"]) {
    const v = host[k];
    if (v) env[k] = v;
  }
  return env;
}

/**
 * The environment of everything a run executes (agent, bootstrap, hooks, verify): the minimal
 * base, the run's HOME, and the run's identity. Profile variables and secrets are added only
 * for the agent, by the supervisor.
 */
export function runEnvironment(
  host: NodeJS.ProcessEnv,
  shimDir: string,
  home: string,
  id: RunIdentity,
): Record<string, string> {
  return { ...baseEnvironment(host, shimDir), HOME: home, ...runVariables(id) };
}

/** Expands {prompt}, {prompt_file}, {task}, {worktree} inside each argument (never re-split). */
export function expandCommand(
  command: readonly string[],
  values: { prompt: string; promptFile: string; task: string; worktree: string },
): string[] {
  return command.map((arg) =>
    arg.replace(/\{(prompt|prompt_file|task|worktree)\}/g, (_, key: string) => {
      switch (key) {
        case "prompt":
          return values.prompt;
        case "prompt_file":
          return values.promptFile;
        case "task":
          return values.task;
        default:
          return values.worktree;
      }
    }),
  );
}
