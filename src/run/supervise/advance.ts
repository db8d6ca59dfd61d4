/**
 * After a stage's gate passed (issue 16): a pause for the person (pause_after), the auditor's
 * read (its findings send the work back to the implementer), the next stage's first run in this
 * session, or, past the last stage, review. What comes next is the core's table
 * (core/pipeline-step.ts); this does it.
 */
import type { RunSpec } from "../../adapters/runfolder/index.js";
import { RunSandbox } from "../../adapters/sandbox/index.js";
import type { TaskRow } from "../../adapters/store/index.js";
import { type Failure, judgedFailure } from "../../core/attempt-outcome.js";
import { type Pipeline, type Stage, sendBackTarget } from "../../core/pipeline.js";
import {
  auditGate,
  auditNoVerdict,
  finishCause,
  pauseCause,
  pipelineLabel,
  pipelineStep,
  stageCannotStart,
  stageStartCause,
} from "../../core/pipeline-step.js";
import { stageStartOf } from "../../project/index.js";
import { writeBriefSafely } from "./conclude.js";
import { markEnded, type RunContext, runPipeline, say } from "./context.js";
import { followingRun, nextAttempt } from "./next-attempt.js";
import { runReviewer } from "./reviewer.js";

export type Step =
  | { kind: "ended"; hook: "on_review" | "on_fail" }
  | { kind: "next"; spec: RunSpec }
  | { kind: "back"; index: number; failure: Failure };

interface Advancing {
  ctx: RunContext;
  task: TaskRow;
  pipeline: Pipeline;
  head: string;
  exitCode: number | null;
}

export async function advance(ctx: RunContext, head: string, exitCode: number | null): Promise<Step> {
  const { store, spec } = ctx;
  const task = store.task(spec.taskId);
  const pipeline = task ? runPipeline(ctx, task) : null;
  if (!task || !pipeline) throw new Error(`task ${spec.taskId} or its pipeline is gone`);
  const a: Advancing = { ctx, task, pipeline, head, exitCode };
  let index = (spec.stage as NonNullable<RunSpec["stage"]>).index;
  for (;;) {
    const stage = pipeline.stages[index] as Stage;
    const step = pipelineStep(pipeline.stages, index, Boolean(spec.reviewer));
    if (step.kind === "finish") return finish(a, stage, step.review);
    if (step.kind === "pause") return pause(a, stage, step.next);
    store.setStage(task.id, step.next.index, head);
    if (step.kind === "start") return startStage(a, stage, step.next);
    const audited = await audit(a, step.next);
    if (audited) return audited;
    index = step.next.index;
  }
}

/** Past the last stage: the reviewer's read (unless an auditor just read it), then review. */
async function finish(a: Advancing, stage: Stage, review: boolean): Promise<Step> {
  const { ctx, task, pipeline, head, exitCode } = a;
  const { store, spec } = ctx;
  const read = review ? await runReviewer(ctx) : null;
  const after = pipeline.stages.length;
  if (read && !read.approve)
    return sendBack(a, after, judgedFailure({ kind: "changes-requested", after: "gate", notes: read.notes }));
  store.tx(() => {
    store.setStage(task.id, after, head);
    store.transition(task.id, "review", {
      cause: finishCause(pipelineLabel(pipeline.name, pipeline.stages), stage.role, head, read !== null),
      actor: ctx.actor,
      runId: spec.runId,
    });
    store.endRun(spec.runId, { outcome: "done", exitCode });
  });
  markEnded(ctx.paths);
  await writeBriefSafely(ctx);
  say(`every stage passed; ${task.id} is ready for review (ballador review ${task.id})`);
  return { kind: "ended", hook: "on_review" };
}

async function pause(a: Advancing, stage: Stage, next: Stage): Promise<Step> {
  const { ctx, task, head, exitCode } = a;
  const { store, spec } = ctx;
  store.tx(() => {
    store.setStage(task.id, next.index, head);
    store.transition(task.id, "review", {
      cause: pauseCause(task.id, stage.role, next.role),
      actor: ctx.actor,
      runId: spec.runId,
    });
    store.endRun(spec.runId, { outcome: "gate-passed", exitCode });
  });
  markEnded(ctx.paths);
  await writeBriefSafely(ctx);
  say(`${stage.role} passed its gate; paused for your check (ballador approve ${task.id})`);
  return { kind: "ended", hook: "on_review" };
}

/** The auditor reads; null when its gate passed (the pipeline goes on past it). */
async function audit(a: Advancing, next: Stage): Promise<Step | null> {
  const { ctx, task, head } = a;
  const { store, spec } = ctx;
  // No verdict is no audit: the auditor reads again, up to max_attempts.
  let v = await runReviewer(ctx, { stage: next });
  for (let i = 1; !v.verdict && i < spec.maxAttempts; i++) v = await runReviewer(ctx, { stage: next });
  const outcome = auditGate(v);
  store.addGate({
    taskId: task.id,
    runId: store.latestRun(task.id)?.id ?? null,
    stage: next.index,
    role: next.role,
    passed: outcome.passed,
    startCommit: head,
    commit: head,
    summary: outcome.summary,
    checks: outcome.checks,
    files: [],
  });
  if (outcome.passed) return null;
  if (!v.verdict) return failStage(a, auditNoVerdict(v.profile, next.role, spec.maxAttempts));
  return sendBack(
    a,
    next.index,
    judgedFailure({ kind: "audit", role: next.role, profile: v.profile, notes: v.notes }),
  );
}

/** The work goes back to the stage before `from` that can fix it. */
function sendBack(a: Advancing, from: number, failure: Failure): Step {
  const { store } = a.ctx;
  const target = sendBackTarget(a.pipeline.stages, from);
  store.setStage(a.task.id, target, stageStartOf(store.gates(a.task.id), target));
  return { kind: "back", index: target, failure };
}

function failStage(a: Advancing, reason: string): Step {
  const { ctx, task, exitCode } = a;
  const { store, spec } = ctx;
  store.tx(() => {
    store.endRun(spec.runId, { outcome: "gate-passed", exitCode });
    store.transition(task.id, "failed", { cause: reason, actor: ctx.actor, runId: spec.runId, reason });
  });
  markEnded(ctx.paths);
  say(`failed: ${reason}`);
  return { kind: "ended", hook: "on_fail" };
}

/** The next stage's first run, in this session: prepared before this one ends. */
async function startStage(a: Advancing, stage: Stage, next: Stage): Promise<Step> {
  const { ctx, task, head, exitCode, pipeline } = a;
  const { store, spec } = ctx;
  const nextSpec = await nextAttempt(ctx, null, next.index);
  if (!nextSpec) return failStage(a, stageCannotStart(next.role));
  markEnded(ctx.paths);
  store.tx(() => {
    store.endRun(spec.runId, { outcome: "gate-passed", exitCode });
    store.createRun(
      followingRun(ctx, {
        id: nextSpec.runId,
        attempt: nextSpec.attempt,
        profile: nextSpec.profile,
        stage: next.role,
        runDir: nextSpec.runDir,
      }),
    );
    store.transition(task.id, "running", {
      cause: stageStartCause(next, pipeline.stages.length, nextSpec.profile, stage.role, head),
      actor: ctx.actor,
      runId: nextSpec.runId,
      attempt: nextSpec.attempt,
    });
  });
  await RunSandbox.stopAll();
  say(`${stage.role} passed its gate; stage ${next.index + 1}: ${next.role} with ${nextSpec.profile}`);
  return { kind: "next", spec: nextSpec };
}
