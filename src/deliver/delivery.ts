/**
 * Delivery: `merge` (locally, re-verified on the merged result, in dependency order) and `pr`
 * (push and open a pull request with the brief as its body, through gh).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { findProgram } from "../adapters/agents/profiles.js";
import { currentBranch, git, isAncestor, resolveCommit, worktreeTopLevel } from "../adapters/git/index.js";
import { importGitRefs } from "../adapters/jj/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import type { PartVerifyOverride } from "../core/part-verify.js";
import type { Progress } from "../core/progress.js";
import { watcherRuns } from "../notify/index.js";
import { branchFor, type Project, pausedAt, refused, requireTask, UserError } from "../project/index.js";
import { isJjProject, reconcile } from "../run/index.js";
import { keepSpan, type Verdict, writeBrief } from "../verify/index.js";
import { mergeIdentity, recordHostVerification, verifyHostCommit, withHostWorktree } from "./host-merge.js";
import { requireVerifiedOrConsent } from "./merge-checks.js";
import { checkPartVerify } from "./merge-part-verify.js";
import { branchVerifyChanges, checkVerifyChange } from "./merge-verify-change.js";

const exec = promisify(execFile);

export interface MergeResult {
  task: string;
  commit: string;
  base: string;
  fastForward: boolean;
  verified: boolean;
  /** Why verification was not run again (an identical tree verified the same way), or null. */
  verificationReused: string | null;
  /** Merged with no verify command (the person passed --unverified). */
  unverified: boolean;
  /** Verify inputs the branch changed, merged because the person accepted them (--accept-verify-change). */
  acceptedVerifyChanges: string[];
  unblocked: string[];
  /** Whether a `launch --watch` is conducting (it starts what became ready). */
  watcher: boolean;
  /** The part's own verify command the person accepted (--accept-part-verify), or null. */
  partVerify: PartVerifyOverride | null;
  /** The branch's commits became one commit on the base (--squash); how many there were. */
  squashed: number | null;
}

export interface MergeOptions {
  actor?: string;
  say?: (l: string) => void;
  progress?: Progress;
  acceptPartVerify?: boolean;
  unverified?: boolean;
  acceptVerifyChange?: boolean;
  /** One commit on the base with the branch's changes, instead of a merge commit. */
  squash?: boolean;
}

/** What the checks found: the task, the two commits to merge and what the person accepted. */
interface MergePlan {
  task: TaskRow;
  branch: string;
  baseRef: string;
  baseCommit: string;
  head: string;
  verifyChanges: string[];
  partVerify: PartVerifyOverride | null;
  /** The base is checked out in the main checkout (moved there by a fast-forward). */
  checkedOut: boolean;
}

/**
 * `merge`: the checks, the merge in a host-only worktree, the verification of the merged
 * result, moving the base, and what follows (the task merged, its dependents ready).
 */
export async function merge(project: Project, id: string, opts: MergeOptions = {}): Promise<MergeResult> {
  const say = opts.say ?? (() => {});
  const config = project.config;
  // A merge killed earlier may have left its worktrees and a verify behind: clean those first.
  await reconcile(project, { repair: true });
  const plan = await mergeChecks(project, id, opts);
  const squash = opts.squash === true;
  const fastForward =
    !squash &&
    config.merge_strategy === "ff" &&
    (await isAncestor(project.paths.root, plan.baseCommit, plan.head));
  const start = fastForward ? plan.head : plan.baseCommit;
  const squashed = squash ? await countCommits(project.paths.root, plan.baseCommit, plan.head) : null;
  return withHostWorktree(project, id, id, start, async ({ dir, tree }) => {
    if (squash) await squashInTree(project, plan, tree, squashed ?? 0, say);
    else if (!fastForward) await mergeInTree(project, plan, tree, say);
    const mergeCommit = (await git(["rev-parse", "HEAD"], { cwd: tree })).stdout.trim();
    const { verdict, reused } = await verifyMergedResult(project, plan, {
      dir,
      tree,
      mergeCommit,
      say,
      opts,
    });
    // The task's own span, before the base contains it: its page and brief stay true (issue 34).
    await keepSpan(project, id, { head: plan.head, base: plan.baseCommit });
    await moveBase(project, plan, mergeCommit);
    // The branch's head is not an ancestor of the base after a squash: cleanup reads this to
    // know that its commits are in the base all the same.
    if (squash) project.store().addArtifact(id, "squashed", plan.head);
    const unblocked = afterMerge(project, id, mergeCommit, opts.actor ?? "cli");
    return {
      task: id,
      commit: mergeCommit,
      base: config.base,
      fastForward,
      verified: verdict.command !== null,
      verificationReused: reused,
      unverified: verdict.command === null,
      acceptedVerifyChanges: plan.verifyChanges,
      unblocked,
      watcher: watcherRuns(project.paths.stateDir),
      partVerify: plan.partVerify,
      squashed,
    };
  });
}

/** How many commits the branch has beyond the base. */
async function countCommits(root: string, base: string, head: string): Promise<number> {
  const out = await git(["rev-list", "--count", `${base}..${head}`], { cwd: root });
  return Number.parseInt(out.stdout.trim(), 10) || 0;
}

/** One commit on the base with the branch's changes (`git merge --squash`); conflicts refuse as a merge's do. */
async function squashInTree(
  project: Project,
  plan: MergePlan,
  tree: string,
  count: number,
  say: (l: string) => void,
): Promise<void> {
  const { base } = project.config;
  const { branch, task } = plan;
  say(
    `squashing ${count} commit${count === 1 ? "" : "s"} of ${branch} into one on ${base} in a temporary worktree`,
  );
  const ident = await mergeIdentity(project.paths.root);
  const r = await git([...ident, "merge", "--squash", "--end-of-options", plan.head], {
    cwd: tree,
    allowFail: true,
  });
  if (r.code !== 0) {
    await git(["reset", "--hard", "--quiet"], { cwd: tree, allowFail: true });
    throw new UserError(
      `${branch} does not merge cleanly into ${base}. Bring ${base} into it first: ballador update ${task.id} (its agent resolves the conflicts, and the result is verified before it is back in review).`,
    );
  }
  const message = `${task.title} (${task.id}, ${count} commit${count === 1 ? "" : "s"} of ${branch} squashed)`;
  await git([...ident, "commit", "--allow-empty", "--no-verify", "-m", message], { cwd: tree });
}

/** Everything that must hold before anything is merged; each refusal says what to do. */
async function mergeChecks(project: Project, id: string, opts: MergeOptions): Promise<MergePlan> {
  const store = project.store();
  const config = project.config;
  const root = project.paths.root;
  const task = requireTask(project, id);
  refuseUnlessInReview(project, task);
  const partVerify = checkPartVerify(project, task, opts.acceptPartVerify === true);
  const unmerged = task.needs.filter((d) => store.task(d)?.state !== "merged");
  if (unmerged.length > 0) {
    throw new UserError(
      `task ${id} needs ${unmerged.join(", ")}, not merged yet: merge ${unmerged.length === 1 ? "it" : "them"} first (dependency order)`,
    );
  }
  await requireVerifiedOrConsent(project, task, { unverified: opts.unverified === true });
  const baseRef = `refs/heads/${config.base}`;
  const baseCommit = await resolveCommit(root, baseRef);
  if (!baseCommit)
    throw new UserError(
      `base "${config.base}" is not a local branch; merge needs a branch to move (set base in .ballador/config.yaml)`,
    );
  const branch = task.branch ?? branchFor(config, id);
  const head = await resolveCommit(root, branch);
  if (!head) throw new UserError(`branch ${branch} of ${id} does not exist`);
  const verifyChanges = await branchVerifyChanges(root, config, task, baseCommit, head);
  checkVerifyChange(id, verifyChanges, opts.acceptVerifyChange === true);
  const checkedOut = await baseCheckedOutClean(project);
  return { task, branch, baseRef, baseCommit, head, verifyChanges, partVerify, checkedOut };
}

/** Only a task in review, and not paused between pipeline stages, is merged. */
function refuseUnlessInReview(project: Project, task: TaskRow): void {
  const id = task.id;
  if (task.state !== "review")
    throw new UserError(
      `task ${id} is ${task.state}; only a task in review can be merged`,
      4,
      [],
      "wrong_state",
    );
  const paused = pausedAt(project.config, task);
  if (paused)
    throw new UserError(
      `task ${id} is paused after ${paused} for your check, with stages still to run: ballador approve ${id} continues its pipeline (or ballador request-changes ${id} "..." sends it back)`,
      4,
      [],
      "wrong_state",
    );
}

/**
 * Whether the main checkout has the base checked out; then it must have no changes to tracked
 * files: moving the base must not trample a person's work there.
 */
async function baseCheckedOutClean(project: Project): Promise<boolean> {
  const root = project.paths.root;
  const base = project.config.base;
  if ((await currentBranch(root)) !== base) return false;
  // Untracked files (new parts, notes) are no obstacle to a fast-forward; changes to tracked ones are.
  const dirty = (await git(["status", "--porcelain", "--untracked-files=no"], { cwd: root })).stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.slice(3));
  if (dirty.length > 0) {
    throw new UserError(
      `${root} has ${base} checked out with uncommitted changes (${dirty.slice(0, 5).join(", ")}); commit or stash them first`,
    );
  }
  return true;
}

/** A merge commit of the branch on the base, made in the worktree; conflicts refuse, naming the files. */
async function mergeInTree(project: Project, plan: MergePlan, tree: string, say: (l: string) => void) {
  const { base } = project.config;
  const { branch, task } = plan;
  say(`merging ${branch} into ${base} in a temporary worktree`);
  const ident = await mergeIdentity(project.paths.root);
  const r = await git(
    [...ident, "merge", "--no-ff", "-m", `Merge ${branch}: ${task.title}`, "--end-of-options", plan.head],
    { cwd: tree, allowFail: true },
  );
  if (r.code === 0) return;
  const files = (await git(["diff", "--name-only", "--diff-filter=U"], { cwd: tree, allowFail: true })).stdout
    .trim()
    .split("\n")
    .filter(Boolean);
  await git(["merge", "--abort"], { cwd: tree, allowFail: true });
  throw new UserError(
    `${branch} does not merge cleanly into ${base}${files.length ? `: conflicts in ${files.join(", ")}` : ""}. Bring ${base} into it first: ballador update ${task.id} (its agent resolves the conflicts, and the result is verified before it is back in review).`,
  );
}

/** The merged result verified (or an identical tree's verdict reused) and recorded; a failure refuses. */
async function verifyMergedResult(
  project: Project,
  plan: MergePlan,
  at: { dir: string; tree: string; mergeCommit: string; say: (l: string) => void; opts: MergeOptions },
): Promise<{ verdict: Verdict; reused: string | null }> {
  const { verdict, reused } = await verifyHostCommit(project, plan.task, {
    tree: at.tree,
    dir: at.dir,
    commit: at.mergeCommit,
    baseCommit: plan.baseCommit,
    what: "merged tree",
    doing: "the merged result",
    say: at.say,
    progress: at.opts.progress,
    step: "merge.verify",
  });
  recordHostVerification(
    project,
    plan.task.id,
    at.mergeCommit,
    "merge",
    verdict,
    reused ? `reused: ${reused}` : null,
  );
  if (!verdict.ok) {
    throw new UserError(
      `the merged result fails verification (${verdict.command} exited ${verdict.code}); ${project.config.base} was not moved. Log: ${verdict.log}`,
      1,
      verdict.tail.split("\n"),
    );
  }
  return { verdict, reused };
}

/** Moves the base only now, and only if nobody moved it meanwhile. */
async function moveBase(project: Project, plan: MergePlan, mergeCommit: string): Promise<void> {
  const root = project.paths.root;
  if (plan.checkedOut) {
    const top = await worktreeTopLevel(root);
    await git(["merge", "--ff-only", "--quiet", mergeCommit], { cwd: top });
  } else {
    await git(
      ["update-ref", "-m", `ballador merge ${plan.task.id}`, plan.baseRef, mergeCommit, plan.baseCommit],
      {
        cwd: root,
      },
    );
  }
  // In a colocated jj repository the base bookmark follows its git branch: imported now, so the
  // person's jj shows the merge at once.
  if (isJjProject(project)) await importGitRefs(root);
}

/** The task is merged (its merge commit recorded); returns the tasks that became ready by it. */
function afterMerge(project: Project, id: string, mergeCommit: string, actor: string): string[] {
  const store = project.store();
  const before = new Set(
    store
      .tasks()
      .filter((t) => t.state === "ready")
      .map((t) => t.id),
  );
  store.transition(id, "merged", {
    cause: `merged into ${project.config.base} at ${mergeCommit.slice(0, 10)}`,
    actor,
  });
  store.addArtifact(id, "merge", mergeCommit);
  return store
    .tasks()
    .filter((t) => t.state === "ready" && !before.has(t.id))
    .map((t) => t.id);
}

export interface PrResult {
  task: string;
  url: string;
  branch: string;
  remote: string;
  warnings: string[];
}

export async function openPullRequest(
  project: Project,
  id: string,
  opts: { draft?: boolean; allowBaseBehind?: boolean; say?: (warning: string) => void } = {},
): Promise<PrResult> {
  const store = project.store();
  const config = project.config;
  const root = project.paths.root;
  const task = requireTask(project, id);
  if (task.state !== "review")
    throw new UserError(
      `task ${id} is ${task.state}; a pull request is opened for a task in review`,
      4,
      [],
      "wrong_state",
    );
  const gh = findProgram("gh", root);
  if (!gh)
    throw new UserError(
      "gh (GitHub CLI) is not installed; install it (https://cli.github.com) and run gh auth login",
    );
  try {
    await exec(gh, ["auth", "status"], { cwd: root, timeout: 30_000 });
  } catch {
    throw new UserError("gh is not authenticated; run: gh auth login");
  }
  if ((await git(["remote", "get-url", config.remote], { cwd: root, allowFail: true })).code !== 0) {
    throw new UserError(
      `no git remote "${config.remote}"; add one (git remote add ${config.remote} URL) or set remote in .ballador/config.yaml`,
    );
  }
  // Before anything is pushed or opened: a pull request against a remote base that lacks
  // work merged here would carry that work too.
  const { warnings, behind } = await remoteBaseWarnings(project);
  if (behind && !opts.allowBaseBehind)
    throw refused(
      "base_behind",
      `${behind}; nothing was pushed or opened. Push the base first (git push ${config.remote} ${config.base}), or open it as it is: ballador pr ${id} --allow-base-behind`,
    );
  for (const w of warnings) opts.say?.(w);
  const branch = task.branch ?? branchFor(config, id);
  const push = await git(["push", "--quiet", config.remote, `refs/heads/${branch}:refs/heads/${branch}`], {
    cwd: root,
    allowFail: true,
  });
  if (push.code !== 0)
    throw new UserError(`git push ${config.remote} ${branch} failed:\n${push.stderr.trim()}`);
  const brief = await writeBrief(project, id);
  const args = [
    "pr",
    "create",
    "--base",
    config.base,
    "--head",
    branch,
    "--title",
    task.title,
    "--body-file",
    brief.path,
    ...(opts.draft ? ["--draft"] : []),
  ];
  let stdout: string;
  try {
    ({ stdout } = await exec(gh, args, { cwd: root, timeout: 120_000 }));
  } catch (err) {
    throw new UserError(
      `gh pr create failed: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`,
    );
  }
  const url = stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^https?:\/\//.test(l))
    .pop();
  if (!url) throw new UserError(`gh pr create printed no pull request URL:\n${stdout}`);
  store.addArtifact(id, "pull-request", url);
  return { task: id, url, branch, remote: config.remote, warnings };
}

/**
 * A pull request is compared with the remote's base. When the local base has commits the
 * remote lacks (other tasks merged locally), the PR would carry them too: say so, and what to push.
 */
async function remoteBaseWarnings(project: Project): Promise<{ warnings: string[]; behind: string | null }> {
  const { base, remote } = project.config;
  const root = project.paths.root;
  const local = await resolveCommit(root, `refs/heads/${base}`);
  const ls = await git(["ls-remote", "--heads", "--end-of-options", remote, `refs/heads/${base}`], {
    cwd: root,
    allowFail: true,
  });
  const remoteSha = ls.stdout.split(/\s+/)[0] ?? "";
  if (!local) return { warnings: [], behind: null };
  if (ls.code !== 0 || !/^[0-9a-f]{40,64}$/.test(remoteSha)) {
    return {
      warnings: [
        `${remote} has no branch ${base}: the pull request has no base to compare with; push it first: git push ${remote} ${base}`,
      ],
      behind: null,
    };
  }
  if (remoteSha === local) return { warnings: [], behind: null };
  const known =
    (await git(["cat-file", "-e", `${remoteSha}^{commit}`], { cwd: root, allowFail: true })).code === 0;
  if (known && (await isAncestor(root, remoteSha, local))) {
    const n = (await git(["rev-list", "--count", `${remoteSha}..${local}`], { cwd: root })).stdout.trim();
    const behind = `${remote}/${base} is behind your ${base} by ${n} commit${n === "1" ? "" : "s"} (work merged locally): the pull request would carry them too`;
    return { warnings: [`${behind}; push the base first: git push ${remote} ${base}`], behind };
  }
  return {
    warnings: [
      `${remote}/${base} and your ${base} have diverged; the pull request is compared with ${remote}'s`,
    ],
    behind: null,
  };
}
