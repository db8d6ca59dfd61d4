// Where a jj repository that is not colocated keeps its git store (`.jj/repo/store/git`): file
// lookups only, here beside the registry of such stores (run.ts, useGitStore), so that finding a
// project's root loads none of the jj adapter (src/adapters/jj runs jj itself).
import { lstatSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Whether `path` is a directory itself (a symbolic link to one is not). */
function isRealDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The git store of the jj repository at `root` when it is jj's own (`git_target` is `git`, the
 * store a real folder at `.jj/repo/store/git`: `jj git init` without `--colocate`), else null
 * (no jj repository there, a colocated one, or one whose store lives elsewhere).
 */
export function ownGitStore(root: string): string | null {
  const store = join(root, ".jj", "repo", "store");
  if (!isRealDirectory(join(root, ".jj", "repo"))) return null;
  let target: string;
  try {
    target = readFileSync(join(store, "git_target"), "utf8").trim();
  } catch {
    return null;
  }
  if (target !== "git") return null;
  const git = join(store, "git");
  return isRealDirectory(git) ? git : null;
}

/**
 * The nearest folder at or above `cwd` that is the root of a jj repository with its own git store
 * (see ownGitStore), and that store; null when a `.git` comes first (git finds that repository)
 * or nothing is found. A secondary jj workspace's `.jj/repo` is a file: the search goes on above.
 */
export function ownStoreRootAbove(cwd: string): { root: string; store: string } | null {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    try {
      lstatSync(join(dir, ".git"));
      return null;
    } catch {
      // No .git here: a jj repository of its own, or keep looking above.
    }
    const store = ownGitStore(dir);
    if (store) return { root: dir, store };
    if (dirname(dir) === dir) return null;
  }
}
