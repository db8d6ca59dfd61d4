/**
 * Judge a done: Ballador verifies the reported branch on a clean checkout (an update's branch
 * must contain the new base first), then a pipeline stage's gate decides (and what comes next,
 * advance.ts), or, without a pipeline, the reviewer reads it before review.
 */
import { isAncestor, resolveCommit } from "../../adapters/git/index.js";
import { type Failure, judgedFailure } from "../../core/attempt-outcome.js";
import type { Verdict } from "../../verify/index.js";
import { advance } from "./advance.js";
import type { Hook } from "./after.js";
import { concludeReview, type Next } from "./conclude.js";
import { moveTask, type RunContext, say } from "./context.js";
import { notifyEnd } from "./notify.js";
import { runReviewer } from "./reviewer.js";
import { stageGate } from "./stage-gate.js";
import { recordVerdict, stageKept, verifyRunCommit } from "./verify-run.js";

/** The judgement: the attempt concluded (`next`), or it failed (fed back, maybe to another stage). */
export type Judged =
  | { kind: "concluded"; next: Next }
  | { kind: "failed"; failure: Failure; stageTarget?: number };

export async function judgeDone(
  ctx: RunContext,
  summary: string,
  exitCode: number | null,
  hook: Hook,
): Promise<Judged> {
  const { spec } = ctx;
  moveTask(ctx, "verifying", "agent reported done", { detail: summary || null });
  say(
    spec.verify
      ? `verifying on a clean checkout: ${spec.verify}${spec.sandbox ? " (in the sandbox)" : ""}`
      : "no verify command configured",
  );
  const commit = await resolveCommit(spec.repoRoot, `refs/heads/${spec.branch}`);
  if (!commit) throw new Error(`branch ${spec.branch} does not exist`);
  // An update's attempt must bring the new base in: work without it is not verified at all.
  const missing: string[] = [];
  for (const c of spec.mustContain ?? [])
    if (!(await isAncestor(spec.repoRoot, c, commit).catch(() => false))) missing.push(c);
  if (missing.length) {
    say(
      `not verified: the branch does not contain ${missing.map((c) => c.slice(0, 10)).join(", ")}, which this update brings in`,
    );
    return { kind: "failed", failure: judgedFailure({ kind: "missing-base", missing }) };
  }
  const verdict = await verifyRunCommit(ctx, commit, undefined, await stageKept(ctx, commit));
  recordVerdict(ctx, verdict);
  if (spec.stage) return judgeStage(ctx, commit, verdict, exitCode, hook);
  return judgeVerified(ctx, verdict, exitCode, hook);
}

/** A pipeline's stage (issue 16): its gate decides, then the next stage, a pause, or review. */
async function judgeStage(
  ctx: RunContext,
  commit: string,
  verdict: Verdict,
  exitCode: number | null,
  hook: Hook,
): Promise<Judged> {
  const stage = ctx.spec.stage as NonNullable<typeof ctx.spec.stage>;
  const gate = await stageGate(ctx, commit, verdict);
  if (!gate.passed)
    return {
      kind: "failed",
      failure: judgedFailure({ kind: "gate", role: stage.role, stageKind: stage.kind, gate, verdict }),
    };
  const step = await advance(ctx, commit, exitCode);
  if (step.kind === "next") return { kind: "concluded", next: step.spec };
  if (step.kind === "back") return { kind: "failed", failure: step.failure, stageTarget: step.index };
  if (step.hook === "on_review") await notifyEnd(ctx, "review", null, say);
  await hook(step.hook);
  return { kind: "concluded", next: null };
}

/** Without a pipeline: verified work is read by the reviewer (if any), then waits in review. */
async function judgeVerified(
  ctx: RunContext,
  verdict: Verdict,
  exitCode: number | null,
  hook: Hook,
): Promise<Judged> {
  const { spec } = ctx;
  const review = verdict.ok && spec.reviewer && spec.role !== "reviewer" ? await runReviewer(ctx) : null;
  if (verdict.ok && review?.approve !== false) {
    const approved = review ? "; reviewer approved" : "";
    const cause = verdict.command
      ? `verified: ${verdict.command} passed on a clean checkout of ${verdict.commit.slice(0, 10)}${approved}`
      : `no verify command configured${approved}`;
    return { kind: "concluded", next: await concludeReview(ctx, cause, exitCode, hook) };
  }
  if (review && !review.approve)
    return {
      kind: "failed",
      failure: judgedFailure({ kind: "changes-requested", after: "verification", notes: review.notes }),
    };
  say(`verification failed: ${verdict.command} exited ${verdict.code ?? "(timeout)"} (log: ${verdict.log})`);
  return { kind: "failed", failure: judgedFailure({ kind: "verify-failed", verdict }) };
}
