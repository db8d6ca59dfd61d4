// A jj repository that is not colocated: its git store is its own, inside `.jj/repo/store/git`.
import { lstatSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type JjOptions, jj } from "./run.js";

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

/**
 * Writes jj's bookmarks to its git store's branches (`jj git export`). A repository that is not
 * colocated does it only when asked (measured with jj 0.46: a bookmark jj sets is no git branch
 * until then); Ballador reads the base and the tasks' bookmarks through git, so it asks before a
 * command reads them. jj leaves a branch that git moved since its last import as it is (and says
 * so), so a concurrent merge of Ballador's (update-ref, then `jj git import`) is never undone.
 */
export async function exportGitRefs(root: string, opts: JjOptions = {}): Promise<void> {
  await jj(root, ["git", "export"], opts);
}

/**
 * The files the person's working copy changes against its parent, as `git status --porcelain`
 * lines would name them (`XY path`), for a repository with no git work tree (its own store is
 * bare). jj snapshots the person's checkout first, as any jj command of theirs does: never call
 * it on an agent's workspace.
 */
export async function workingCopyChanges(root: string, opts: JjOptions = {}): Promise<string> {
  const r = await jj(root, ["diff", "--summary", "-r", "@"], { ...opts, touchWorkingCopy: true });
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => `${line.slice(0, 1)}  ${line.slice(2)}`)
    .join("\n");
}
