/**
 * A new attempt on the runner that continues the agent's own conversation (spec 0013): resume,
 * retry and request-changes of a run that lived on this runner. Its throwaway project (repository,
 * worktree, store, run folders with the agent's HOME) is used again, so the runner's own launch
 * continues the conversation exactly as a local retry does: same worktree path (agents key their
 * conversations by it), the earlier HOME's session state carried by the same hostile-safe code.
 * Only when the earlier run is over here and home's branch is where that run left it; otherwise
 * the caller starts afresh and says why.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git, resolveCommit } from "../../adapters/git/index.js";
import type { TaskState } from "../../core/states.js";
import { branchFor, openProject, type Project, worktreePathFor } from "../../project/index.js";
import type { RunOrder } from "./protocol.js";

const LIVE: readonly TaskState[] = ["queued", "ready", "running", "verifying"];
/** The states a task there may go on from (each may move to ready). */
const AGAIN: readonly TaskState[] = ["review", "failed", "stopped", "blocked"];

/** Where a run's throwaway repository is: its own, or the one of the run it continued. */
export function repoOf(dir: string): string {
  const file = join(dir, "repo.path");
  return existsSync(file) ? readFileSync(file, "utf8").trim() : join(dir, "repo");
}

/** Records that the run in `dir` uses `repo` (an earlier run's). */
export function useRepo(dir: string, repo: string): void {
  writeFileSync(join(dir, "repo.path"), repo);
}

/** What the runner's store already holds for the task: the new run's events start after it. */
export interface Since {
  event: number;
  verification: number;
  note: number;
}

export function sinceNow(project: Project, taskId: string): Since {
  const store = project.store();
  const max = (xs: Array<{ seq: number }>) => xs.reduce((m, x) => Math.max(m, x.seq), 0);
  return {
    event: max(store.events(taskId)),
    verification: max(store.verifications(taskId)),
    note: max(store.notes(taskId)),
  };
}

/**
 * The earlier run's project, ready for the task's next attempt there, or why it cannot be
 * continued (the caller starts afresh). `dirOf` maps a run id to its folder on this runner;
 * `plan` is the new order's config as the runner writes it.
 */
export async function continuation(
  order: RunOrder,
  dirOf: (runId: string) => string,
  plan: string,
): Promise<{ repo: string; project: Project } | string> {
  const earlier = order.continueRun;
  if (!earlier) return "no earlier run";
  const dir = dirOf(earlier);
  const orderFile = join(dir, "order.json");
  if (!existsSync(orderFile)) return `run ${earlier} is not on this runner`;
  const was = JSON.parse(readFileSync(orderFile, "utf8")) as { taskId?: string };
  if (was.taskId !== order.taskId) return `run ${earlier} is another task's`;
  if (!existsSync(join(dir, "end.json"))) return `run ${earlier} has not ended here`;
  const repo = repoOf(dir);
  if (!existsSync(repo)) return `run ${earlier}'s repository is gone`;
  const project = await openProject(repo);
  const why = await continuable(project, order);
  project.close();
  if (why !== null) return why;
  // The plan as it stands now (the earlier run's was the config of its launch).
  writeFileSync(join(repo, ".ballador", "config.yaml"), plan);
  return { repo, project: await openProject(repo) };
}

async function continuable(project: Project, order: RunOrder): Promise<string | null> {
  const store = project.store();
  const task = store.task(order.taskId);
  if (!task) return "the task is not in its store";
  if (LIVE.includes(task.state) || store.liveRuns().some((r) => r.taskId === task.id))
    return "its run is still live here";
  if (!AGAIN.includes(task.state)) return `its task there is ${task.state}`;
  const worktree = worktreePathFor(project.config, project.paths.root, order.taskId);
  if (!existsSync(worktree)) return "its worktree is gone";
  // Home's start must be where that run left the branch: anything else is other work.
  const repo = project.paths.root;
  await git(["fetch", "-q", "--no-tags", "--", order.remote, `+${order.baseRef}:refs/ballador/incoming`], {
    cwd: repo,
  });
  const incoming = await resolveCommit(repo, "refs/ballador/incoming");
  const head = await resolveCommit(repo, `refs/heads/${branchFor(project.config, order.taskId)}`);
  if (!incoming || incoming !== head) return "home's branch is not where the earlier run left it";
  return null;
}

/** The task made ready again in the earlier store, with the person's new words as notes. */
export function readyAgain(project: Project, order: RunOrder): void {
  const store = project.store();
  const task = store.task(order.taskId);
  if (task && task.state !== "ready")
    store.transition(order.taskId, "ready", {
      cause: "a new attempt from home",
      actor: "runner",
      reason: null,
    });
  const had = (kind: string) =>
    new Set(
      store
        .notes(order.taskId)
        .filter((n) => n.kind === kind)
        .map((n) => n.text),
    );
  const requests = had("request");
  for (const text of order.requests)
    if (!requests.has(text)) store.addNote(order.taskId, null, "request", text);
  const reviews = had("pr-review");
  for (const text of order.prReview)
    if (!reviews.has(text)) store.addNote(order.taskId, null, "pr-review", text);
  if (order.update && !had("update").has(order.update))
    store.addNote(order.taskId, null, "update", order.update);
}
