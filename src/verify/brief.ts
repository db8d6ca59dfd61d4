/**
 * The review brief: everything a person needs to judge a task's branch, in one markdown file
 * that can also be a pull request's body. Observed facts (git, verification runs, denials) are
 * kept apart from the agent's claims (its summary and notes). Here the facts are gathered (the
 * store, git, the runs' folders, the base's spec) into one BriefFacts; core/brief-render.ts
 * writes the text from them.
 */

import { join, relative, resolve } from "node:path";
import { blobAt, changedFiles, git } from "../adapters/git/index.js";
import { detectVcs, evolog, readTaskOp, taskOpFile } from "../adapters/jj/index.js";
import { readDenials, writeAtomic } from "../adapters/runfolder/index.js";
import type { NoteRow, RunRow, TaskRow } from "../adapters/store/index.js";
import {
  type BriefData,
  type BriefFacts,
  type BriefStage,
  countDenials,
  isViolation,
  renderBrief,
} from "../core/brief-render.js";
import { flakyCommits } from "../core/check-output.js";
import { isDashboardActor } from "../core/dashboard-session.js";
import { partVerifyOverride } from "../core/part-verify.js";
import { inScope } from "../core/scope.js";
import { describeSecrets } from "../core/secrets.js";
import { verifiedByNothing } from "../core/unverified.js";
import {
  branchFor,
  costOfRuns,
  isReviewerRun,
  type Project,
  requireTask,
  SPEC_MAX_BYTES,
  taskPipeline,
} from "../project/index.js";
import { ownChangedFiles, predictConflicts } from "./conflicts.js";
import { keepSpan, mergedAt, taskSpan } from "./task-span.js";
import { baseVerifyInputs, dependencyChangesBetween, verifyInputChanges } from "./verify-inputs.js";

export type { BriefData, BriefStage } from "../core/brief-render.js";

/** Which pipeline stage each run played, what it claimed and what its gates observed. */
function briefStages(
  project: Project,
  task: TaskRow,
  runs: readonly RunRow[],
  notes: readonly NoteRow[],
): BriefStage[] {
  let pipeline: ReturnType<typeof taskPipeline>;
  try {
    pipeline = taskPipeline(project.config, task);
  } catch {
    return [];
  }
  if (!pipeline) return [];
  const gates = project.store().gates(task.id);
  return pipeline.stages.map((stage) => {
    const own = runs.filter((r) => r.stage === stage.role);
    const ids = new Set(own.map((r) => r.id));
    const claims = notes.filter((n) => n.runId !== null && ids.has(n.runId) && n.kind === "summary");
    const verdicts = notes.filter(
      (n) =>
        n.runId !== null && ids.has(n.runId) && n.kind === "system" && n.text.startsWith(`${stage.role}: `),
    );
    return {
      index: stage.index,
      role: stage.role,
      profiles: [...new Set(own.map((r) => r.profile))],
      claim: claims.at(-1)?.text ?? verdicts.at(-1)?.text ?? null,
      gates: gates
        .filter((g) => g.stage === stage.index)
        .map((g) => ({ passed: g.passed, summary: g.summary, commit: g.commit, checks: g.checks })),
    };
  });
}

/** What git says about the branch against the base: its diff, scope, verify inputs and spec. */
type BranchFacts = Pick<
  BriefData,
  "head" | "fork" | "diffStat" | "changed" | "outsideScope" | "tampered" | "dependencies" | "specChange"
>;

async function branchFacts(project: Project, task: TaskRow, branch: string): Promise<BranchFacts> {
  const root = project.paths.root;
  const config = project.config;
  // Judged from the commit the task forked from: the base may have moved on (its own commits are
  // not the task's) or contain the branch already (merged: its kept span, issue 34).
  const span = await taskSpan(project, task.id, branch);
  const head = span?.head ?? null;
  const from = span?.fork ?? null;
  // null: git could not say (no merge base): the questions below then ask for themselves.
  const listed = head && from ? await changedFiles(root, from, head).catch(() => null) : null;
  const changed = listed ?? [];
  const diffStat = head && from ? await diffStatOf(root, from, head) : "";
  // Scope is judged on the task's own commits: a stacked branch also carries its dependencies'.
  const own = head ? await ownChangedFiles(project, task, head) : [];
  const outsideScope = task.scope.length > 0 ? own.filter((f) => !inScope(f, task.scope)) : [];
  const verify = task.verify || config.verify || "./verify.sh";
  const tampered =
    head && from
      ? (
          await verifyInputChanges(
            root,
            from,
            head,
            await baseVerifyInputs(root, from, verify, config.verify_inputs, config.bootstrap),
            // `from` is the fork, an ancestor of head: the three-dot list is the two-dot one.
            listed ?? undefined,
          )
        ).labels
      : [];
  // A package.json the branch did not touch has no dependency changes: no blob read.
  const dependencies =
    head && from && (listed === null || listed.includes("package.json"))
      ? await dependencyChangesBetween(root, from, head)
      : [];
  const specRel = task.spec ? relative(root, resolve(root, task.spec)) : null;
  let specChange: BriefData["specChange"] = null;
  if (specRel && head && from && !specRel.startsWith("..")) {
    const stat = changed.includes(specRel) ? await diffStatOf(root, from, head, specRel) : "";
    specChange = { path: specRel, changed: changed.includes(specRel), stat };
  }
  return { head, fork: from, diffStat, changed, outsideScope, tampered, dependencies, specChange };
}

/** `git diff --stat` of the branch's side since the merge base, of one file when given. */
async function diffStatOf(root: string, base: string, head: string, file?: string): Promise<string> {
  const args = ["diff", "--stat", "--no-color", `${base}...${head}`, ...(file ? ["--", file] : [])];
  // git indents every stat line: keep the first line's space
  return (await git(args, { cwd: root, allowFail: true })).stdout.trimEnd();
}

/** What the store recorded: the runs, the agent's claims, people's notes and actions, the checks. */
type RecordFacts = Omit<
  BriefData,
  | keyof BranchFacts
  | "task"
  | "branch"
  | "base"
  | "denials"
  | "conflicts"
  | "mergeOrder"
  | "stages"
  | "partVerify"
  | "merged"
>;

function recordFacts(
  project: Project,
  task: TaskRow,
  runs: readonly RunRow[],
  notes: readonly NoteRow[],
): RecordFacts {
  const store = project.store();
  const verifications = store.verifications(task.id);
  const profiles = [...new Set(runs.map((r) => r.profile))];
  return {
    attempts: new Set(
      runs.filter((r) => r.outcome !== "launch-failed" && !isReviewerRun(r)).map((r) => r.attempt),
    ).size,
    profiles,
    runners: [
      ...new Set(
        runs
          .filter((r) => r.outcome !== "launch-failed" && !isReviewerRun(r))
          .map((r) => r.runner ?? "local"),
      ),
    ],
    secrets: profiles.flatMap((name) => {
      const profile = project.config.agents.profiles[name];
      const line = profile ? describeSecrets(profile.secrets ?? {}) : null;
      return line ? [`${name}: ${line}`] : [];
    }),
    summary: [...notes].reverse().find((n) => n.kind === "summary")?.text ?? null,
    cost: costOfRuns(runs, project.config.prices ?? {}).text,
    notes: notes
      .filter((n) => n.kind === "note" || (n.kind === "system" && !isViolation(n.text)))
      .map((n) => n.text),
    violations: notes.filter((n) => n.kind === "system" && isViolation(n.text)).map((n) => n.text),
    personNotes: notes
      .filter((n) => n.kind === "person")
      .map((n) => (n.author ? `${n.text} (${n.author})` : n.text)),
    dashboardActions: store
      .events(task.id)
      .filter((e) => isDashboardActor(e.actor))
      .map((e) => `${e.at} ${e.cause} (${e.from ?? "-"} -> ${e.to}), by ${e.actor}`),
    verification: verifications.map((v) => ({
      kind: v.kind,
      command: v.command,
      passed: v.passed,
      ms: v.ms,
      commit: v.commit,
      at: v.at,
      tail: v.tail,
      log: v.log,
    })),
    flaky: flakyCommits(verifications),
    unverified: verifiedByNothing(verifications),
    reviewer:
      notes
        .filter((n) => n.kind === "system" && n.text.startsWith("reviewer:"))
        .map((n) => n.text)
        .pop() ?? null,
  };
}

/** Everything the brief says about a task, read from the store, git, the runs' folders and the base. */
async function gatherBriefFacts(project: Project, taskId: string): Promise<BriefFacts> {
  const store = project.store();
  const task = requireTask(project, taskId);
  const config = project.config;
  const branch = task.branch ?? branchFor(config, task.id);
  const runs = store.runsOf(task.id);
  const notes = store.notes(task.id);
  const branchSide = await branchFacts(project, task, branch);
  const records = recordFacts(project, task, runs, notes);
  const denials = countDenials(runs.flatMap((r) => readDenials(r.runDir)));
  const prediction = await predictConflicts(project, task.id);
  const data: BriefData = {
    task: task.id,
    branch,
    base: config.base,
    head: branchSide.head,
    fork: branchSide.fork,
    merged: mergedAt(project, task.id),
    attempts: records.attempts,
    profiles: records.profiles,
    runners: records.runners,
    secrets: records.secrets,
    summary: records.summary,
    cost: records.cost,
    notes: records.notes,
    violations: records.violations,
    personNotes: records.personNotes,
    dashboardActions: records.dashboardActions,
    verification: records.verification,
    flaky: records.flaky,
    unverified: records.unverified,
    tampered: branchSide.tampered,
    dependencies: branchSide.dependencies,
    diffStat: branchSide.diffStat,
    changed: branchSide.changed,
    outsideScope: branchSide.outsideScope,
    denials,
    conflicts: prediction.conflicts.map((c) => c.message),
    mergeOrder: prediction.mergeOrder,
    reviewer: records.reviewer,
    specChange: branchSide.specChange,
    stages: briefStages(project, task, runs, notes),
    partVerify: partVerifyOverride(task.verify, config.verify),
  };
  const evolution = await jjEvolution(project, task.id, branchSide.head);
  if (evolution.length > 0) data.evolution = evolution;
  // The spec as committed on the base, through git: a file in a checkout could be a link.
  const spec = task.spec ? await blobAt(project.paths.root, config.base, task.spec, SPEC_MAX_BYTES) : null;
  return { data, part: { title: task.title, body: task.body, scope: task.scope, spec: task.spec }, spec };
}

/**
 * In a jj project, the task's change as the agent's jj saw it evolve: read at the agent's last
 * operation the host checked (the repository never took the agent's operations in).
 */
async function jjEvolution(project: Project, taskId: string, head: string | null): Promise<string[]> {
  const root = project.paths.root;
  if (!head || (project.config.vcs ?? detectVcs(root)) !== "jj") return [];
  const op = readTaskOp(taskOpFile(project.paths.stateDir, taskId));
  if (!op) return [];
  return evolog(root, head, { atOp: op }).catch(() => []);
}

export async function buildBrief(
  project: Project,
  taskId: string,
): Promise<{ markdown: string; data: BriefData }> {
  const facts = await gatherBriefFacts(project, taskId);
  return { markdown: renderBrief(facts), data: facts.data };
}

export async function writeBrief(
  project: Project,
  taskId: string,
): Promise<{ path: string; markdown: string; data: BriefData }> {
  // Written when the task reaches review: its span is kept, so the brief stays true after merge.
  await keepSpan(project, taskId).catch(() => null);
  const { markdown, data } = await buildBrief(project, taskId);
  const run = project.store().latestRun(taskId);
  const path = join(run ? run.runDir : project.paths.stateDir, "brief.md");
  // A fresh file renamed into place: whatever is at the name (a link, under sandbox.mode: none,
  // where the agent writes anything) is replaced, never written through.
  writeAtomic(path, markdown);
  return { path, markdown, data };
}
