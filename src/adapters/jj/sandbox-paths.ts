// What a run's sandbox must let the agent's jj write, and what it must keep read-only.
import { join } from "node:path";
import { objectsMounts, opStoreMounts } from "./op-store.js";
import { gitStoreOf } from "./version.js";

export interface AgentPaths {
  /** Writable: the workspace (the store's folders the agent's jj writes are per-run copies, mounted). */
  write: string[];
  /** Read-only inside, though under a writable folder's parent: config, hooks, refs Ballador owns. */
  readOnly: string[];
  /** Per-run copies mounted over real folders (`from` on the host, seen at `to` inside; `readOnly`: not writable there). */
  mounts: { from: string; to: string; readOnly?: true }[];
  /** The host folder of the per-run copies of the operation store (op-store.ts). */
  opStoreCopy: string;
}

/** The run's host folders its copies live in (the run folder's `refs`, `jjops` and `objects`). */
export interface RunCopies {
  opHeads: string;
  opStore: string;
  objects: string;
}

/**
 * Measured with jj 0.46 (`find -newer` around a `jj commit` in a workspace): a commit writes
 * op_store/operations and views, op_heads/heads, index/, store/extra, the git store's objects and
 * refs/jj/keep, and the workspace's own .jj/working_copy. Every one of those but the workspace is
 * a per-run copy mounted over the real folder, so the agent's jj never writes the repository's
 * store: the operation heads (src/adapters/jj/op-heads.ts: its operations never become the
 * repository's); `op_store/operations`, `views`, `store/extra` and `index` (op-store.ts: the agent
 * adds files, never changes or removes the person's, and its index is discarded); the git store's
 * `objects`, the run's own folder with the real one as its alternate (objectsMounts), adopted with
 * the git runs' checks, and its `refs/jj`, whose new keep refs are taken in only for commits the
 * store has; the git store folder itself is a per-run folder of links (git-store.ts: jj locks
 * `packed-refs` beside it). Everything else of `.jj/repo` (its config.toml, the git store's
 * config, hooks and branch refs, the workspace store) stays read-only: the agent's jj cannot
 * change the repository's settings or plant a hook for the person's git.
 */
export function agentPaths(root: string, workspace: string, copies: RunCopies): AgentPaths {
  const repo = join(root, ".jj", "repo");
  const git = gitStoreOf(root);
  return {
    write: [workspace],
    readOnly: [
      join(repo, "config.toml"),
      join(repo, "workspace_store"),
      join(git, "config"),
      join(git, "hooks"),
      join(git, "refs", "heads"),
      join(git, "refs", "tags"),
    ],
    mounts: [
      { from: copies.opHeads, to: join(repo, "op_heads", "heads") },
      ...opStoreMounts(root, copies.opStore),
      ...objectsMounts(git, copies.opStore, copies.objects),
    ],
    opStoreCopy: copies.opStore,
  };
}
