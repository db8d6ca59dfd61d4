// What a run's sandbox must let the agent's jj write, and what it must keep read-only.
import { join } from "node:path";
import { objectsMounts, opStoreMounts } from "./op-store.js";
import { gitStoreOf } from "./version.js";

export interface AgentPaths {
  /** Writable: the workspace and the shared store's content-addressed, append-only folders. */
  write: string[];
  /** Read-only inside, though under a writable folder's parent: config, hooks, refs Ballador owns. */
  readOnly: string[];
  /** Per-run copies mounted over real folders (`from` on the host, seen at `to` inside; `readOnly`: not writable there). */
  mounts: { from: string; to: string; readOnly?: true }[];
  /** The host folder of the per-run copies of the operation store (op-store.ts), when used. */
  opStoreCopy?: string;
}

/**
 * Measured with jj 0.46 (`find -newer` around a `jj commit` in a workspace): a commit writes
 * op_store/operations and views, op_heads/heads, index/, store/extra, the git store's objects and
 * refs/jj/keep, and the workspace's own .jj/working_copy. Everything else of `.jj/repo` (its
 * config.toml, the git store's config, hooks and branch refs, the workspace store) stays read-only:
 * the agent's jj cannot change the repository's settings or plant a hook for the person's git.
 * With `opHeadsCopy`, the operation heads the agent's jj sees and writes are a per-run copy
 * (src/adapters/jj/op-heads.ts): its operations never become the repository's. With `opStoreCopy`,
 * `op_store/operations`, `views`, `store/extra` and `index` are per-run copies too (op-store.ts):
 * the agent adds files, never changes or removes the person's (and its index is discarded). With
 * `objectsCopy` as well, the git store's `objects` is the run's own folder with the real one as
 * its alternate (objectsMounts), adopted with the git runs' checks, and its `refs/jj` a per-run
 * copy whose new keep refs are taken in only for commits the store has; the git store folder itself
 * is then a per-run folder of links (git-store.ts: jj locks `packed-refs` beside it).
 */
export function agentPaths(
  root: string,
  workspace: string,
  opHeadsCopy?: string,
  opStoreCopy?: string,
  objectsCopy?: string,
): AgentPaths {
  const repo = join(root, ".jj", "repo");
  const git = gitStoreOf(root);
  return {
    write: [
      workspace,
      ...(opStoreCopy ? [] : [join(repo, "op_store")]),
      // Without a per-run copy (seedOpHeads), the agent's operations become the repository's heads.
      ...(opHeadsCopy ? [] : [join(repo, "op_heads")]),
      // With the copies (op-store.ts) these are per-run copies too, mounted below.
      ...(opStoreCopy ? [] : [join(repo, "index"), join(repo, "store", "extra")]),
      // With the run's own objects folder mounted over it (objectsMounts), not writable.
      ...(objectsCopy && opStoreCopy ? [] : [join(git, "objects")]),
      // With the copies, a per-run copy mounted over it (objectsMounts; run-jj-keep.ts).
      ...(objectsCopy && opStoreCopy ? [] : [join(git, "refs", "jj")]),
    ],
    readOnly: [
      join(repo, "config.toml"),
      join(repo, "workspace_store"),
      join(git, "config"),
      join(git, "hooks"),
      join(git, "refs", "heads"),
      join(git, "refs", "tags"),
    ],
    mounts: [
      ...(opHeadsCopy ? [{ from: opHeadsCopy, to: join(repo, "op_heads", "heads") }] : []),
      ...(opStoreCopy ? opStoreMounts(root, opStoreCopy) : []),
      ...(objectsCopy && opStoreCopy ? objectsMounts(git, opStoreCopy, objectsCopy) : []),
    ],
    ...(opStoreCopy ? { opStoreCopy } : {}),
  };
}
