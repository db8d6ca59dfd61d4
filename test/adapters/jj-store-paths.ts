// Shared set-up of the jj adapter's tests: an agent's jj that writes the repository's own store.
import { join } from "node:path";
import { agentPaths, gitStoreOf } from "../../src/adapters/jj/index.js";
import type { SandboxPaths } from "../helpers/jj.js";

/**
 * A sandbox for a scripted agent whose jj writes the repository's own store (operations, heads,
 * index, objects), optionally with the operation heads a copy of its own (`opHeadsCopy`): for
 * the tests of what the adapter does with jj's work (workspaces, merge, squash, the bookmark
 * guard, the heads' copy read back), with none of a run's other per-run copies to seed and take
 * in. A run's own sandbox is agentPaths, every such folder a copy; what stays read-only is its.
 */
export function storeWritingPaths(root: string, workspace: string, opHeadsCopy?: string): SandboxPaths {
  const repo = join(root, ".jj", "repo");
  const git = gitStoreOf(root);
  const unused = join(root, "no-run");
  const run = agentPaths(root, workspace, { opHeads: unused, opStore: unused, objects: unused });
  return {
    write: [
      workspace,
      join(repo, "op_store"),
      ...(opHeadsCopy ? [] : [join(repo, "op_heads")]),
      join(repo, "index"),
      join(repo, "store", "extra"),
      join(git, "objects"),
      join(git, "refs", "jj"),
    ],
    readOnly: run.readOnly,
    mounts: opHeadsCopy ? [{ from: opHeadsCopy, to: join(repo, "op_heads", "heads") }] : [],
  };
}
