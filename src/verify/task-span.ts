/**
 * What a task's own commits are, kept true after the fact (issue 34): the commit it forked from
 * the base (its merge base when it reached review, and again when it merged) and its head then,
 * recorded as a `fork` artifact. Comparing a branch with the base as it is now says wrong things
 * later: once merged, the base contains the branch (no changes), and once the base moved, a
 * two-dot diff counts the base's own commits as the task's.
 */
import { git, resolveCommit } from "../adapters/git/index.js";
import { branchFor, type Project, requireTask } from "../project/index.js";

export interface TaskSpan {
  /** The commit the task's work starts from (its merge base with the base). */
  fork: string;
  /** The task's last commit. */
  head: string;
}

export interface MergedAt {
  /** The commit the base moved to. */
  commit: string;
  at: string;
}

async function mergeBase(root: string, a: string, b: string): Promise<string | null> {
  const r = await git(["merge-base", "--end-of-options", a, b], { cwd: root, allowFail: true });
  return r.code === 0 ? r.stdout.trim() || null : null;
}

/** The last kept span of a task, or null (never reviewed before this was recorded). */
export function keptSpan(project: Project, taskId: string): TaskSpan | null {
  const last = project
    .store()
    .artifacts(taskId)
    .filter((a) => a.kind === "fork")
    .at(-1);
  const [fork, head] = (last?.value ?? "").split(" ");
  return fork && head ? { fork, head } : null;
}

/** When and where the task merged (its merge artifact), or null. */
export function mergedAt(project: Project, taskId: string): MergedAt | null {
  const m = project
    .store()
    .artifacts(taskId)
    .filter((a) => a.kind === "merge")
    .at(-1);
  return m ? { commit: m.value, at: m.at } : null;
}

/**
 * Records the task's span as it is now (branch head and its merge base with `base`, or the base
 * named in the config); nothing when the branch or base is missing or the span is already kept.
 * `head` and `base` pin the commits when the caller knows them (a merge, before the base moves).
 */
export async function keepSpan(
  project: Project,
  taskId: string,
  pinned: { head?: string; base?: string } = {},
): Promise<TaskSpan | null> {
  const root = project.paths.root;
  const task = requireTask(project, taskId);
  // Once merged the base contains the branch: only the merge itself (pinned) says where it forked.
  if (task.state === "merged" && !pinned.head) return keptSpan(project, taskId);
  const head =
    pinned.head ?? (await resolveCommit(root, branchRef(task.branch ?? branchFor(project.config, task.id))));
  const base = pinned.base ?? (await resolveCommit(root, project.config.base));
  if (!head || !base) return null;
  const fork = await mergeBase(root, base, head);
  if (!fork) return null;
  const last = keptSpan(project, taskId);
  if (last?.fork !== fork || last.head !== head)
    project.store().addArtifact(taskId, "fork", `${fork} ${head}`);
  return { fork, head };
}

/**
 * The span of a task merged before spans were kept, read from its merge commit (Ballador merges
 * with --no-ff): the second parent is the branch as merged, and its merge base with the first
 * parent (the base just before) is where it forked. Null for anything else (a squash merge, a
 * commit that is no longer there).
 */
async function spanFromMerge(root: string, mergeCommit: string): Promise<TaskSpan | null> {
  const r = await git(["rev-list", "--parents", "-n", "1", "--end-of-options", mergeCommit], {
    cwd: root,
    allowFail: true,
  });
  const [, before, head, ...more] = r.code === 0 ? r.stdout.trim().split(" ") : [];
  if (!before || !head || more.length > 0) return null;
  const fork = await mergeBase(root, before, head);
  return fork ? { fork, head } : null;
}

/**
 * The span to judge the task by: a merged task's kept span (the base contains its branch now),
 * or for a task merged before spans were kept, the one its merge commit shows; otherwise the
 * branch as it is and its merge base with the base now. Null: no branch yet.
 */
export async function taskSpan(project: Project, taskId: string, branch: string): Promise<TaskSpan | null> {
  const root = project.paths.root;
  const task = requireTask(project, taskId);
  if (task.state === "merged") {
    const kept = keptSpan(project, taskId);
    if (kept) return kept;
    const merge = mergedAt(project, taskId);
    const fromMerge = merge ? await spanFromMerge(root, merge.commit) : null;
    if (fromMerge) return fromMerge;
  }
  const head = await resolveCommit(root, branchRef(branch));
  const base = await resolveCommit(root, project.config.base);
  if (!head) return null;
  if (!base) return { fork: head, head };
  return { fork: (await mergeBase(root, base, head)) ?? base, head };
}

/**
 * The full ref of a task's branch: the spelling the supervisor's judgement asks too, so one
 * reading answers both from one git process (issue 35), and never a tag of the same name.
 */
function branchRef(branch: string): string {
  return `refs/heads/${branch}`;
}
