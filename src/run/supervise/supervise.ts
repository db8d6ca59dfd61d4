/**
 * The run supervisor: the process inside each tmux session. It starts the agent on the
 * session's terminal, handles the agent's reports (done, blocked, note) from the run folder,
 * verifies on a clean checkout, records every outcome in the store, and when an attempt does
 * not pass, starts the next one (same worktree, the failure fed back), up to max_attempts,
 * then the profile's fallback, then failed.
 *
 * The loop opens the project once; the run's plan (run spec) decides everything after. An
 * attempt is a short pipeline of named stages, one file each: prepare the agent (prepare.ts),
 * watch it (watch.ts), after it (after.ts: hooks, denials, violations), judge its done
 * (judge.ts, stage-gate.ts, advance.ts, reviewer.ts) or map its failure (core/attempt-outcome.ts),
 * conclude (conclude.ts, next-attempt.ts).
 */
import { existsSync } from "node:fs";
import { withGitFacts } from "../../adapters/git/index.js";
import {
  type RunSpec,
  readPlannedRunSpec,
  readProvisionSpec,
  runFolder,
} from "../../adapters/runfolder/index.js";
import { RunSandbox } from "../../adapters/sandbox/index.js";
import { TaskStore } from "../../adapters/store/index.js";
import { attemptEnd, type Outcome } from "../../core/attempt-outcome.js";
import { settleTrackerWrites, watchTrackerWrites } from "../../notify/index.js";
import { openProject, type Project } from "../../project/index.js";
import { agentLeavesTerminal } from "../live-session.js";
import { provisionInSession } from "../provision.js";
import { takeInRunWork } from "../run-steps.js";
import { afterAgent, type Hook, hookRunner, takeInStep } from "./after.js";
import {
  blockForBudget,
  concludeBlocked,
  concludeFailure,
  concludeViolations,
  type Next,
} from "./conclude.js";
import { markEnded, plannedProject, type RunContext, runContext, say } from "./context.js";
import { judgeDone } from "./judge.js";
import { settleNotifications } from "./notify.js";
import { announceAttempt, prepareAgent } from "./prepare.js";
import { runAgent } from "./watch.js";

export async function supervise(runDir: string): Promise<number> {
  // A fresh launch hands over a claim: this session provisions its run first (provision.ts).
  const claim = existsSync(runFolder(runDir).host.spec) ? null : readProvisionSpec(runDir);
  let opened: Project | null = null;
  if (claim) {
    opened = await openProject(claim.repoRoot);
    let provisioned = false;
    try {
      provisioned = (await provisionInSession(opened, claim, (text) => say(text))) !== null;
      if (!provisioned) return 1;
    } finally {
      // Kept for the agent (start() re-targets it): a second start costs its bridges again.
      if (!provisioned) await RunSandbox.stopAll();
      // Its store is closed; the project (paths, config) stays this supervisor's.
      opened.close();
    }
  }
  let spec: RunSpec;
  let store: TaskStore;
  try {
    spec = readPlannedRunSpec(runDir);
    store = TaskStore.open(spec.stateDir, { stack: spec.stack });
  } catch (err) {
    await RunSandbox.stopAll(); // kept up after provisioning: its proxy would hold this process
    throw err;
  }
  try {
    opened ??= await openProject(spec.repoRoot);
    const project = plannedProject(opened, store, spec);
    // Its task's states (running, review, failed, blocked) are told to a tracker as they change.
    watchTrackerWrites(project, (text) => say(text));
    for (;;) {
      const next = await superviseAttempt(runContext(project, store, spec));
      if (!next) break;
      spec = next;
    }
  } catch (err) {
    await recordSupervisorError(store, spec, err as Error);
    throw err;
  } finally {
    await settleTrackerWrites();
    await settleNotifications();
    await RunSandbox.stopAll();
    store.close();
  }
  return 0;
}

/** Record what is known rather than leave it to reconcile to guess. */
async function recordSupervisorError(store: TaskStore, spec: RunSpec, err: Error): Promise<void> {
  await takeInRunWork(spec.repoRoot, spec.runDir, spec.runId).catch(() => []);
  const message = `supervisor error: ${err.message.split("\n")[0]}`;
  agentLeavesTerminal();
  say(message);
  store.endRun(spec.runId, { outcome: "supervisor-error", detail: err.stack ?? message });
  const t = store.task(spec.taskId);
  if (t && (t.state === "running" || t.state === "verifying")) {
    store.transition(spec.taskId, "failed", {
      cause: message,
      actor: `supervisor:${spec.runId}`,
      reason: `agent: ${message}`,
      runId: spec.runId,
    });
  }
  markEnded(runFolder(spec.runDir));
}

/** One attempt: prepare, watch, after, judge or map the failure, conclude. Returns the next attempt, if any. */
async function superviseAttempt(ctx: RunContext): Promise<Next> {
  const { store, spec } = ctx;
  await announceAttempt(ctx);
  const violations: string[] = [];
  const agent = await prepareAgent(ctx);
  let outcome: Outcome;
  let exitCode: number | null = null;
  if (agent.startError) {
    say(`cannot start the agent: ${agent.startError}`);
    outcome = { kind: "exited", code: null, signal: null, error: agent.startError };
  } else {
    ({ outcome, exitCode } = await runAgent(ctx, agent.command, agent.env));
    if (agent.copy) violations.push(...(await takeInStep(ctx, agent.copy, "agent", agent.sandbox)));
  }
  const hook = hookRunner(ctx, violations);
  await hook("after_run");
  afterAgent(ctx);
  if (violations.length > 0) return concludeViolations(ctx, violations, exitCode, hook);
  // The person may have stopped or abandoned the task meanwhile: their decision stands.
  const current = store.task(spec.taskId);
  if (current?.state !== "running") {
    store.endRun(spec.runId, { outcome: `ended while ${current?.state ?? "gone"}`, exitCode });
    say(`the task is ${current?.state ?? "gone"}; nothing more to do`);
    markEnded(ctx.paths);
    return null;
  }
  return judgeOrMap(ctx, outcome, exitCode, hook);
}

/** A done is judged; any other end is mapped by the core's table, then concluded. */
async function judgeOrMap(
  ctx: RunContext,
  outcome: Outcome,
  exitCode: number | null,
  hook: Hook,
): Promise<Next> {
  const end = attemptEnd(outcome, { timeoutMs: ctx.spec.timeoutMs, program: ctx.spec.command[0] as string });
  if (end.kind === "blocked") return concludeBlocked(ctx, end.reason, exitCode, hook);
  if (end.kind === "budget") {
    await blockForBudget(ctx, { scope: end.scope, why: end.reason, stopped: true }, exitCode);
    await hook("on_fail");
    return null;
  }
  if (end.kind === "failed") return concludeFailure(ctx, end.failure, { retry: end.retry, exitCode }, hook);
  // One reading of the repository from the verdict to the brief (issue 35): the branch, the
  // base and their merge base asked once, not by each of verify, gates, brief and conflicts.
  const judged = await withGitFacts(() => judgeDone(ctx, end.summary, exitCode, hook));
  if (judged.kind === "concluded") return judged.next;
  return concludeFailure(
    ctx,
    judged.failure,
    {
      retry: true,
      exitCode,
      ...(judged.stageTarget !== undefined ? { stageTarget: judged.stageTarget } : {}),
    },
    hook,
  );
}
