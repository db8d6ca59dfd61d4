/**
 * Conclude the attempt: record how it ended (review, blocked, a budget, a violation, failed),
 * or, when it failed and the plan allows, switch to the next attempt in one transaction.
 */
import type { RunSpec } from "../../adapters/runfolder/index.js";
import { RunSandbox } from "../../adapters/sandbox/index.js";
import { budgetWords, type Failure, nextAttemptCause, violationReason } from "../../core/attempt-outcome.js";
import { writeBrief } from "../../verify/index.js";
import { launchSpent } from "../run-cost.js";
import type { Hook } from "./after.js";
import { markEnded, moveTask, type RunContext, say } from "./context.js";
import { followingRun, nextAttempt } from "./next-attempt.js";
import { notifyEnd } from "./notify.js";

/** What ends the loop (null) or starts the next attempt. */
export type Next = RunSpec | null;

export async function writeBriefSafely(ctx: RunContext): Promise<void> {
  try {
    await writeBrief(ctx.project, ctx.spec.taskId);
  } catch (err) {
    say(`could not write the review brief: ${(err as Error).message}`);
  }
}

/**
 * The attempt is over and so is the loop: said in the session, notified, and the hook of its
 * end run (on_review for review, on_fail otherwise).
 */
async function loopEnds(
  ctx: RunContext,
  end: { to: "review" | "failed" | "blocked"; reason: string | null; words: string },
  hook: Hook,
): Promise<Next> {
  say(end.words);
  await notifyEnd(ctx, end.to, end.reason, say);
  await hook(end.to === "review" ? "on_review" : "on_fail");
  return null;
}

/** A sandboxed step tried what the sandbox refuses: the task fails, the real refs unchanged. */
export async function concludeViolations(
  ctx: RunContext,
  violations: readonly string[],
  exitCode: number | null,
  hook: Hook,
): Promise<Next> {
  const { store, spec } = ctx;
  const reason = violationReason(violations);
  const current = store.task(spec.taskId);
  store.tx(() => {
    store.endRun(spec.runId, { outcome: "sandbox-violation", exitCode, detail: violations.join("\n") });
    if (current?.state === "running") moveTask(ctx, "failed", reason, { reason });
  });
  markEnded(ctx.paths);
  return loopEnds(
    ctx,
    { to: "failed", reason, words: `failed: ${reason}; the real refs are unchanged` },
    hook,
  );
}

/** Verified (and approved, if a reviewer read it): the task waits in review. */
export async function concludeReview(
  ctx: RunContext,
  cause: string,
  exitCode: number | null,
  hook: Hook,
): Promise<Next> {
  const { store, spec } = ctx;
  moveTask(ctx, "review", cause);
  store.endRun(spec.runId, { outcome: "done", exitCode });
  markEnded(ctx.paths);
  await writeBriefSafely(ctx);
  const words = `verified; ${spec.taskId} is ready for review (ballador review ${spec.taskId})`;
  return loopEnds(ctx, { to: "review", reason: null, words }, hook);
}

export async function concludeBlocked(
  ctx: RunContext,
  reason: string,
  exitCode: number | null,
  hook: Hook,
): Promise<Next> {
  const { store, spec } = ctx;
  moveTask(ctx, "blocked", "agent reported blocked", { reason });
  store.endRun(spec.runId, { outcome: "blocked", exitCode, detail: reason });
  markEnded(ctx.paths);
  return loopEnds(ctx, { to: "blocked", reason, words: `blocked: ${reason}` }, hook);
}

/**
 * A budget is spent: the task is blocked with reason "budget" (a person raises it, or retries
 * to start a new count). `stopped`: this run was stopped for it; otherwise the run ended on its
 * own (`failure`) and its retry is what the budget refuses.
 */
export async function blockForBudget(
  ctx: RunContext,
  spent: { scope: "task" | "launch"; why: string; stopped: boolean },
  exitCode: number | null,
  failure?: Failure,
): Promise<void> {
  const { store, spec } = ctx;
  const words = budgetWords(spent.scope, spent.why, spent.stopped, failure?.reason ?? null);
  // A task whose verification failed cannot be blocked from there (states.ts): it fails, same reason.
  const to = store.task(spec.taskId)?.state === "verifying" ? "failed" : "blocked";
  store.tx(() => {
    moveTask(ctx, to, words.cause, { reason: words.reason });
    store.endRun(spec.runId, {
      outcome: spent.stopped ? "budget" : (failure?.outcome ?? "budget"),
      exitCode,
      detail: spent.stopped ? words.reason : (failure?.reason ?? words.reason),
    });
  });
  markEnded(ctx.paths);
  say(words.advice);
  await notifyEnd(ctx, to, words.reason, say);
}

/**
 * The attempt failed: the next one (the failure fed back; `stageTarget`: an earlier stage the
 * work is sent back to), or, when the plan has none left or a budget refuses it, the task fails.
 */
export async function concludeFailure(
  ctx: RunContext,
  failure: Failure,
  opts: { retry: boolean; stageTarget?: number; exitCode: number | null },
  hook: Hook,
): Promise<Next> {
  const { store, spec } = ctx;
  // A launch whose budget another run spent starts no retry: the task waits for a person.
  const spent = launchSpent(store, spec.runId);
  if (spent) {
    await blockForBudget(ctx, { scope: "launch", why: spent, stopped: false }, opts.exitCode, failure);
    await hook("on_fail");
    return null;
  }
  // The next attempt is prepared before this one is ended, and the switch is one transaction:
  // at no moment does the task look like it runs with no live run (reconcile would fail it).
  const next = opts.retry ? await nextAttempt(ctx, failure.feedback, opts.stageTarget) : null;
  markEnded(ctx.paths);
  if (!next) {
    store.tx(() => {
      store.endRun(spec.runId, { outcome: failure.outcome, exitCode: opts.exitCode, detail: failure.reason });
      moveTask(ctx, "failed", failure.reason, { reason: failure.reason });
    });
    return loopEnds(ctx, { to: "failed", reason: failure.reason, words: `failed: ${failure.reason}` }, hook);
  }
  switchToNext(ctx, failure, next, opts.exitCode);
  await RunSandbox.stopAll();
  say(`starting attempt ${next.attempt} with ${next.profile}, the failure fed back`);
  return next;
}

function switchToNext(ctx: RunContext, failure: Failure, next: RunSpec, exitCode: number | null): void {
  const { store, spec } = ctx;
  store.tx(() => {
    store.endRun(spec.runId, { outcome: failure.outcome, exitCode, detail: failure.reason });
    // A failed attempt is a fact in the log; so is the next one starting.
    if (failure.from === "running") moveTask(ctx, "failed", failure.reason, { reason: failure.reason });
    store.createRun(
      followingRun(ctx, {
        id: next.runId,
        attempt: next.attempt,
        profile: next.profile,
        stage: next.stage?.role ?? null,
        runDir: next.runDir,
      }),
    );
    store.transition(spec.taskId, "running", {
      cause: nextAttemptCause(
        failure,
        {
          attempt: next.attempt,
          profile: next.profile,
          stageRole: next.stage?.role ?? null,
          otherStage: next.stage !== undefined && next.stage.index !== spec.stage?.index,
        },
        spec.profile,
      ),
      actor: ctx.actor,
      runId: next.runId,
      attempt: next.attempt,
    });
  });
}
