/**
 * `ballador cleanup`: removes finished tasks' worktrees and branches (only what Ballador made,
 * only when the work is merged or abandoned, or with --force) and closes leftover sessions.
 * Apart from lifecycle.ts so each stays a screenful per action.
 */
import { existsSync, rmdirSync } from "node:fs";
import {
  deleteBranch,
  dirtyFiles,
  isAncestor,
  listWorktrees,
  pruneWorktrees,
  removeWorktree,
  resolveCommit,
} from "../adapters/git/index.js";
import { importGitRefs } from "../adapters/jj/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import { keptWhy } from "../core/cleanup-kept.js";
import { type Progress, silentProgress } from "../core/progress.js";
import type { TaskState } from "../core/states.js";
import {
  branchFor,
  type Project,
  requireTask,
  UserError,
  worktreePathFor,
  worktreeRootFor,
} from "../project/index.js";
import { tmuxFor } from "./launch.js";
import { isJjProject, reconcile, removeTaskWorkspace } from "./recover/index.js";

export interface CleanupResult {
  removed: Array<{ id: string; worktree: string | null; branch: string | null }>;
  refused: Array<{ id: string; why: string }>;
  /** With --all: tasks neither merged nor abandoned whose worktree stays, and why. */
  kept: Array<{ id: string; state: TaskState; worktree: string; why: string }>;
  sessionsClosed: string[];
}

export async function cleanup(
  project: Project,
  opts: { tasks: string[]; all: boolean; force: boolean; progress?: Progress },
): Promise<CleanupResult> {
  await reconcile(project, { repair: true });
  const result: CleanupResult = { removed: [], refused: [], kept: [], sessionsClosed: [] };
  const targets = cleanupTargets(project, opts, result.kept);
  const baseCommit = await resolveCommit(project.paths.root, project.config.base);
  // Not ended on a throw: its timer never holds the process, and the error ends the command.
  const step = (opts.progress ?? silentProgress)("cleanup", `cleaning up ${targets.length} task(s)`);
  for (const [n, t] of targets.entries()) {
    step.update(`cleaning up ${t.id}: ${n + 1} of ${targets.length}`);
    const checked = await checkRemovable(project, t, opts.force, baseCommit);
    if ("why" in checked) result.refused.push({ id: t.id, why: checked.why });
    else result.removed.push(await removeTaskWork(project, t, checked));
  }
  step.update("pruning worktrees and closing leftover sessions");
  await pruneWorktrees(project.paths.root).catch(() => undefined);
  // The worktree root is Ballador's (launch made it): once empty, it goes too (rmdir refuses otherwise).
  try {
    rmdirSync(worktreeRootFor(project.config, project.paths.root));
  } catch {
    // not empty, or not there
  }
  result.sessionsClosed.push(...(await closeLeftoverSessions(project)));
  step.end();
  return result;
}

/**
 * The named tasks, or with --all every merged or abandoned one; with --all the other tasks'
 * worktrees that stay are noted in `kept`, with why.
 */
function cleanupTargets(
  project: Project,
  opts: { tasks: string[]; all: boolean },
  kept: CleanupResult["kept"],
): TaskRow[] {
  if (opts.tasks.length > 0) return opts.tasks.map((id) => requireTask(project, id));
  if (!opts.all)
    throw new UserError("name the tasks to clean up, or pass --all for every merged or abandoned task");
  const store = project.store();
  const targets = store.tasks().filter((t) => t.state === "merged" || t.state === "abandoned");
  for (const t of store.tasks()) {
    const worktree = worktreePathFor(project.config, project.paths.root, t.id);
    if (t.state !== "merged" && t.state !== "abandoned" && existsSync(worktree))
      kept.push({ id: t.id, state: t.state, worktree, why: keptWhy(t.id, t.state) });
  }
  return targets;
}

/** What a task's cleanup removes: its worktree and branch, as found by the checks. */
interface Removable {
  worktree: string;
  branch: string;
  branchCommit: string | null;
  locked: boolean;
}

/**
 * Why the task's work stays (first reason found), or what to remove. Without --force only
 * finished work goes: a merged or abandoned task, a clean worktree, a merged branch, no lock.
 */
async function checkRemovable(
  project: Project,
  t: TaskRow,
  force: boolean,
  baseCommit: string | null,
): Promise<Removable | { why: string }> {
  const root = project.paths.root;
  if (t.state !== "merged" && t.state !== "abandoned" && !force)
    return { why: `it is ${t.state}; only merged or abandoned tasks are cleaned up (--force to override)` };
  if (
    project
      .store()
      .liveRuns()
      .some((r) => r.taskId === t.id)
  )
    return { why: "it has a live run; stop or abandon it first" };
  const worktree = worktreePathFor(project.config, root, t.id);
  const branch = branchFor(project.config, t.id);
  // A jj workspace has no uncommitted state: its working copy is a commit.
  if (existsSync(worktree) && !isJjProject(project)) {
    const dirty = await dirtyFiles(worktree).catch(() => []);
    if (dirty.length > 0 && !force)
      return {
        why: `its worktree has ${dirty.length} uncommitted change(s): ${dirty.slice(0, 5).join(", ")} (--force deletes them)`,
      };
  }
  const branchCommit = await resolveCommit(root, branch);
  // A branch `merge --squash` folded into the base is merged, though not an ancestor of it.
  const squashed =
    branchCommit !== null &&
    project
      .store()
      .artifacts(t.id)
      .some((a) => a.kind === "squashed" && a.value === branchCommit);
  if (
    branchCommit &&
    baseCommit &&
    !force &&
    !squashed &&
    !(await isAncestor(root, branchCommit, baseCommit))
  )
    return {
      why: `branch ${branch} has commits not merged into ${project.config.base} (--force deletes them)`,
    };
  // A lock is a file in the worktree's private git folder, which the agent writes: without
  // --force it keeps the worktree (it may be the person's), with --force it does not.
  const locked = existsSync(worktree) && (await worktreeLocked(root, worktree));
  if (locked && !force)
    return {
      why: `its worktree ${worktree} is locked (git worktree lock, or the agent wrote the lock) (--force removes it)`,
    };
  return { worktree, branch, branchCommit, locked };
}

async function removeTaskWork(
  project: Project,
  t: TaskRow,
  r: Removable,
): Promise<CleanupResult["removed"][number]> {
  const root = project.paths.root;
  let removedWorktree: string | null = null;
  const jjRun = isJjProject(project);
  if (jjRun) {
    // Forgotten in jj even when its folder is gone already.
    const forgot = await removeTaskWorkspace(project, t.id, r.worktree);
    if (forgot || existsSync(r.worktree)) removedWorktree = r.worktree;
  } else if (existsSync(r.worktree)) {
    await removeWorktree(root, r.worktree, { force: true, evenLocked: r.locked });
    removedWorktree = r.worktree;
  }
  let removedBranch: string | null = null;
  if (r.branchCommit) {
    await deleteBranch(root, r.branch, { force: true });
    removedBranch = r.branch;
    // The bookmark of the same name goes at once, not at the person's next jj command.
    if (jjRun) await importGitRefs(root);
  }
  return { id: t.id, worktree: removedWorktree, branch: removedBranch };
}

/** Sessions with no live run are leftovers of crashes: closed, and named. */
async function closeLeftoverSessions(project: Project): Promise<string[]> {
  const tmux = tmuxFor(project);
  const live = new Set(
    project
      .store()
      .liveRuns()
      .map((r) => r.session),
  );
  const closed: string[] = [];
  for (const s of await tmux.listSessions().catch(() => [])) {
    if (!live.has(s.name)) {
      await tmux.killSession(s.name);
      closed.push(s.name);
    }
  }
  return closed;
}

async function worktreeLocked(root: string, worktree: string): Promise<boolean> {
  const all = await listWorktrees(root).catch(() => []);
  return all.some((w) => w.path === worktree && w.locked);
}
