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
import { join } from "node:path";
import { addDetachedWorktree, dirtyFiles, git, isAncestor, resolveCommit } from "../adapters/git/index.js";
import { readUntrustedText } from "../adapters/hostile/index.js";
import { makeRunFolder } from "../adapters/runfolder/index.js";
import { RunSandbox } from "../adapters/sandbox/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import type { Progress } from "../core/progress.js";
import { terminalBlock, terminalLine } from "../core/terminal-text.js";
import {
  branchFor,
  type Project,
  removeMergeDir,
  requireTask,
  UserError,
  worktreePathFor,
  writeMergeMarker,
} from "../project/index.js";
import type { LaunchResult } from "../run/index.js";
import { reconcile, retry } from "../run/index.js";
import { trimOutput } from "../verify/index.js";
import { verifyHostCommit } from "./delivery.js";

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

export async function update(
  project: Project,
  id: string,
  opts: { launch: boolean; actor?: string; say?: (l: string) => void; progress?: Progress },
): Promise<UpdateResult> {
  const say = opts.say ?? (() => {});
  await reconcile(project, { repair: true });
  const task = requireTask(project, id);
  if (task.state !== "review")
    throw new UserError(
      `task ${id} is ${task.state}; update brings the base into a task in review`,
      4,
      [],
      "wrong_state",
    );
  const store = project.store();
  const root = project.paths.root;
  const branch = task.branch ?? branchFor(project.config, id);
  const head = await resolveCommit(root, `refs/heads/${branch}`);
  if (!head) throw new UserError(`branch ${branch} of ${id} does not exist`);
  const all = await targetsOf(project, task);
  const targets: UpdateTarget[] = [];
  for (const t of all) if (!(await isAncestor(root, t.commit, head))) targets.push(t);
  const result: UpdateResult = {
    task: id,
    targets,
    outcome: "up-to-date",
    commit: null,
    conflicts: [],
    verifyFailed: null,
    launched: null,
  };
  if (targets.length === 0) return result;
  const worktree = worktreePathFor(project.config, root, id);
  if (existsSync(worktree)) {
    const dirty = await dirtyFiles(worktree).catch(() => []);
    if (dirty.length > 0)
      throw new UserError(
        `${worktree} has uncommitted changes (${dirty.slice(0, 5).join(", ")}); commit or remove them first`,
        4,
        [],
        "dirty",
      );
  }

  const dir = join(project.paths.stateDir, "merges", `update-${id}-${Date.now()}`);
  const tree = join(dir, "tree");
  makeRunFolder(dir);
  writeMergeMarker(dir, {
    pid: process.pid,
    task: id,
    startedAt: new Date().toISOString(),
    pgid: null,
    sockets: [],
  });
  await addDetachedWorktree(root, tree, head);
  try {
    const hasIdent = (await git(["config", "user.email"], { cwd: root, allowFail: true })).code === 0;
    const ident = hasIdent ? [] : ["-c", "user.name=Ballador", "-c", "user.email=ballador@localhost"];
    for (const t of targets) {
      say(`bringing ${t.name} (${t.commit.slice(0, 10)}) into ${branch} in a temporary worktree`);
      const r = await git(
        [...ident, "merge", "--no-ff", "-m", `Merge ${t.name} into ${branch}`, "--end-of-options", t.commit],
        { cwd: tree, allowFail: true },
      );
      if (r.code === 0) continue;
      const files = (
        await git(["diff", "--name-only", "--diff-filter=U", "-z"], { cwd: tree, allowFail: true })
      ).stdout
        .split("\0")
        .filter(Boolean);
      result.conflicts = files;
      const others = await otherSide(project, head, t);
      const text = conflictText(branch, t, files, tree, others);
      await git(["merge", "--abort"], { cwd: tree, allowFail: true });
      say(`conflicts in ${files.join(", ") || "(unknown files)"}: sending the task to its agent`);
      const r2 = await retry(project, id, {
        launch: opts.launch,
        update: text,
        verb: "update",
        ...(opts.actor ? { actor: opts.actor } : {}),
        cause: `update: ${t.name} does not merge cleanly (${files.join(", ")}); sent to the agent`,
        // Every target must be in the branch when the agent's work comes back.
        onRecord: () => {
          for (const x of targets) store.addArtifact(id, "update-target", x.commit);
        },
      });
      result.outcome = "sent-to-agent";
      result.launched = r2.launched;
      return result;
    }
    const merged = (await git(["rev-parse", "HEAD"], { cwd: tree })).stdout.trim();
    const baseCommit = all.at(-1)?.commit as string;
    const { verdict } = await verifyHostCommit(project, task, {
      tree,
      dir,
      commit: merged,
      baseCommit,
      what: "updated tree",
      doing: "the updated branch",
      say,
      progress: opts.progress,
      step: "update.verify",
    });
    store.addVerification({
      taskId: id,
      runId: null,
      commit: merged,
      kind: "update",
      command: verdict.command,
      passed: verdict.ok,
      exitCode: verdict.code,
      ms: verdict.ms,
      detail: null,
      key: verdict.key,
      tail: verdict.ok ? null : verdict.tail,
      log: verdict.log,
    });
    // The branch moves only if nobody moved it meanwhile; the task's worktree follows it.
    await git(["update-ref", "-m", `ballador update ${id}`, `refs/heads/${branch}`, merged, head], {
      cwd: root,
    });
    if (existsSync(worktree)) await git(["reset", "--hard", "--quiet"], { cwd: worktree });
    store.addArtifact(id, "update", merged);
    result.commit = merged;
    const names = targets.map((t) => t.name).join(", ");
    if (verdict.ok) {
      store.addNote(id, null, "system", `update: brought ${names} in at ${merged.slice(0, 10)}; verified`);
      result.outcome = "updated";
      return result;
    }
    result.verifyFailed = `${verdict.command} exited ${verdict.code ?? "by timeout"}`;
    say(`the updated branch fails verification (${result.verifyFailed}): sending the task to its agent`);
    const text = [
      `Ballador brought ${names} into your branch \`${branch}\` (merge commit ${merged}, no conflicts), and the result fails the verify command \`${verdict.command}\` (exit ${verdict.code ?? "timeout"}). The end of its output:`,
      "",
      fenced(terminalBlock(trimOutput(verdict.tail, 40))),
      "",
      "Make it pass again on top of the merge (keep the merge commit), commit, and report with `ballador done`.",
    ].join("\n");
    const r2 = await retry(project, id, {
      launch: opts.launch,
      update: text,
      verb: "update",
      ...(opts.actor ? { actor: opts.actor } : {}),
      cause: `update: ${names} merged in cleanly, but the result fails verification; sent to the agent`,
      onRecord: () => {
        for (const x of targets) store.addArtifact(id, "update-target", x.commit);
      },
    });
    result.outcome = "sent-to-agent";
    result.launched = r2.launched;
    return result;
  } finally {
    await RunSandbox.stopAll();
    await removeMergeDir(root, dir);
  }
}
