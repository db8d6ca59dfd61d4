/**
 * The reviewer pass: a reviewer profile reads the verified change in a read-only sandbox and
 * approves or requests changes. No verdict (it exited, timed out) counts as no objection,
 * and the brief says so. A pipeline's auditor is this same pass with its role's prompt and
 * profile (issue 16).
 */
import { findProgram, type ResolvedProfile, resolveProfile } from "../../adapters/agents/profiles.js";
import { git } from "../../adapters/git/index.js";
import type { RunSpec } from "../../adapters/runfolder/index.js";
import { type Policy, RunSandbox } from "../../adapters/sandbox/index.js";
import type { TaskRow } from "../../adapters/store/index.js";
import { type Stage, stageProfile } from "../../core/pipeline.js";
import { assembleReviewPrompt } from "../../core/prompt.js";
import { buildBrief } from "../../verify/index.js";
import { auditPromptSection } from "../run-spec.js";
import { writeStandInFiles } from "../sandboxing.js";
import { forSpec, markEnded, type RunContext, runPipeline, say } from "./context.js";
import { followingRun, followUpSpec } from "./next-attempt.js";
import { agentEnvironment } from "./prepare.js";
import { runAgent } from "./watch.js";

export interface ReviewerRead {
  approve: boolean;
  notes: string;
  verdict: boolean;
  profile: string;
}

export async function runReviewer(ctx: RunContext, audit?: { stage: Stage }): Promise<ReviewerRead> {
  const { store, spec, project } = ctx;
  const task = store.task(spec.taskId);
  const name = audit
    ? stageProfile(audit.stage, task?.agent ?? null, project.config.agents.default)
    : (spec.reviewer as string);
  const who = audit ? audit.stage.role : "reviewer";
  const profile = resolveProfile(project.config, name);
  const program = findProgram(profile.command[0] as string, spec.repoRoot);
  if (!task || !program) {
    const why = !program ? `${profile.command[0]} not found` : "the task is gone";
    store.addNote(spec.taskId, spec.runId, "system", `${who}: no verdict from ${name} (${why})`);
    return { approve: !audit, notes: why, verdict: false, profile: name };
  }
  const { reviewSpec, policy } = await reviewerSpec(ctx, task, profile, program, audit);
  // The implementer's run is over (verified); the reviewer's run becomes the live one, atomically.
  store.tx(() => {
    store.endRun(spec.runId, { outcome: "verified" });
    store.createRun(
      followingRun(ctx, {
        id: reviewSpec.runId,
        attempt: spec.attempt,
        profile: name,
        stage: audit?.stage.role ?? null,
        runDir: reviewSpec.runDir,
      }),
    );
  });
  say(`${who} ${name} reads the change (read-only)`);
  const { outcome, exitCode } = await readChange(forSpec(ctx, reviewSpec), policy);
  if (spec.sandbox) await RunSandbox.start(spec.sandbox, { runDir: ctx.paths.dir, tmp: spec.tmp });
  const runId = reviewSpec.runId;
  if (outcome.kind === "verdict") {
    store.endRun(runId, {
      outcome: outcome.approve ? "approved" : "changes-requested",
      exitCode,
      detail: outcome.notes,
    });
    store.addNote(
      spec.taskId,
      runId,
      "system",
      `${who}: ${outcome.approve ? "approved" : "changes requested"} by ${name}${outcome.notes ? `: ${outcome.notes}` : ""}`,
    );
    return { approve: outcome.approve, notes: outcome.notes, verdict: true, profile: name };
  }
  store.endRun(runId, { outcome: "no-verdict", exitCode, detail: outcome.kind });
  store.addNote(spec.taskId, runId, "system", `${who}: no verdict from ${name} (${outcome.kind})`);
  return { approve: !audit, notes: "", verdict: false, profile: name };
}

/** The reviewer's run file: the brief and the branch's diff in its prompt. */
async function reviewerSpec(
  ctx: RunContext,
  task: TaskRow,
  profile: ResolvedProfile,
  program: string,
  audit?: { stage: Stage },
): Promise<{ reviewSpec: RunSpec; policy: Policy | null }> {
  const { spec, project } = ctx;
  const { markdown } = await buildBrief(project, spec.taskId);
  // The branch as the host knows it, from the repository: never the worktree's own HEAD.
  const diff = (
    await git(["diff", "--no-color", `${spec.projectBase}...refs/heads/${spec.branch}`], {
      cwd: spec.repoRoot,
      allowFail: true,
    })
  ).stdout;
  const stageSection = audit
    ? (auditPromptSection(project, runPipeline(ctx, task), audit.stage.index) ?? [])
    : undefined;
  const { next, policy } = await followUpSpec(
    ctx,
    { task, profile, program },
    { attempt: spec.attempt, suffix: `r${Math.random().toString(16).slice(2, 5)}`, readOnly: true },
    {
      previousFailure: null,
      resume: false,
      promptOverride: assembleReviewPrompt({
        task,
        brief: markdown,
        diff,
        ...(stageSection ? { stageSection } : {}),
      }),
      role: "reviewer",
    },
  );
  return { reviewSpec: next, policy };
}

/** The reviewer's agent, in its read-only sandbox. */
async function readChange(review: RunContext, policy: Policy | null) {
  const { spec } = review;
  const { env, masked } = await agentEnvironment(spec);
  let command = { file: spec.command[0] as string, args: spec.command.slice(1) };
  // One sandbox per process: the reviewer's read-only policy replaces the implementer's for now.
  if (policy) {
    const sandbox = await RunSandbox.start(policy, { runDir: review.paths.dir, tmp: spec.tmp, masked });
    Object.assign(env, sandbox.standIns());
    writeStandInFiles(spec.home, sandbox.standInFiles());
    command = await sandbox.wrapArgv(spec.command, spec.worktree);
  }
  const result = await runAgent(review, command, env);
  markEnded(review.paths);
  return result;
}
