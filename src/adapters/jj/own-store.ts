// A jj repository that is not colocated: its git store is its own, inside `.jj/repo/store/git`.
import { type JjOptions, jj } from "./run.js";

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
