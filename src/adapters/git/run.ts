import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";

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
export class GitError extends Error {
  override name = "GitError";
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
    readonly cwd: string,
  ) {
    super(message);
  }

  /** The command as a person would read it (not meant to be pasted into a shell). */
  get command(): string {
    return ["git", ...this.args].join(" ");
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

function childEnv(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of LOCATION_VARS) delete env[name];
  // Never block on a credential prompt: nobody is at this terminal for us.
  env.GIT_TERMINAL_PROMPT = "0";
  return { ...env, ...extra };
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

/** Runs git with an argument array (no shell), in `cwd`. */
export function git(args: string[], opts: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd: opts.cwd, env: childEnv(opts.env), maxBuffer: MAX_BUFFER, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const errno = error as NodeJS.ErrnoException;
        if (errno.code === "ENOENT") {
          // Node reports a missing cwd with the same ENOENT as a missing binary; tell them apart.
          void isDirectory(opts.cwd).then((cwdExists) => {
            reject(
              cwdExists
                ? new GitMissingError(
                    "git was not found on PATH (install it, e.g. `apt-get install git`)",
                    args,
                    null,
                    "",
                    opts.cwd,
                  )
                : new GitError(
                    `cannot run git: directory does not exist: ${opts.cwd}`,
                    args,
                    null,
                    "",
                    opts.cwd,
                  ),
            );
          });
          return;
        }
        // A numeric code is the exit status; otherwise the process could not run or was killed.
        const code = typeof error.code === "number" ? error.code : null;
        if (code !== null && opts.allowFail) {
          resolve({ stdout, stderr, code });
          return;
        }
        reject(failure(args, code, stderr, opts.cwd, error.message));
      },
    );
  });
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
