// Which tool a repository uses, and whether this machine's jj is new enough.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The oldest jj Ballador runs with: the version its tests drive (Debian unstable's 0.46.0).
 * Earlier versions spell commands and templates differently (`jj util snapshot`, `workspace add
 * --name`, template methods on bookmarks) and are not tested.
 */
export const JJ_MINIMUM = "0.46.0";

export type Vcs = "git" | "jj";

/** `jj` when the folder holds a `.jj` repository (colocated with git or not), else `git`. */
export function detectVcs(root: string): Vcs {
  try {
    return statSync(join(root, ".jj", "repo")).isDirectory() ? "jj" : "git";
  } catch {
    return "git";
  }
}

/** Whether the jj repository shares its git folder with a `.git` beside `.jj` (colocated). */
export function isColocated(root: string): boolean {
  const target = join(root, ".jj", "repo", "store", "git_target");
  return (
    existsSync(join(root, ".git")) &&
    existsSync(target) &&
    !readFileSync(target, "utf8").trim().endsWith("store/git")
  );
}

/** The folder of the git repository jj stores its commits in. */
export function gitStoreOf(root: string): string {
  const target = readFileSync(join(root, ".jj", "repo", "store", "git_target"), "utf8").trim();
  return target.startsWith("/") ? target : join(root, ".jj", "repo", "store", target);
}

function parts(version: string): number[] {
  return version.split(".").map((n) => Number.parseInt(n, 10) || 0);
}

/** a >= b for dotted versions. */
export function atLeast(a: string, b: string): boolean {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** jj's version (`0.46.0`), or null when no jj runs. */
export function jjVersion(program = "jj"): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(program, ["--version"], { timeout: 10_000, encoding: "utf8" }, (error, stdout) => {
      resolve(error ? null : (/^jj (\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? null));
    });
  });
}
