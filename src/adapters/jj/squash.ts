// `merge --squash` for jj: the agent's iterative commits become one before the merge.
import { type JjOptions, jj } from "./run.js";
import { commitOf, commitsBetween } from "./workspace.js";

/**
 * Folds every commit of base..head into head (`jj squash --from <the earlier ones> --into head`):
 * head keeps its change id, its tree and its description, now with base as its only parent. The
 * emptied commits are abandoned by jj. Returns head's new commit (head itself when one commit).
 */
export async function squashRange(
  repo: string,
  base: string,
  head: string,
  opts: JjOptions = {},
): Promise<string> {
  const commits = await commitsBetween(repo, base, head, opts);
  if (commits.length <= 1) return head;
  const change = (await jj(repo, ["log", "--no-graph", "-r", head, "-T", "change_id"], opts)).stdout.trim();
  await jj(
    repo,
    ["squash", "--from", `${base}..${head} ~ ${head}`, "--into", head, "--use-destination-message"],
    opts,
  );
  return commitOf(repo, change, opts);
}
