/**
 * `update TASK`: bring the base (or, for a stacked task, its dependencies' current branches)
 * into a reviewed task's branch. Ballador tries the merge itself in a host-only worktree: clean,
 * the branch moves to the merge and is verified again (a failure goes back to the agent with the
 * output). Conflicting, the task's agent gets an attempt in its worktree whose prompt carries the
 * conflicted files as the merge leaves them and the tasks whose work is on the other side; that
 * attempt's result is verified like any other, and refused unless the branch contains what the
 * update brings in. Nothing unverified comes back to review.
 */
import { existsSync } from "node:fs";
import { dirtyFiles, git, isAncestor, resolveCommit } from "../adapters/git/index.js";
import { readUntrustedText } from "../adapters/hostile/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import { trimOutput } from "../core/check-output.js";
import type { Progress } from "../core/progress.js";
import { terminalBlock, terminalLine } from "../core/terminal-text.js";
import { branchFor, type Project, requireTask, UserError, worktreePathFor } from "../project/index.js";
import type { LaunchResult } from "../run/index.js";
import { isJjProject, reconcile, retry } from "../run/index.js";
import type { Verdict } from "../verify/index.js";
import { mergeIdentity, recordHostVerification, verifyHostCommit, withHostWorktree } from "./host-merge.js";

export interface UpdateTarget {
  /** The base's name, or the dependency's id. */
  name: string;
  ref: string;
  commit: string;
}

export interface UpdateResult {
  task: string;
  targets: UpdateTarget[];
  /** up-to-date: nothing to bring in; updated: merged cleanly and verified; sent-to-agent: conflicts, or the merged result failed verification. */
  outcome: "up-to-date" | "updated" | "sent-to-agent";
  /** The branch's new head when Ballador merged it. */
  commit: string | null;
  conflicts: string[];
  /** Why the merged result went back to the agent (its verification), or null. */
  verifyFailed: string | null;
  launched: LaunchResult | null;
}

/** What the task's branch should contain: its unmerged stacked dependencies' branches, else the base. */
async function targetsOf(project: Project, task: TaskRow): Promise<UpdateTarget[]> {
  const { config } = project;
  const root = project.paths.root;
  const store = project.store();
  const out: UpdateTarget[] = [];
  const deps = task.needs.map((d) => store.task(d)).filter((d): d is TaskRow => d !== null);
  const stacked = config.stack ? deps.filter((d) => d.state === "review") : [];
  for (const d of stacked) {
    const ref = `refs/heads/${d.branch ?? branchFor(config, d.id)}`;
    const commit = await resolveCommit(root, ref);
    if (commit) out.push({ name: d.id, ref, commit });
  }
  const base = await resolveCommit(root, `refs/heads/${config.base}`);
  if (!base) throw new UserError(`base "${config.base}" is not a local branch; update needs one`);
  out.push({ name: config.base, ref: `refs/heads/${config.base}`, commit: base });
  return out;
}

/** A fence longer than any run of backticks in the text, so the text cannot close it. */
function fenced(text: string, info = ""): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${info}\n${text}\n${fence}`;
}

const MAX_FILE_TEXT = 8000;
const MAX_FILES = 10;

/** The merged tasks whose merge commits are on the other side (in target, not yet in head). */
async function otherSide(project: Project, head: string, target: UpdateTarget): Promise<TaskRow[]> {
  const root = project.paths.root;
  const store = project.store();
  const dep = store.task(target.name);
  if (dep && target.name !== project.config.base) return [dep];
  const range = (
    await git(["rev-list", "--max-count=2000", `${head}..${target.commit}`], { cwd: root, allowFail: true })
  ).stdout
    .split("\n")
    .filter(Boolean);
  const inRange = new Set(range);
  return store
    .tasks({ states: ["merged"] })
    .filter((t) => store.artifacts(t.id).some((a) => a.kind === "merge" && inRange.has(a.value)));
}

function conflictText(
  branch: string,
  target: UpdateTarget,
  files: string[],
  tree: string,
  others: TaskRow[],
): string {
  const lines = [
    `Ballador tried to bring \`${terminalLine(target.name)}\` (commit ${target.commit}) into your branch \`${branch}\`: it does not merge cleanly. Bring it in yourself, in your worktree:`,
    "",
    `    git merge ${target.commit}`,
    "",
    "Resolve every conflict so that the intent of both sides survives (your part's and the other side's), commit the merge (it must be a merge: your branch must contain that commit, or Ballador does not verify your work), run the verify command, and report with `ballador done`.",
    "",
    `Conflicted files: ${files.map((f) => `\`${terminalLine(f)}\``).join(", ")}`,
    "",
  ];
  for (const f of files.slice(0, MAX_FILES)) {
    let text: string | null = null;
    try {
      text = readUntrustedText(tree, f, 4 * 1024 * 1024);
    } catch {
      text = null; // a link or not a file: named, not quoted
    }
    lines.push(`### ${terminalLine(f)}`, "");
    if (text === null) {
      lines.push("(not a regular file on one side: look at it in your worktree after the merge)", "");
      continue;
    }
    const cut = text.length > MAX_FILE_TEXT ? `${text.slice(0, MAX_FILE_TEXT)}\n... (cut here)` : text;
    lines.push(
      `As the merge leaves it (<<<<<<< your branch, >>>>>>> ${terminalLine(target.name)}):`,
      "",
      fenced(terminalBlock(cut)),
      "",
    );
  }
  if (files.length > MAX_FILES)
    lines.push(`(${files.length - MAX_FILES} more conflicted files not shown)`, "");
  if (others.length > 0) {
    lines.push("The work on the other side comes from these tasks:", "");
    for (const o of others) {
      lines.push(
        `- \`${o.id}\`: ${terminalLine(o.title)}${o.spec ? ` (spec \`${terminalLine(o.spec)}\`)` : ""}${o.partPath ? ` (part \`${terminalLine(o.partPath)}\`)` : ""}`,
      );
      const body = o.body.trim();
      if (body)
        lines.push("", fenced(terminalBlock(body.length > 2000 ? `${body.slice(0, 2000)}…` : body)), "");
    }
    lines.push("");
  }
  return lines.join("\n").trim();
}

type UpdateOptions = { launch: boolean; actor?: string; say?: (l: string) => void; progress?: Progress };

/** What the checks found: the task, its branch's head, and what it lacks (each target's commit). */
interface UpdatePlan {
  task: TaskRow;
  branch: string;
  head: string;
  /** The targets the branch does not contain yet, in merge order (the base last). */
  targets: UpdateTarget[];
  /** The base's commit (the last of all targets, contained or not): what judges verification. */
  baseCommit: string;
  worktree: string;
}

/**
 * `update`: the checks, each target merged in a host-only worktree; a conflict goes to the agent,
 * a clean merge is verified, the branch moves to it, and a failed verification goes to the agent.
 */
export async function update(project: Project, id: string, opts: UpdateOptions): Promise<UpdateResult> {
  const say = opts.say ?? (() => {});
  // Its last step resets the task's worktree with git; a jj workspace would need jj's (not built).
  if (isJjProject(project))
    throw new UserError(
      `update is not available for tasks in jj workspaces yet; merge ${id} (verified on the merged result) or rebase its change with jj`,
    );
  await reconcile(project, { repair: true });
  const plan = await updateChecks(project, id);
  const result: UpdateResult = {
    task: id,
    targets: plan.targets,
    outcome: "up-to-date",
    commit: null,
    conflicts: [],
    verifyFailed: null,
    launched: null,
  };
  if (plan.targets.length === 0) return result;
  await requireCleanWorktree(plan.worktree);
  return withHostWorktree(project, id, `update-${id}`, plan.head, async ({ dir, tree }) => {
    const conflict = await bringTargetsIn(project, plan, tree, say);
    if (conflict) {
      result.conflicts = conflict.files;
      result.launched = await sendConflictsToAgent(project, plan, tree, conflict, opts);
      result.outcome = "sent-to-agent";
      return result;
    }
    const merged = (await git(["rev-parse", "HEAD"], { cwd: tree })).stdout.trim();
    const { verdict } = await verifyHostCommit(project, plan.task, {
      tree,
      dir,
      commit: merged,
      baseCommit: plan.baseCommit,
      what: "updated tree",
      doing: "the updated branch",
      say,
      progress: opts.progress,
      step: "update.verify",
    });
    recordHostVerification(project, id, merged, "update", verdict, null);
    await moveBranch(project, plan, merged);
    result.commit = merged;
    const names = plan.targets.map((t) => t.name).join(", ");
    if (verdict.ok) {
      project
        .store()
        .addNote(id, null, "system", `update: brought ${names} in at ${merged.slice(0, 10)}; verified`);
      result.outcome = "updated";
      return result;
    }
    result.verifyFailed = `${verdict.command} exited ${verdict.code ?? "by timeout"}`;
    say(`the updated branch fails verification (${result.verifyFailed}): sending the task to its agent`);
    result.launched = await sendToAgent(project, plan, opts, {
      text: verifyFailedText(names, plan.branch, merged, verdict),
      cause: `update: ${names} merged in cleanly, but the result fails verification; sent to the agent`,
    });
    result.outcome = "sent-to-agent";
    return result;
  });
}

/** A task in review with a branch; which of its targets the branch lacks. */
async function updateChecks(project: Project, id: string): Promise<UpdatePlan> {
  const task = requireTask(project, id);
  if (task.state !== "review")
    throw new UserError(
      `task ${id} is ${task.state}; update brings the base into a task in review`,
      4,
      [],
      "wrong_state",
    );
  const root = project.paths.root;
  const branch = task.branch ?? branchFor(project.config, id);
  const head = await resolveCommit(root, `refs/heads/${branch}`);
  if (!head) throw new UserError(`branch ${branch} of ${id} does not exist`);
  const all = await targetsOf(project, task);
  const targets: UpdateTarget[] = [];
  for (const t of all) if (!(await isAncestor(root, t.commit, head))) targets.push(t);
  const baseCommit = all.at(-1)?.commit as string;
  return { task, branch, head, targets, baseCommit, worktree: worktreePathFor(project.config, root, id) };
}

/** The task's worktree follows the branch (reset): it must hold no uncommitted work. */
async function requireCleanWorktree(worktree: string): Promise<void> {
  if (!existsSync(worktree)) return;
  const dirty = await dirtyFiles(worktree).catch(() => []);
  if (dirty.length > 0)
    throw new UserError(
      `${worktree} has uncommitted changes (${dirty.slice(0, 5).join(", ")}); commit or remove them first`,
      4,
      [],
      "dirty",
    );
}

/** Merges each target into the worktree in turn; the first that conflicts stops it, left conflicted. */
async function bringTargetsIn(
  project: Project,
  plan: UpdatePlan,
  tree: string,
  say: (l: string) => void,
): Promise<{ target: UpdateTarget; files: string[] } | null> {
  const ident = await mergeIdentity(project.paths.root);
  for (const t of plan.targets) {
    say(`bringing ${t.name} (${t.commit.slice(0, 10)}) into ${plan.branch} in a temporary worktree`);
    const r = await git(
      [
        ...ident,
        "merge",
        "--no-ff",
        "-m",
        `Merge ${t.name} into ${plan.branch}`,
        "--end-of-options",
        t.commit,
      ],
      { cwd: tree, allowFail: true },
    );
    if (r.code === 0) continue;
    const files = (
      await git(["diff", "--name-only", "--diff-filter=U", "-z"], { cwd: tree, allowFail: true })
    ).stdout
      .split("\0")
      .filter(Boolean);
    return { target: t, files };
  }
  return null;
}

/** The conflicted files as the merge leaves them, and who is on the other side, for the agent. */
async function sendConflictsToAgent(
  project: Project,
  plan: UpdatePlan,
  tree: string,
  conflict: { target: UpdateTarget; files: string[] },
  opts: UpdateOptions,
): Promise<LaunchResult | null> {
  const { target: t, files } = conflict;
  const others = await otherSide(project, plan.head, t);
  const text = conflictText(plan.branch, t, files, tree, others);
  await git(["merge", "--abort"], { cwd: tree, allowFail: true });
  opts.say?.(`conflicts in ${files.join(", ") || "(unknown files)"}: sending the task to its agent`);
  return sendToAgent(project, plan, opts, {
    text,
    cause: `update: ${t.name} does not merge cleanly (${files.join(", ")}); sent to the agent`,
  });
}

/** The branch moves only if nobody moved it meanwhile; the task's worktree follows it. */
async function moveBranch(project: Project, plan: UpdatePlan, merged: string): Promise<void> {
  const id = plan.task.id;
  await git(["update-ref", "-m", `ballador update ${id}`, `refs/heads/${plan.branch}`, merged, plan.head], {
    cwd: project.paths.root,
  });
  if (existsSync(plan.worktree)) await git(["reset", "--hard", "--quiet"], { cwd: plan.worktree });
  project.store().addArtifact(id, "update", merged);
}

function verifyFailedText(names: string, branch: string, merged: string, verdict: Verdict): string {
  return [
    `Ballador brought ${names} into your branch \`${branch}\` (merge commit ${merged}, no conflicts), and the result fails the verify command \`${verdict.command}\` (exit ${verdict.code ?? "timeout"}). The end of its output:`,
    "",
    fenced(terminalBlock(trimOutput(verdict.tail, 40))),
    "",
    "Make it pass again on top of the merge (keep the merge commit), commit, and report with `ballador done`.",
  ].join("\n");
}

/** A new attempt of the task's agent with the update's text; every target must be in the branch when it comes back. */
async function sendToAgent(
  project: Project,
  plan: UpdatePlan,
  opts: UpdateOptions,
  why: { text: string; cause: string },
): Promise<LaunchResult | null> {
  const id = plan.task.id;
  const r = await retry(project, id, {
    launch: opts.launch,
    update: why.text,
    verb: "update",
    ...(opts.actor ? { actor: opts.actor } : {}),
    cause: why.cause,
    onRecord: () => {
      for (const x of plan.targets) project.store().addArtifact(id, "update-target", x.commit);
    },
  });
  return r.launched;
}
