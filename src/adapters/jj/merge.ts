// Ballador's merge in a jj repository: the only way the base bookmark moves.
import { type JjOptions, jj } from "./run.js";
import { commitOf, setBookmark } from "./workspace.js";

/**
 * Makes the commit that the base bookmark will point at: the task's commit itself when it descends
 * from the base (a fast-forward), else a new merge commit of the two (`jj new --no-edit`, which
 * touches no working copy). Does not move the bookmark: the caller verifies this commit first.
 */
export async function mergeCandidate(
  repo: string,
  base: string,
  commit: string,
  message: string,
  opts: JjOptions = {},
): Promise<string> {
  const baseCommit = await commitOf(repo, base, opts);
  const commitId = await commitOf(repo, commit, opts);
  const ff = await jj(
    repo,
    ["log", "--no-graph", "-r", `${baseCommit} & ::${commit}`, "-T", "commit_id"],
    opts,
  );
  if (ff.stdout.trim() === baseCommit) return commitId;
  await jj(repo, ["new", "--no-edit", baseCommit, commitId, "-m", message], opts);
  // The new commit is the one child of both with that description, made just now.
  return commitOf(repo, `latest(children(${baseCommit}) & children(${commitId}))`, opts);
}

/** Moves the base bookmark to a verified candidate, only if it still points where it did (no race). */
export async function advanceBase(
  repo: string,
  base: string,
  from: string,
  to: string,
  opts: JjOptions = {},
): Promise<void> {
  const now = await commitOf(repo, base, opts);
  if (now !== from)
    throw new Error(`${base} moved from ${from.slice(0, 12)} to ${now.slice(0, 12)} during the merge`);
  await setBookmark(repo, base, to, opts);
}
