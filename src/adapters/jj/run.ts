// Every jj call Ballador makes, as argument arrays, from the repository's own root: never from an
// agent's workspace (its working-copy state and any config file there are the agent's writing).
import { execFile } from "node:child_process";
import { CommandError } from "../process/command-error.js";

/** A jj command failed (non-zero exit, or it could not be started: `code` null). */
export class JjError extends CommandError {
  override name = "JjError";
}

export interface JjOptions {
  /** Let jj snapshot the default workspace (the person's checkout); false for everything else. */
  touchWorkingCopy?: boolean;
  allowFail?: boolean;
  /** The jj program (default `jj` on PATH). */
  program?: string;
  /** Load the repository at this operation (`--at-op`), not at its heads. */
  atOp?: string;
}

export interface JjResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Settings on every host-side call: no pager, no colour, no editor (nobody is at this terminal for
 * Ballador), and `--ignore-working-copy` unless the call must update a working copy: host-side jj
 * then never snapshots a tree an agent wrote. jj runs no git hooks (its git backend writes
 * objects itself; it shells out to git only for fetch and push), so git's hook settings do not
 * apply; the repository's config (`.jj/repo/config.toml`) is the person's and is read-only in a
 * run's sandbox.
 */
export function hostArgs(repo: string, args: readonly string[], opts: JjOptions = {}): string[] {
  return [
    "--repository",
    repo,
    "--no-pager",
    "--color",
    "never",
    "--config",
    'ui.editor="false"',
    ...(opts.touchWorkingCopy ? [] : ["--ignore-working-copy"]),
    ...(opts.atOp ? ["--at-op", opts.atOp] : []),
    ...args,
  ];
}

/** Runs jj on `repo` (its root folder) with the host's settings. */
export function jj(repo: string, args: readonly string[], opts: JjOptions = {}): Promise<JjResult> {
  const program = opts.program ?? "jj";
  const full = hostArgs(repo, args, opts);
  return new Promise((resolve, reject) => {
    execFile(
      program,
      full,
      {
        cwd: repo,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, JJ_EDITOR: "false" },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        if (code === 0 || (opts.allowFail && code !== null)) {
          resolve({ stdout, stderr, code: code ?? 1 });
          return;
        }
        const why =
          code === null ? `cannot run ${program}: ${error?.message}` : stderr.trim() || `exit ${code}`;
        reject(new JjError(`jj ${args.join(" ")}: ${why}`, program, full, code, stderr));
      },
    );
  });
}
