/**
 * The git refs guard. A task's sandbox can write the folder that holds its branch ref (git
 * updates a ref by writing a lock file beside it and renaming), and with it the refs of the
 * other task branches in that folder. After each agent run the supervisor compares those refs
 * with what they were before, and restores what the agent had no business changing: branches
 * of tasks that are not running (in review, merged, waiting...) and branches of no task.
 * Branches of tasks running at the same moment cannot be told apart from their own agents'
 * work and are left alone (see docs/specs/0004-sandbox.md).
 */
import { git } from "../adapters/git/index.js";
import type { TaskStore } from "../adapters/store/index.js";

export type RefSnapshot = Map<string, string> & { takenAt: number };

function guardedPrefix(branch: string): string {
  const slash = branch.lastIndexOf("/");
  return slash > 0
    ? `refs/heads/${branch.slice(0, slash + 1)}`
    : `refs/heads/${branch.replace(/[^/]*$/, "")}`;
}

export async function snapshotRefs(repo: string, ownBranch: string): Promise<RefSnapshot> {
  const prefix = guardedPrefix(ownBranch);
  const r = await git(["for-each-ref", "--format=%(refname) %(objectname)", prefix], {
    cwd: repo,
    allowFail: true,
  });
  const map = Object.assign(new Map<string, string>(), { takenAt: Date.now() });
  for (const line of r.stdout.split("\n")) {
    const [ref, sha] = line.trim().split(" ");
    if (ref && sha) map.set(ref, sha);
  }
  return map;
}

export async function guardRefs(
  repo: string,
  store: TaskStore,
  ownBranch: string,
  before: RefSnapshot,
): Promise<string[]> {
  const after: Map<string, string> = await snapshotRefs(repo, ownBranch);
  const own = `refs/heads/${ownBranch}`;
  // Any task with a run live at some moment since the snapshot may have moved its own branch.
  const since = before.takenAt;
  const liveBranches = new Set(
    store
      .allRuns()
      .filter((r) => r.endedAt === null || Date.parse(r.endedAt) >= since)
      .map((r) => `refs/heads/${r.branch}`),
  );
  const byBranch = new Map(
    store
      .tasks()
      .filter((t) => t.branch)
      .map((t) => [`refs/heads/${t.branch}`, t]),
  );
  const restored: string[] = [];
  // With a prefix that has no folder, task branches sit beside main: guard only task branches.
  const strict = ownBranch.includes("/");
  for (const ref of new Set([...before.keys(), ...after.keys()])) {
    if (ref === own || liveBranches.has(ref)) continue;
    if (!strict && !byBranch.has(ref)) continue;
    const was = before.get(ref);
    const now = after.get(ref);
    if (was === now) continue;
    const task = byBranch.get(ref);
    if (now === undefined) {
      // Deleted: put it back unless its task is finished (cleanup may have removed it meanwhile).
      if (task && (task.state === "merged" || task.state === "abandoned")) continue;
      await git(
        ["update-ref", "-m", "ballador: restored after a sandboxed agent deleted it", ref, was as string],
        { cwd: repo, allowFail: true },
      );
      restored.push(`${ref} was deleted; restored to ${(was as string).slice(0, 10)}`);
    } else if (was === undefined) {
      await git(["update-ref", "-d", ref, now], { cwd: repo, allowFail: true });
      restored.push(`${ref} was created; removed`);
    } else {
      await git(["update-ref", "-m", "ballador: restored after a sandboxed agent moved it", ref, was, now], {
        cwd: repo,
        allowFail: true,
      });
      restored.push(`${ref} was moved to ${now.slice(0, 10)}; restored to ${was.slice(0, 10)}`);
    }
  }
  return restored;
}
