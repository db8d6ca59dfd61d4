import { stat } from "node:fs/promises";
import { branchExists, isValidBranchName, resolveCommit, splitNul } from "./repo.js";
import { assertNotOption, GitError, git } from "./run.js";

export interface AddWorktreeOptions {
  /** Any directory of the repository (usually the main checkout). */
  repo: string;
  /** Where the new worktree goes; must not exist yet (or be an empty directory). */
  path: string;
  branch: string;
  /** Revision to cut `branch` from when it does not exist yet. */
  base: string;
  /** What the caller already checked: the name is valid, whether the branch exists, the base's commit. */
  checked?: { branchExists: boolean; baseCommit: string };
}

/**
 * Adds a worktree on `branch`. An existing branch is checked out as it is (its commits kept,
 * never reset); a missing one is created from `base`.
 */
export async function addWorktree(opts: AddWorktreeOptions): Promise<{ createdBranch: boolean }> {
  const { repo, path, branch, base } = opts;
  // A caller that has just checked the name, the branch and the base (launch) passes what it
  // found: three git processes fewer per task.
  const known = opts.checked;
  if (!known && !(await isValidBranchName(branch))) {
    throw new GitError(`invalid branch name: "${branch}"`, [], null, "", repo);
  }
  if (known ? known.branchExists : await branchExists(repo, branch)) {
    // With a plain local branch name, `worktree add` checks that branch out (no detach, no reset).
    await racing(() => git(["worktree", "add", "--", path, branch], { cwd: repo }));
    return { createdBranch: false };
  }
  assertNotOption("base", base);
  // Resolving first pins the base to one commit, so a base that is also a path or an odd
  // revision expression cannot change what `worktree add` does.
  const sha = known ? known.baseCommit : await resolveCommit(repo, base);
  if (sha === null || !/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new GitError(`base "${base}" does not name a commit`, [], null, "", repo);
  }
  // --no-track: a task branch should not adopt the base (maybe a remote branch) as upstream.
  let first = true;
  await racing(async () => {
    // `-b` makes the branch before it looks at the other worktrees, where the race is lost: a
    // second try checks out the branch the first one made.
    if (first || !(await branchExists(repo, branch))) {
      first = false;
      await git(["worktree", "add", "--no-track", "-b", branch, "--", path, sha], { cwd: repo });
    } else await git(["worktree", "add", "--", path, branch], { cwd: repo });
  });
  return { createdBranch: true };
}

/**
 * Adds a detached worktree at `commit` (a verification, a merge or an update tree, Ballador's
 * own), with the same retry as addWorktree: other adds and prunes run at the same time.
 */
export async function addDetachedWorktree(repo: string, path: string, commit: string): Promise<void> {
  assertNotOption("commit", commit);
  await racing(() => git(["worktree", "add", "--detach", "--quiet", path, commit], { cwd: repo }));
}

/**
 * Several `worktree add` at once (every session provisions itself), or one beside a `worktree
 * prune`, can catch an administrative folder half made: git then dies with "failed to read
 * .git/worktrees/X/commondir", or cannot write its gitdir or its "locked" marker (a prune
 * removed the folder between its mkdir and that first write), before it changed anything. That
 * one error is retried, after a short random pause.
 */
async function racing(add: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await add();
      return;
    } catch (err) {
      const text = err instanceof GitError ? `${err.message}\n${err.stderr}` : String(err);
      if (attempt >= 8 || !/worktrees\/[^/\s]+\/(commondir|gitdir|HEAD|locked)/.test(text)) throw err;
      await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 80) * attempt));
    }
  }
}

/**
 * Removes a worktree. `force` removes it even with local changes (a locked worktree still
 * refuses); `evenLocked` also past a lock (the lock file is in the worktree's private git folder,
 * which a sandboxed agent writes). A worktree whose directory is already gone is pruned instead.
 */
export async function removeWorktree(
  repo: string,
  path: string,
  opts: { force?: boolean; evenLocked?: boolean } = {},
): Promise<void> {
  if (!(await exists(path))) {
    await pruneWorktrees(repo);
    return;
  }
  const args = ["worktree", "remove"];
  if (opts.force || opts.evenLocked) args.push("--force");
  if (opts.evenLocked) args.push("--force");
  args.push("--", path);
  await git(args, { cwd: repo });
}

/** Forgets worktrees whose directories no longer exist. */
export async function pruneWorktrees(repo: string): Promise<void> {
  await git(["worktree", "prune"], { cwd: repo });
}

export interface WorktreeInfo {
  path: string;
  /** Commit checked out; null for a bare repository entry. */
  head: string | null;
  /** Short branch name; null when detached or bare. */
  branch: string | null;
  locked: boolean;
  prunable: boolean;
}

/** All worktrees of the repository, the main checkout first. */
export async function listWorktrees(repo: string): Promise<WorktreeInfo[]> {
  const res = await git(["worktree", "list", "--porcelain", "-z"], { cwd: repo });
  return parseWorktreeList(res.stdout);
}

/**
 * Parses `git worktree list --porcelain -z`: attribute lines end in NUL and an empty
 * field (two NULs in a row) closes each worktree.
 */
export function parseWorktreeList(text: string): WorktreeInfo[] {
  const out: WorktreeInfo[] = [];
  let current: WorktreeInfo | null = null;
  for (const field of text.split("\0")) {
    if (field === "") {
      if (current) out.push(current);
      current = null;
      continue;
    }
    const space = field.indexOf(" ");
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? "" : field.slice(space + 1);
    if (key === "worktree") {
      if (current) out.push(current);
      current = { path: value, head: null, branch: null, locked: false, prunable: false };
      continue;
    }
    if (!current) continue;
    if (key === "HEAD") current.head = value;
    else if (key === "branch")
      current.branch = value.startsWith("refs/heads/") ? value.slice("refs/heads/".length) : value;
    else if (key === "locked") current.locked = true;
    else if (key === "prunable") current.prunable = true;
  }
  if (current) out.push(current);
  return out;
}

/** Paths with uncommitted changes or untracked files (not ignored ones) in a worktree. */
export async function dirtyFiles(worktree: string): Promise<string[]> {
  // An agent wrote this tree: no fsmonitor hook, and no descent into nested repositories, whose
  // config (and its hooks) the agent controls.
  const res = await git(
    [
      "-c",
      "core.fsmonitor=false",
      "status",
      "--porcelain",
      "-z",
      "--untracked-files=all",
      "--ignore-submodules=all",
    ],
    {
      cwd: worktree,
    },
  );
  return parseStatus(res.stdout);
}

/**
 * Parses `git status --porcelain -z` (v1): "XY path" entries; a rename or copy is followed
 * by one more field holding the source path, which is reported too.
 */
export function parseStatus(text: string): string[] {
  const fields = splitNul(text);
  const paths = new Set<string>();
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i] ?? "";
    const xy = entry.slice(0, 2);
    paths.add(entry.slice(3));
    if (xy.includes("R") || xy.includes("C")) {
      const source = fields[i + 1];
      if (source !== undefined) paths.add(source);
      i++;
    }
  }
  return [...paths];
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
