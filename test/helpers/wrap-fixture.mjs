/**
 * A run's folders and an agent's sandbox policy on a throwaway folder, without git or a store:
 * for the child programs that wrap steps with Ballador's bundled sandbox runtime
 * (test/adapters/sandbox-scan-child.mjs, bench/wrap-child.js). `writableScratch` makes the
 * wrap folder (the run's sandbox-cwd) writable, which a real run's never is.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPolicy } from "../../dist/adapters/sandbox/index.js";

export function wrapFixture(base, { writableScratch = false } = {}) {
  const runDir = join(base, "run");
  const scratch = join(runDir, "sandbox-cwd");
  const worktree = join(base, "wt");
  for (const d of [
    worktree,
    scratch,
    ...["tmp", "refs", "reflogs", "inbox", "home", "objects"].map((f) => join(runDir, f)),
    join(base, "common", "worktrees", "wt"),
    join(base, "common", "refs", "heads", "ballador"),
    join(base, "common", "logs", "refs", "heads", "ballador"),
  ]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(join(runDir, "run.json"), "{}");
  const policy = buildPolicy({
    kind: "agent",
    worktree,
    runDir,
    stateDir: join(base, "state"),
    shimDir: join(base, "state", "bin"),
    worktreeRoot: join(base, "wts"),
    gitCommonDir: join(base, "common"),
    gitWorktreeDir: join(base, "common", "worktrees", "wt"),
    branch: "ballador/x",
    allowHosts: [],
    allowWrite: writableScratch ? [scratch] : [],
    denyRead: [],
  });
  return { runDir, scratch, worktree, policy };
}
