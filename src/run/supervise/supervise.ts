/**
 * The run supervisor: the process inside each tmux session. It starts the agent on the
 * session's terminal, handles the agent's reports (done, blocked, note) from the run folder,
 * verifies on a clean checkout, records every outcome in the store, and when an attempt does
 * not pass, starts the next one (same worktree, the failure fed back), up to max_attempts,
 * then the profile's fallback, then failed.
 */
import { spawn } from "node:child_process";
import { existsSync, openSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { prepareAgentHome } from "../../adapters/agents/home.js";
import { findProgram, type ResolvedProfile, resolveProfile } from "../../adapters/agents/profiles.js";
import { git, isAncestor, resolveCommit } from "../../adapters/git/index.js";
import { runShell } from "../../adapters/process/shell.js";
import {
  type GateResult,
  makeRunFolder,
  type NeedsYouPolicy,
  type Report,
  type RunSpec,
  readProvisionSpec,
  readRunSpec,
  runPaths,
  takeReports,
  writeRunSpec,
} from "../../adapters/runfolder/index.js";
import { gitObjectEnv, type MaskedSecret, RunSandbox, readDenials } from "../../adapters/sandbox/index.js";
import { TaskStore } from "../../adapters/store/index.js";
import { Tmux } from "../../adapters/tmux/index.js";
import { tailMarkdown } from "../../core/check-output.js";
import { newRunId } from "../../core/ids.js";
import { boundAsked, screenQuestion } from "../../core/needs-you.js";
import {
  type GateOutcome,
  gateFeedback,
  gateOutcome,
  type Stage,
  sendBackTarget,
  stageProfile,
} from "../../core/pipeline.js";
import { assembleReviewPrompt } from "../../core/prompt.js";
import { tamperedNote } from "../../core/tampered-note.js";
import { terminalLine } from "../../core/terminal-text.js";
import {
  isReviewerRun,
  openProject,
  type Project,
  stageStartOf,
  taskPipeline,
  taskStage,
} from "../../project/index.js";
import {
  buildBrief,
  type JudgeDirs,
  stageChecks,
  stageKeptFiles,
  type Verdict,
  verificationKey,
  verifyClean,
  writeBrief,
} from "../../verify/index.js";
import {
  agentLeavesTerminal,
  agentLogSize,
  agentTakesTerminal,
  latestGateLog,
  Refusal,
  sessionSay,
  typeLine,
} from "../live-session.js";
import { mcpSelection } from "../mcp-servers.js";
import { provisionInSession } from "../provision.js";
import { launchSpent, RunCost } from "../run-cost.js";
import type { RefCopy } from "../run-refs.js";
import { auditPromptSection, buildRunSpec, mcpForHome } from "../run-spec.js";
import { afterSandboxedStep, beforeSandboxedStep, takeInRunWork } from "../run-steps.js";
import { policyForRun, resolveSecrets, splitSecrets, writeStandInFiles } from "../sandboxing.js";
import { notifyEnd, notifyNeedsYou, settleNotifications } from "./notify.js";

const POLL_MS = 250;
const GRACE_MS = 3000;

type Failure = { reason: string; feedback: string; outcome: string; from: "running" | "verifying" };

type Outcome =
  | { kind: "done"; summary: string }
  | { kind: "blocked"; reason: string }
  | { kind: "exited"; code: number | null; signal: string | null; error: string | null }
  | { kind: "timeout" }
  | { kind: "idle"; minutes: number }
  | { kind: "refused"; gate: GateResult; log: string }
  | { kind: "verdict"; approve: boolean; notes: string }
  | { kind: "budget"; scope: "task" | "launch"; reason: string };

function say(text: string): void {
  sessionSay(text);
}

export async function supervise(runDir: string): Promise<number> {
  // A fresh launch hands over a claim: this session provisions its run first (provision.ts).
  const claim = existsSync(runPaths(runDir).runFile) ? null : readProvisionSpec(runDir);
  if (claim) {
    const project = await openProject(claim.repoRoot);
    let provisioned = false;
    try {
      provisioned = (await provisionInSession(project, claim, (text) => say(text))) !== null;
      if (!provisioned) return 1;
    } finally {
      // Kept for the agent (start() re-targets it): a second start costs its bridges again.
      if (!provisioned) await RunSandbox.stopAll();
      project.close();
    }
  }
  let spec: RunSpec;
  let store: TaskStore;
  try {
    spec = readRunSpec(runDir);
    store = TaskStore.open(spec.stateDir, { stack: spec.stack });
  } catch (err) {
    await RunSandbox.stopAll(); // kept up after provisioning: its proxy would hold this process
    throw err;
  }
  try {
    for (;;) {
      const next = await superviseAttempt(store, spec);
      if (!next) break;
      spec = next;
    }
  } catch (err) {
    // Record what is known rather than leave it to reconcile to guess.
    await takeInRunWork(spec.repoRoot, spec.runDir, spec.runId).catch(() => []);
    const message = `supervisor error: ${(err as Error).message.split("\n")[0]}`;
    agentLeavesTerminal();
    say(message);
    store.endRun(spec.runId, { outcome: "supervisor-error", detail: (err as Error).stack ?? message });
    const t = store.task(spec.taskId);
    if (t && (t.state === "running" || t.state === "verifying")) {
      store.transition(spec.taskId, "failed", {
        cause: message,
        actor: `supervisor:${spec.runId}`,
        reason: `agent: ${message}`,
        runId: spec.runId,
      });
    }
    markEnded(spec.runDir);
    throw err;
  } finally {
    await settleNotifications();
    await RunSandbox.stopAll();
    store.close();
  }
  return 0;
}

/**
 * A budget is spent: the task is blocked with reason "budget" (a person raises it, or retries
 * to start a new count). `stopped`: this run was stopped for it; otherwise the run ended on its
 * own (`failure`) and its retry is what the budget refuses.
 */
async function blockForBudget(
  store: TaskStore,
  spec: RunSpec,
  scope: "task" | "launch",
  why: string,
  exitCode: number | null,
  stopped: boolean,
  failure?: Failure,
): Promise<void> {
  const reason = `budget: ${why} (the agent's own records)`;
  const whose = scope === "task" ? "the task's budget is spent" : "the launch's budget is spent";
  // A task whose verification failed cannot be blocked from there (states.ts): it fails, same reason.
  const to = store.task(spec.taskId)?.state === "verifying" ? "failed" : "blocked";
  store.tx(() => {
    store.transition(spec.taskId, to, {
      cause: stopped
        ? `${whose}; the run was stopped`
        : `${failure?.reason ?? "the run ended"}; ${whose}, so no retry`,
      actor: `supervisor:${spec.runId}`,
      runId: spec.runId,
      reason,
    });
    store.endRun(spec.runId, {
      outcome: stopped ? "budget" : (failure?.outcome ?? "budget"),
      exitCode,
      detail: stopped ? reason : (failure?.reason ?? reason),
    });
  });
  markEnded(spec.runDir);
  say(
    `stopped: ${reason}; ${scope === "task" ? "raise budget: in .ballador/config.yaml, or retry to start a new count" : "raise budget.launch in .ballador/config.yaml, or launch again (a new launch, a new count)"}`,
  );
  await notifyEnd(store, spec, to, reason, say);
}

/** One attempt: start the agent, wait for its report, verify, conclude. Returns the next attempt, if any. */
async function superviseAttempt(store: TaskStore, spec: RunSpec): Promise<RunSpec | null> {
  const runDir = spec.runDir;
  const actor = `supervisor:${spec.runId}`;
  store.updateRun(spec.runId, { supervisorPid: process.pid });
  store.markRunStarted(spec.runId);
  say(`task ${spec.taskId}, attempt ${spec.attempt} of ${spec.maxAttempts}, agent ${spec.profile}`);
  if (spec.stage) {
    say(`stage ${spec.stage.index + 1} of ${spec.stage.count}: ${spec.stage.role}`);
    // The stage's gate judges what changed since it started: the branch as its first attempt found it.
    const t = store.task(spec.taskId);
    if (t && t.stageStart === null)
      store.setStage(spec.taskId, t.stage, await resolveCommit(spec.repoRoot, `refs/heads/${spec.branch}`));
  }
  say(`branch ${spec.branch} in ${spec.worktree}`);
  say("detach with Ctrl-b d; the agent keeps working");
  if (spec.sandbox) {
    say(
      `sandbox: writes only in the worktree and its own folders of the run; network only to ${spec.sandbox.network.allowedDomains.join(", ") || "no host"}`,
    );
  } else {
    say("\x1b[31mSANDBOX OFF (sandbox.mode: none): this agent has your full access\x1b[0m");
  }

  let agentEnv: Record<string, string> = { ...spec.env };
  let startError: string | null = null;
  let sandbox: RunSandbox | null = null;
  let command = { file: spec.command[0] as string, args: spec.command.slice(1) };
  let copy: RefCopy | null = null;
  const violations: string[] = [];
  try {
    const prepared = await agentEnvironment(spec);
    agentEnv = prepared.env;
    if (spec.sandbox) {
      copy = await beforeSandboxedStep(spec.repoRoot, runDir, spec.branch);
      sandbox = await RunSandbox.start(spec.sandbox, { runDir, tmp: spec.tmp, masked: prepared.masked });
      // The agent, and what its home is seeded with, hold the stand-ins of masked secrets.
      Object.assign(agentEnv, sandbox.standIns());
      writeStandInFiles(spec.home, sandbox.standInFiles());
    }
    if (spec.sandbox && Object.keys(spec.secrets).length > 0 && spec.role !== "reviewer") {
      // Seeding again now that secrets are known: e.g. Claude Code must see its API key approved.
      const project = await openProject(spec.repoRoot);
      try {
        const profile = resolveProfile(project.config, spec.profile);
        const realHome = process.env.HOME ?? spec.home;
        const seeded = await prepareAgentHome(profile, {
          home: spec.home,
          realHome,
          mcp: mcpForHome(await mcpSelection(project, profile, realHome)),
          worktree: spec.worktree,
          sandboxed: true,
          env: agentEnv,
        });
        Object.assign(agentEnv, seeded.env);
      } finally {
        project.close();
      }
    }
    if (sandbox) command = await sandbox.wrapArgv(spec.command, spec.worktree);
  } catch (err) {
    startError = (err as Error).message;
  }

  let outcome: Outcome;
  let exitCode: number | null = null;
  if (startError) {
    say(`cannot start the agent: ${startError}`);
    outcome = { kind: "exited", code: null, signal: null, error: startError };
  } else {
    const r = await runAgent(store, spec, command, agentEnv);
    outcome = r.outcome;
    exitCode = r.exitCode;
    if (copy) violations.push(...(await takeInStep(store, spec, copy, "agent")));
  }

  const hook = async (name: "after_run" | "on_review" | "on_fail") => {
    const cmd = spec.hooks[name];
    if (!cmd.trim()) return;
    say(`hook ${name}: ${cmd}`);
    // The hook runs in the agent's tree with the agent's policy: the same care as the agent.
    let hookCopy: RefCopy | null = null;
    let wrapped: { file: string; args: string[] } | undefined;
    if (spec.sandbox) {
      hookCopy = await beforeSandboxedStep(spec.repoRoot, runDir, spec.branch);
      sandbox = await RunSandbox.start(spec.sandbox, { runDir, tmp: spec.tmp });
      wrapped = await sandbox.wrapShell(cmd, spec.worktree);
    }
    await runShell(cmd, {
      cwd: spec.worktree,
      env: spec.env,
      logFile: runPaths(runDir).hooksLog,
      label: name,
      ...(wrapped ? { wrapped } : {}),
    });
    if (hookCopy) violations.push(...(await takeInStep(store, spec, hookCopy, `hook ${name}`)));
  };
  await hook("after_run");
  reportDenials(spec);
  // Gate results are facts whatever the outcome: a refused done of a run that then gave up counts too.
  for (const report of takeReports(runDir)) if (report.kind === "gate") handleReport(store, spec, report);

  if (violations.length > 0) {
    const reason = `sandbox violation: ${violations[0]}${violations.length > 1 ? ` (and ${violations.length - 1} more)` : ""}`;
    const current = store.task(spec.taskId);
    store.tx(() => {
      store.endRun(spec.runId, { outcome: "sandbox-violation", exitCode, detail: violations.join("\n") });
      if (current?.state === "running") {
        store.transition(spec.taskId, "failed", { cause: reason, actor, runId: spec.runId, reason });
      }
    });
    markEnded(runDir);
    say(`failed: ${reason}; the real refs are unchanged`);
    await notifyEnd(store, spec, "failed", reason, say);
    await hook("on_fail");
    return null;
  }

  // The person may have stopped or abandoned the task meanwhile: their decision stands.
  const current = store.task(spec.taskId);
  if (current?.state !== "running") {
    store.endRun(spec.runId, { outcome: `ended while ${current?.state ?? "gone"}`, exitCode });
    say(`the task is ${current?.state ?? "gone"}; nothing more to do`);
    markEnded(runDir);
    return null;
  }

  let failure: Failure;
  // A send-back to an earlier stage (an auditor's findings): the next attempt is of that stage.
  let stageTarget: number | undefined;
  if (outcome.kind === "done") {
    store.transition(spec.taskId, "verifying", {
      cause: "agent reported done",
      actor,
      runId: spec.runId,
      detail: outcome.summary || null,
    });
    say(
      spec.verify
        ? `verifying on a clean checkout: ${spec.verify}${sandbox ? " (in the sandbox)" : ""}`
        : "no verify command configured",
    );
    const commit = await resolveCommit(spec.repoRoot, `refs/heads/${spec.branch}`);
    if (!commit) throw new Error(`branch ${spec.branch} does not exist`);
    // An update's attempt must bring the new base in: work without it is not verified at all.
    const missing: string[] = [];
    for (const c of spec.mustContain ?? [])
      if (!(await isAncestor(spec.repoRoot, c, commit).catch(() => false))) missing.push(c);
    const verdict: Verdict | null = missing.length
      ? null
      : await verifyRunCommit(spec, commit, say, undefined, await stageKept(store, spec, commit));
    if (!verdict) {
      const what = missing.map((c) => c.slice(0, 10)).join(", ");
      say(`not verified: the branch does not contain ${what}, which this update brings in`);
      failure = {
        reason: `update: the branch does not contain ${what}; the conflicts are not resolved`,
        feedback: `Your branch does not contain ${missing.join(", ")}. Merge ${missing.length === 1 ? "it" : "them"} into your branch (git merge ${missing.join(" ")}), resolve the conflicts, commit the merge, then run ballador done.`,
        outcome: "verify-failed",
        from: "verifying",
      };
    } else {
      recordVerdict(store, spec, verdict);
      if (spec.stage) {
        // A pipeline's stage (issue 16): its gate decides, then the next stage, a pause, or review.
        const gate = await stageGate(store, spec, commit, verdict);
        if (gate.passed) {
          const step = await advance(store, spec, commit, exitCode);
          if (step.kind === "next") return step.spec;
          if (step.kind === "ended") {
            if (step.hook === "on_review") await notifyEnd(store, spec, "review", null, say);
            await hook(step.hook);
            return null;
          }
          failure = step.failure;
          stageTarget = step.index;
        } else {
          failure = {
            reason: `gate (${spec.stage.role}): ${gate.summary}`,
            feedback: `${gateFeedback(spec.stage.role, gate)}${!verdict.ok && spec.stage.kind !== "tests" ? `\n\nThe end of the verification output (${verdict.command} on ${verdict.commit.slice(0, 10)}):\n\n${tailMarkdown(verdict.tail, verdict.log)}` : ""}`,
            outcome: "gate-failed",
            from: "verifying",
          };
        }
      } else {
        let review: { approve: boolean; notes: string } | null = null;
        if (verdict.ok && spec.reviewer && spec.role !== "reviewer") {
          review = await runReviewer(store, spec);
        }
        if (verdict.ok && review?.approve !== false) {
          store.transition(spec.taskId, "review", {
            cause: verdict.command
              ? `verified: ${verdict.command} passed on a clean checkout of ${verdict.commit.slice(0, 10)}${review ? "; reviewer approved" : ""}`
              : `no verify command configured${review ? "; reviewer approved" : ""}`,
            actor,
            runId: spec.runId,
          });
          store.endRun(spec.runId, { outcome: "done", exitCode });
          markEnded(runDir);
          await writeBriefSafely(spec);
          say(`verified; ${spec.taskId} is ready for review (ballador review ${spec.taskId})`);
          await notifyEnd(store, spec, "review", null, say);
          await hook("on_review");
          return null;
        }
        if (review && !review.approve) {
          failure = {
            reason: "review: changes requested",
            feedback: `Your work passed verification, but a reviewer read it and requested changes:\n\n${review.notes}`,
            outcome: "changes-requested",
            from: "verifying",
          };
        } else {
          say(
            `verification failed: ${verdict.command} exited ${verdict.code ?? "(timeout)"} (log: ${verdict.log})`,
          );
          failure = {
            reason: `verify: ${verdict.command} exited ${verdict.code ?? "by timeout"}`,
            feedback: `Ballador ran \`${verdict.command}\` on a clean checkout of your last commit ${verdict.commit.slice(0, 10)} and it failed (exit ${verdict.code ?? "timeout"}):\n\n${tailMarkdown(verdict.tail, verdict.log)}${tamperedNote(verdict.tampered)}`,
            outcome: "verify-failed",
            from: "verifying",
          };
        }
      }
    }
  } else if (outcome.kind === "blocked") {
    store.transition(spec.taskId, "blocked", {
      cause: "agent reported blocked",
      actor,
      runId: spec.runId,
      reason: outcome.reason,
    });
    store.endRun(spec.runId, { outcome: "blocked", exitCode, detail: outcome.reason });
    markEnded(runDir);
    say(`blocked: ${outcome.reason}`);
    await notifyEnd(store, spec, "blocked", outcome.reason, say);
    await hook("on_fail");
    return null;
  } else if (outcome.kind === "budget") {
    await blockForBudget(store, spec, outcome.scope, outcome.reason, exitCode, true);
    await hook("on_fail");
    return null;
  } else if (outcome.kind === "verdict") {
    const reason = "agent: reported a review verdict instead of done";
    failure = {
      reason,
      feedback: `${reason}; you are the implementer: report with ballador done.`,
      outcome: "exited",
      from: "running",
    };
  } else if (outcome.kind === "refused") {
    const reason = `verify: ballador done was refused (${outcome.gate.command} exited ${outcome.gate.code ?? "by timeout"} on ${outcome.gate.commit.slice(0, 10)}) and the agent went quiet`;
    failure = {
      reason,
      feedback: `${reason}.${outcome.log ? ` The end of its output:\n\n${tailMarkdown(outcome.log, null)}` : ""}\n\nFix what fails, commit, and run ballador done again.`,
      outcome: "verify-failed",
      from: "running",
    };
  } else if (outcome.kind === "idle") {
    const reason = `timeout: idle for ${outcome.minutes} min without reporting done or blocked`;
    failure = {
      reason,
      feedback: `${reason}. When the work is committed and verified, run ballador done --summary "..."; if you cannot go on, run ballador blocked "why".`,
      outcome: "idle",
      from: "running",
    };
  } else if (outcome.kind === "timeout") {
    const reason = `timeout: the run took longer than ${Math.round(spec.timeoutMs / 1000)} s`;
    failure = {
      reason,
      feedback: `${reason}; the agent was stopped. Work in smaller steps and report with ballador done.`,
      outcome: "timeout",
      from: "running",
    };
  } else {
    const reason = outcome.error
      ? `agent: could not start ${spec.command[0]}: ${outcome.error}`
      : `agent: exited with ${outcome.code !== null ? `code ${outcome.code}` : `signal ${outcome.signal}`} without reporting done or blocked`;
    failure = {
      reason,
      feedback: `${reason}. Finish the work, commit it, and report with ballador done (or ballador blocked).`,
      outcome: "exited",
      from: "running",
    };
  }

  // A launch whose budget another run spent starts no retry: the task waits for a person.
  const spent = launchSpent(store, spec.runId);
  if (spent) {
    await blockForBudget(store, spec, "launch", spent, exitCode, false, failure);
    await hook("on_fail");
    return null;
  }
  // The next attempt is prepared before this one is ended, and the switch is one transaction:
  // at no moment does the task look like it runs with no live run (reconcile would fail it).
  const next =
    outcome.kind === "exited" && outcome.error
      ? null
      : await nextAttempt(store, spec, failure.feedback, stageTarget);
  markEnded(runDir);
  if (!next) {
    store.tx(() => {
      store.endRun(spec.runId, { outcome: failure.outcome, exitCode, detail: failure.reason });
      store.transition(spec.taskId, "failed", {
        cause: failure.reason,
        actor,
        runId: spec.runId,
        reason: failure.reason,
      });
    });
    say(`failed: ${failure.reason}`);
    await notifyEnd(store, spec, "failed", failure.reason, say);
    await hook("on_fail");
    return null;
  }
  store.tx(() => {
    store.endRun(spec.runId, { outcome: failure.outcome, exitCode, detail: failure.reason });
    // A failed attempt is a fact in the log; so is the next one starting.
    if (failure.from === "running") {
      store.transition(spec.taskId, "failed", {
        cause: failure.reason,
        actor,
        runId: spec.runId,
        reason: failure.reason,
      });
    }
    store.createRun({
      id: next.runId,
      taskId: spec.taskId,
      attempt: next.attempt,
      profile: next.profile,
      stage: next.stage?.role ?? null,
      status: "running",
      worktree: spec.worktree,
      branch: spec.branch,
      base: spec.base,
      session: store.run(spec.runId)?.session ?? "",
      runDir: next.runDir,
      supervisorPid: process.pid,
      createdWorktree: false,
      createdBranch: false,
      startedAt: new Date().toISOString(),
      launchId: store.run(spec.runId)?.launchId ?? null,
    });
    store.transition(spec.taskId, "running", {
      cause:
        next.stage && next.stage.index !== spec.stage?.index
          ? `back to ${next.stage.role} (${next.profile}): ${failure.reason}`
          : next.profile === spec.profile
            ? `attempt ${next.attempt}: ${failure.reason}`
            : `fallback to ${next.profile}: ${failure.reason}`,
      actor,
      runId: next.runId,
      attempt: next.attempt,
    });
  });
  await RunSandbox.stopAll();
  say(`starting attempt ${next.attempt} with ${next.profile}, the failure fed back`);
  return next;
}

async function runAgent(
  store: TaskStore,
  spec: RunSpec,
  command: { file: string; args: string[] },
  env: Record<string, string>,
): Promise<{ outcome: Outcome; exitCode: number | null }> {
  const stdin = spec.prompt === "stdin" ? openSync(spec.promptFile, "r") : "inherit";
  // From here the pane is the agent's: Ballador's lines go to the status line and the log.
  agentTakesTerminal(store, spec);
  const agent = spawn(command.file, command.args, {
    cwd: spec.worktree,
    env,
    stdio: [stdin, "inherit", "inherit"],
  });
  store.updateRun(spec.runId, { agentPid: agent.pid ?? null });
  let exited: { code: number | null; signal: string | null; error: string | null } | null = null;
  agent.on("error", (err) => {
    exited = { code: 127, signal: null, error: err.message };
  });
  agent.on("exit", (code, signal) => {
    exited ??= { code, signal, error: null };
  });
  const deadline = Date.now() + spec.timeoutMs;
  // Activity is what a person attached would see: new output in the session's terminal.
  let lastSize = agentLogSize();
  let lastActivity = Date.now();
  let outcome: Outcome | null = null;
  // Reports after the one that ends the attempt wait for the next drain (or are dropped).
  const queued: Report[] = [];
  // A refused done: typed into the session at once; quiet after it means the agent gave up.
  const refusal = new Refusal(store, spec);
  const needs = new NeedsYou(store, spec);
  const usage = new RunCost(store, spec, env.HOME ?? spec.home);
  const drain = () => {
    queued.push(...takeReports(spec.runDir));
    while (queued.length > 0) {
      const report = queued.shift() as Report;
      if (report.kind === "gate" && report.gate) refusal.gate(report.gate);
      if (report.kind === "waiting") needs.wait(report.text || "it waits for input", "hook");
      else needs.moved();
      const o = handleReport(store, spec, report);
      if (o) return o;
    }
    return null;
  };
  while (outcome === null) {
    await sleep(POLL_MS);
    outcome = drain();
    if (outcome) break;
    if (exited) {
      // Reports written just before exiting still count.
      outcome = drain() ?? {
        kind: "exited",
        ...(exited as { code: number | null; signal: string | null; error: string | null }),
      };
      break;
    }
    await refusal.deliver();
    if (Date.now() > deadline) outcome = { kind: "timeout" };
    const size = agentLogSize();
    if (size !== lastSize && (needs.ownOutput() || refusal.ownOutput())) {
      // Ballador's own lines and the nudge's echo: not the agent moving.
      lastSize = size;
    } else if (size !== lastSize) {
      lastSize = size;
      lastActivity = Date.now();
      needs.output(size);
    } else if (spec.idleTimeoutMs > 0 && Date.now() - lastActivity > spec.idleTimeoutMs) {
      outcome = { kind: "idle", minutes: Math.round(spec.idleTimeoutMs / 60_000) };
    }
    if (!outcome) await needs.tick(lastActivity, size);
    if (!outcome) {
      const over = usage.tick();
      if (over) outcome = { kind: "budget", ...over };
    }
    const gaveUp = outcome ? null : refusal.gaveUp(lastActivity, spec.refusedIdleMs ?? 60_000);
    if (gaveUp) outcome = { kind: "refused", gate: gaveUp, log: latestGateLog(spec.runDir) };
  }
  if (!exited) await stopAgent(agent.pid, () => exited !== null, spec.sandbox !== null);
  agentLeavesTerminal();
  await usage.record();
  return { outcome, exitCode: (exited as { code: number | null } | null)?.code ?? null };
}

/**
 * The next attempt's run file: same profile while attempts remain, then the fallback, else null.
 * In a pipeline, attempts count per stage; `stageIndex` names another stage (the next one, or
 * the one an auditor sends the work back to), whose own profile then starts.
 */
async function nextAttempt(
  store: TaskStore,
  spec: RunSpec,
  feedback: string | null,
  stageIndex?: number,
): Promise<RunSpec | null> {
  const runs = store.runsOf(spec.taskId);
  const project = await openProject(spec.repoRoot);
  try {
    const task = store.task(spec.taskId);
    if (!task) return null;
    const other = stageIndex !== undefined && stageIndex !== spec.stage?.index;
    const stage = other ? taskStage(project.config, task, stageIndex) : null;
    const current = resolveProfile(
      project.config,
      stage ? stageProfile(stage, task.agent, project.config.agents.default) : spec.profile,
    );
    const role = stage ? stage.role : (spec.stage?.role ?? null);
    // A reviewer's run reads the work; it is never one of the implementer's attempts.
    const usedBy = (name: string) =>
      runs.filter(
        (r) => r.profile === name && r.outcome !== "launch-failed" && !isReviewerRun(r) && r.stage === role,
      ).length;
    let profile = current;
    if (usedBy(current.name) >= spec.maxAttempts) {
      const fallback = current.fallback ? resolveProfile(project.config, current.fallback) : null;
      if (!fallback || usedBy(fallback.name) >= spec.maxAttempts) return null;
      profile = fallback;
    }
    const program = findProgram(profile.command[0] as string, spec.repoRoot);
    if (!program) return null;
    const attempt = spec.attempt + 1;
    const { identity, env, home, tmp, policy } = await followUpRun(project, spec, profile, {
      attempt,
      suffix: Math.random().toString(16).slice(2, 6),
      readOnly: false,
    });
    const next = await buildRunSpec(project, {
      task,
      profile,
      program,
      identity,
      env,
      home,
      tmp,
      policy,
      base: spec.base,
      sandboxed: policy !== null,
      previousFailure: feedback,
      // Another stage is another role: it starts its own conversation.
      resume: profile.name === spec.profile && !other,
      previousHome: spec.home,
      ...(stageIndex !== undefined ? { stageIndex } : {}),
    });
    writeRunSpec(next);
    return next;
  } finally {
    project.close();
  }
}

/**
 * Default-deny: the run's base environment, the host variables its profile names, its passed
 * secrets. Masked secrets are returned apart: the agent gets their stand-ins, never the values.
 */
async function agentEnvironment(
  spec: RunSpec,
): Promise<{ env: Record<string, string>; masked: MaskedSecret[] }> {
  const env: Record<string, string> = { ...spec.env };
  for (const name of spec.passEnv) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  const { passed, masked } = splitSecrets(spec.secrets, await resolveSecrets(spec, process.env));
  if (masked.length > 0 && !spec.sandbox) {
    throw new Error(`secret ${masked[0]?.name} is masked, which needs the sandbox (sandbox.mode is none)`);
  }
  return { env: { ...env, ...passed }, masked };
}

/**
 * The folder, identity, environment and sandbox policy of a run that follows another in the same
 * session: the next attempt, or the reviewer's run.
 */
async function followUpRun(
  project: Project,
  spec: RunSpec,
  profile: ResolvedProfile,
  opts: { attempt: number; suffix: string; readOnly: boolean },
) {
  const runId = newRunId(spec.taskId, opts.attempt, new Date(), opts.suffix);
  const runDir = join(project.paths.runsDir, runId);
  const identity = {
    taskId: spec.taskId,
    runId,
    worktree: spec.worktree,
    branch: spec.branch,
    attempt: opts.attempt,
    runDir,
    promptFile: join(runDir, "prompt.md"),
  };
  makeRunFolder(runDir);
  const home = spec.sandbox ? runPaths(runDir).home : spec.home;
  const tmp = runPaths(runDir).tmp;
  const env = {
    ...spec.env,
    BALLADOR_RUN_ID: runId,
    BALLADOR_ATTEMPT: String(opts.attempt),
    BALLADOR_RUN_DIR: runDir,
    BALLADOR_PROMPT_FILE: identity.promptFile,
    HOME: home,
  };
  const policy = await policyForRun(project, {
    worktree: spec.worktree,
    runDir,
    branch: spec.branch,
    profile,
    kind: opts.readOnly ? "reviewer" : "agent",
  });
  if (policy) Object.assign(env, gitObjectEnv(policy));
  return { identity, env, home, tmp, policy };
}

/**
 * The reviewer pass: a reviewer profile reads the verified change in a read-only sandbox and
 * approves or requests changes. No verdict (it exited, timed out) counts as no objection,
 * and the brief says so.
 */
async function runReviewer(
  store: TaskStore,
  spec: RunSpec,
  audit?: { stage: Stage },
): Promise<{ approve: boolean; notes: string; verdict: boolean; profile: string }> {
  const project = await openProject(spec.repoRoot);
  try {
    const task = store.task(spec.taskId);
    // A pipeline's auditor is this same pass with its role's prompt and profile (issue 16).
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
    const { identity, env, home, tmp, policy } = await followUpRun(project, spec, profile, {
      attempt: spec.attempt,
      suffix: `r${Math.random().toString(16).slice(2, 5)}`,
      readOnly: true,
    });
    const { runId, runDir } = identity;
    const { markdown } = await buildBrief(project, spec.taskId);
    // The branch as the host knows it, from the repository: never the worktree's own HEAD.
    const diff = (
      await git(["diff", "--no-color", `${spec.projectBase}...refs/heads/${spec.branch}`], {
        cwd: spec.repoRoot,
        allowFail: true,
      })
    ).stdout;
    const reviewSpec = await buildRunSpec(project, {
      task,
      profile,
      program,
      identity,
      env,
      home,
      tmp,
      policy,
      base: spec.base,
      sandboxed: policy !== null,
      previousFailure: null,
      resume: false,
      promptOverride: assembleReviewPrompt({
        task,
        brief: markdown,
        diff,
        ...(audit ? { stageSection: auditPromptSection(project, task, audit.stage.index) ?? [] } : {}),
      }),
      role: "reviewer",
    });
    writeRunSpec(reviewSpec);
    // The implementer's run is over (verified); the reviewer's run becomes the live one, atomically.
    store.tx(() => {
      store.endRun(spec.runId, { outcome: "verified" });
      store.createRun({
        id: runId,
        taskId: spec.taskId,
        attempt: spec.attempt,
        profile: name,
        stage: audit?.stage.role ?? null,
        status: "running",
        worktree: spec.worktree,
        branch: spec.branch,
        base: spec.base,
        session: store.run(spec.runId)?.session ?? "",
        runDir,
        supervisorPid: process.pid,
        createdWorktree: false,
        createdBranch: false,
        startedAt: new Date().toISOString(),
        launchId: store.run(spec.runId)?.launchId ?? null,
      });
    });
    say(`${who} ${name} reads the change (read-only)`);
    const { env: reviewEnv, masked } = await agentEnvironment(reviewSpec);
    let command = { file: reviewSpec.command[0] as string, args: reviewSpec.command.slice(1) };
    // One sandbox per process: the reviewer's read-only policy replaces the implementer's for now.
    if (policy) {
      const sandbox = await RunSandbox.start(policy, { runDir, tmp, masked });
      Object.assign(reviewEnv, sandbox.standIns());
      writeStandInFiles(reviewSpec.home, sandbox.standInFiles());
      command = await sandbox.wrapArgv(reviewSpec.command, spec.worktree);
    }
    const { outcome, exitCode } = await runAgent(store, reviewSpec, command, reviewEnv);
    markEnded(runDir);
    if (spec.sandbox) await RunSandbox.start(spec.sandbox, { runDir: spec.runDir, tmp: spec.tmp });
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
  } finally {
    project.close();
  }
}

/**
 * Needs you (issue 15): the run's agent waits for a person, said by its own hook (a "waiting"
 * report) or seen on its screen (a question on the last line after needs_you.quiet of
 * silence). Recorded on the run for status, next and show until it moves again (new output,
 * any other report); after needs_you.nudge_after Ballador types the nudge into its terminal,
 * once. idle_timeout still ends the attempt. What it asked is the agent's text: stored
 * bounded, escaped wherever shown.
 */
class NeedsYou {
  private waiting: { since: number; size: number; source: "hook" | "screen" } | null = null;
  private nudged = false;
  private quietUntil = 0;
  private readonly policy: NeedsYouPolicy | undefined;
  private readonly tmux: Tmux | null;
  private readonly session: string;

  constructor(
    private readonly store: TaskStore,
    private readonly spec: RunSpec,
  ) {
    this.policy = spec.role === "reviewer" ? undefined : spec.needsYou;
    this.session = store.run(spec.runId)?.session ?? "";
    this.tmux = this.policy && this.session ? new Tmux({ socket: this.policy.tmuxSocket }) : null;
  }

  /** True while the log grows by Ballador's own doing (its lines, the nudge's echo). */
  ownOutput(): boolean {
    return Date.now() < this.quietUntil;
  }

  wait(asked: string, source: "hook" | "screen", size?: number): void {
    if (!this.policy) return;
    const text = boundAsked(asked);
    const first = this.waiting === null;
    this.waiting = {
      since: this.waiting?.since ?? Date.now(),
      size: size ?? this.waiting?.size ?? 0,
      source,
    };
    const since = first ? new Date().toISOString() : null;
    this.store.updateRun(this.spec.runId, { ...(since ? { waitingSince: since } : {}), waitingFor: text });
    if (since) {
      this.say(`needs you: ${terminalLine(text)} (ballador attach ${this.spec.taskId})`);
      const title = this.store.task(this.spec.taskId)?.title ?? null;
      notifyNeedsYou(this.spec, since, text, title, (line) => this.say(line));
    }
  }

  /** Something new from the agent: a report, or (for a question seen on screen) output. */
  moved(): void {
    if (!this.waiting) return;
    this.waiting = null;
    this.store.updateRun(this.spec.runId, { waitingSince: null, waitingFor: null });
  }

  output(size: number): void {
    // A hook's "waiting" ends with its "moving" (or another report); a TUI may redraw a little
    // after its turn, so only a screenful of new output counts as moving again.
    if (this.waiting && (this.waiting.source === "screen" || size - this.waiting.size > 4096)) this.moved();
  }

  async tick(lastActivity: number, size: number): Promise<void> {
    const p = this.policy;
    if (!p || !this.tmux) return;
    const now = Date.now();
    if (!this.waiting && p.quietMs > 0 && now - lastActivity > p.quietMs) {
      const screen = await this.tmux.capturePane(this.session).catch(() => "");
      const asked = screenQuestion(screen, p.pattern);
      if (asked) this.wait(asked, "screen", size);
    }
    if (this.waiting && !this.nudged && p.nudgeAfterMs > 0 && now - this.waiting.since > p.nudgeAfterMs) {
      this.nudged = true;
      this.say("nobody answers here: typing the unattended nudge into the agent's terminal");
      this.quietUntil = Date.now() + 3000;
      try {
        await typeLine(this.tmux, this.session, p.nudge);
        this.store.updateRun(this.spec.runId, { nudgedAt: new Date().toISOString() });
        this.store.addNote(
          this.spec.taskId,
          this.spec.runId,
          "system",
          "needs you: nudged (nobody answered)",
        );
      } catch (err) {
        this.say(`could not nudge: ${(err as Error).message}`);
      }
    }
  }

  private say(text: string): void {
    this.quietUntil = Math.max(this.quietUntil, Date.now() + 1000);
    say(text);
  }
}

function handleReport(store: TaskStore, spec: RunSpec, report: Report): Outcome | null {
  const text = report.text;
  if (report.kind === "gate" && report.gate) {
    // The agent's own gate: a claim about a commit, kept apart from Ballador's clean runs.
    const g = report.gate;
    store.addVerification({
      taskId: spec.taskId,
      runId: spec.runId,
      commit: g.commit,
      kind: "gate",
      command: g.command,
      passed: g.passed,
      exitCode: g.code,
      ms: g.ms,
      detail: null,
    });
    return null;
  }
  if (report.kind === "note") {
    store.addNote(spec.taskId, spec.runId, "note", text);
    say(`note recorded: ${text.split("\n")[0]}`);
    return null;
  }
  if (report.kind === "done") {
    if (text) store.addNote(spec.taskId, spec.runId, "summary", text);
    say(`agent reported done${text ? `: ${text.split("\n")[0]}` : ""}`);
    return { kind: "done", summary: text };
  }
  if (report.kind === "blocked") {
    store.addNote(spec.taskId, spec.runId, "blocked", text);
    return { kind: "blocked", reason: text };
  }
  if (report.kind === "approve" || report.kind === "changes") {
    say(
      `reviewer: ${report.kind === "approve" ? "approved" : "requested changes"}${text ? `: ${text.split("\n")[0]}` : ""}`,
    );
    return { kind: "verdict", approve: report.kind === "approve", notes: text };
  }
  return null;
}

function recordVerdict(store: TaskStore, spec: RunSpec, v: Verdict): void {
  store.addVerification({
    taskId: spec.taskId,
    runId: spec.runId,
    commit: v.commit,
    kind: "clean",
    command: v.command,
    passed: v.ok,
    exitCode: v.code,
    ms: v.ms,
    detail: v.tampered.length ? `judged by the base's ${v.tampered.join(", ")}` : null,
    key: v.key,
    tail: v.ok ? null : v.tail,
    log: v.log,
  });
  if (v.tampered.length) {
    store.addNote(
      spec.taskId,
      spec.runId,
      "system",
      `changed on the branch, judged by the base's version instead: ${v.tampered.join(", ")}`,
    );
  }
}

/**
 * A stage's gate (issue 16), from host-side facts only: the files the stage changed (git, from
 * the commit it started from to the branch's commit), the test author's files as its gate
 * recorded them, and the clean verification just run. The test author's tests must fail on the
 * code as it is; every later stage must pass verify and keep the test author's files.
 */
async function stageGate(
  store: TaskStore,
  spec: RunSpec,
  commit: string,
  verdict: Verdict,
): Promise<GateOutcome> {
  const stageSpec = spec.stage as NonNullable<RunSpec["stage"]>;
  const project = await openProject(spec.repoRoot);
  try {
    const task = store.task(spec.taskId);
    const pipeline = task ? taskPipeline(project.config, task) : null;
    const stage = pipeline?.stages[stageSpec.index];
    if (!task || !pipeline || !stage) {
      const gone = gateOutcome([{ name: "pipeline", ok: false, detail: "the task or its pipeline is gone" }]);
      return gone;
    }
    const gates = store.gates(task.id);
    const facts = await stageChecks({
      repo: spec.repoRoot,
      config: project.config,
      stage,
      stages: pipeline.stages,
      start: task.stageStart,
      head: commit,
      gates,
      verify: { command: spec.verify, base: spec.projectBase },
    });
    const checks = [...facts.checks];
    if (stage.kind === "tests") {
      checks.push({
        name: "the tests fail on the code as it is",
        ok: verdict.command !== null && !verdict.ok,
        detail:
          verdict.command === null
            ? "no verify command is configured: nothing can show that the tests fail (set verify in .ballador/config.yaml)"
            : verdict.ok
              ? `${verdict.command} passed on a clean checkout of ${commit.slice(0, 10)}: these tests codify nothing yet`
              : `${verdict.command} failed (exit ${verdict.code ?? "timeout"}) on a clean checkout of ${commit.slice(0, 10)}`,
      });
    } else {
      if (stage.kind === "refactor") checks.unshift(await verifiedBefore(store, spec, task.stageStart));
      checks.unshift({
        name: "verify passes on a clean checkout",
        ok: verdict.ok,
        detail: verdict.command
          ? `${verdict.command} ${verdict.ok ? "passed" : `exited ${verdict.code ?? "by timeout"}`} on ${commit.slice(0, 10)}`
          : "no verify command configured",
      });
    }
    const outcome = gateOutcome(checks);
    store.addGate({
      taskId: task.id,
      runId: spec.runId,
      stage: stage.index,
      role: stage.role,
      passed: outcome.passed,
      startCommit: task.stageStart,
      commit,
      summary: outcome.summary,
      checks: outcome.checks,
      files: stage.kind === "tests" ? facts.files : [],
    });
    say(`gate of ${stage.role}: ${outcome.passed ? "passed" : "refused"} (${outcome.summary})`);
    return outcome;
  } finally {
    project.close();
  }
}

/** A stage's verify inputs judged as the branch has them (the test author's; none without a pipeline). */
async function stageKept(store: TaskStore, spec: RunSpec, commit: string): Promise<string[]> {
  if (!spec.stage) return [];
  const task = store.task(spec.taskId);
  return stageKeptFiles(
    spec.repoRoot,
    spec.stage.kind,
    task?.stageStart ?? null,
    commit,
    store.gates(spec.taskId),
  );
}

/** The refactorer's "verify passed before": on the commit its stage started from. */
async function verifiedBefore(store: TaskStore, spec: RunSpec, start: string | null) {
  const name = "verify passed before the stage";
  if (!start || !spec.verify)
    return { name, ok: true, detail: spec.verify ? "no start commit" : "no verify command" };
  const keep = await stageKept(store, spec, start);
  const key = await verificationKey({
    repoRoot: spec.repoRoot,
    commit: start,
    projectBase: spec.projectBase,
    verify: spec.verify,
    bootstrap: spec.bootstrap,
    copy: spec.copy,
    inputs: spec.verifyInputs ?? null,
    keep,
  });
  if (key && store.passedVerification(key))
    return { name, ok: true, detail: `${spec.verify} passed on ${start.slice(0, 10)} (recorded)` };
  const before = await verifyRunCommit(spec, start, say, key, keep);
  recordVerdict(store, spec, before);
  return {
    name,
    ok: before.ok,
    detail: `${spec.verify} ${before.ok ? "passed" : `exited ${before.code ?? "by timeout"}`} on ${start.slice(0, 10)}`,
  };
}

type Step =
  | { kind: "ended"; hook: "on_review" | "on_fail" }
  | { kind: "next"; spec: RunSpec }
  | { kind: "back"; index: number; failure: Failure };

/**
 * After a stage's gate passed: a pause for the person (pause_after), the auditor's read (its
 * findings send the work back to the implementer), the next stage's first run in this session,
 * or, past the last stage, review.
 */
async function advance(
  store: TaskStore,
  spec: RunSpec,
  head: string,
  exitCode: number | null,
): Promise<Step> {
  const actor = `supervisor:${spec.runId}`;
  const project = await openProject(spec.repoRoot);
  try {
    const task = store.task(spec.taskId);
    const pipeline = task ? taskPipeline(project.config, task) : null;
    if (!task || !pipeline) throw new Error(`task ${spec.taskId} or its pipeline is gone`);
    const stages = pipeline.stages;
    let index = (spec.stage as NonNullable<RunSpec["stage"]>).index;
    for (;;) {
      const stage = stages[index] as Stage;
      const nextIndex = index + 1;
      const next = stages[nextIndex];
      if (!next) {
        // Past the last stage: the reviewer pass as for any task, unless an auditor just read it.
        const review = spec.reviewer && stage.kind !== "audit" ? await runReviewer(store, spec) : null;
        if (review && !review.approve) {
          const target = sendBackTarget(stages, nextIndex);
          store.setStage(task.id, target, stageStartOf(store.gates(task.id), target));
          return {
            kind: "back",
            index: target,
            failure: {
              reason: "review: changes requested",
              feedback: `Your work passed its gate, but a reviewer read it and requested changes:\n\n${review.notes}`,
              outcome: "changes-requested",
              from: "verifying",
            },
          };
        }
        store.tx(() => {
          store.setStage(task.id, nextIndex, head);
          store.transition(task.id, "review", {
            cause: `pipeline ${pipeline.name ?? stages.map((s) => s.role).join(" → ")}: every stage passed its gate (last: ${stage.role} on ${head.slice(0, 10)})${review ? "; reviewer approved" : ""}`,
            actor,
            runId: spec.runId,
          });
          store.endRun(spec.runId, { outcome: "done", exitCode });
        });
        markEnded(spec.runDir);
        await writeBriefSafely(spec);
        say(`every stage passed; ${task.id} is ready for review (ballador review ${task.id})`);
        return { kind: "ended", hook: "on_review" };
      }
      if (stage.pauseAfter) {
        store.tx(() => {
          store.setStage(task.id, nextIndex, head);
          store.transition(task.id, "review", {
            cause: `paused after ${stage.role} for the person's check: ballador approve ${task.id} continues with ${next.role}; ballador request-changes ${task.id} "..." sends it back to ${stage.role}`,
            actor,
            runId: spec.runId,
          });
          store.endRun(spec.runId, { outcome: "gate-passed", exitCode });
        });
        markEnded(spec.runDir);
        await writeBriefSafely(spec);
        say(`${stage.role} passed its gate; paused for your check (ballador approve ${task.id})`);
        return { kind: "ended", hook: "on_review" };
      }
      store.setStage(task.id, nextIndex, head);
      if (next.kind === "audit") {
        // No verdict is no audit: the auditor reads again, up to max_attempts.
        let v = await runReviewer(store, spec, { stage: next });
        for (let i = 1; !v.verdict && i < spec.maxAttempts; i++)
          v = await runReviewer(store, spec, { stage: next });
        const outcome = gateOutcome([
          {
            name: "the auditor's verdict",
            ok: v.verdict && v.approve,
            detail: v.verdict
              ? `${v.approve ? "approved" : "changes requested"} by ${v.profile}${v.notes ? `: ${v.notes.split("\n")[0]}` : ""}`
              : `no verdict from ${v.profile}`,
          },
        ]);
        store.addGate({
          taskId: task.id,
          runId: store.latestRun(task.id)?.id ?? null,
          stage: nextIndex,
          role: next.role,
          passed: outcome.passed,
          startCommit: head,
          commit: head,
          summary: outcome.summary,
          checks: outcome.checks,
          files: [],
        });
        if (outcome.passed) {
          index = nextIndex;
          continue;
        }
        if (!v.verdict) {
          const reason = `audit: no verdict from ${v.profile} (${next.role}) after ${spec.maxAttempts} run(s)`;
          store.tx(() => {
            store.endRun(spec.runId, { outcome: "gate-passed", exitCode });
            store.transition(task.id, "failed", { cause: reason, actor, runId: spec.runId, reason });
          });
          markEnded(spec.runDir);
          say(`failed: ${reason}`);
          return { kind: "ended", hook: "on_fail" };
        }
        const target = sendBackTarget(stages, nextIndex);
        store.setStage(task.id, target, stageStartOf(store.gates(task.id), target));
        return {
          kind: "back",
          index: target,
          failure: {
            reason: `audit (${next.role}): changes requested by ${v.profile}`,
            feedback: `Your work passed its gate, but the ${next.role} read it and found problems that must be fixed:\n\n${v.notes}`,
            outcome: "changes-requested",
            from: "verifying",
          },
        };
      }
      // The next stage's first run, in this session: prepared before this one ends.
      const nextSpec = await nextAttempt(store, spec, null, nextIndex);
      if (!nextSpec) {
        const reason = `agent: the ${next.role} stage cannot start (its profile's program is not found, or its attempts are used up)`;
        store.tx(() => {
          store.endRun(spec.runId, { outcome: "gate-passed", exitCode });
          store.transition(task.id, "failed", { cause: reason, actor, runId: spec.runId, reason });
        });
        markEnded(spec.runDir);
        say(`failed: ${reason}`);
        return { kind: "ended", hook: "on_fail" };
      }
      markEnded(spec.runDir);
      store.tx(() => {
        store.endRun(spec.runId, { outcome: "gate-passed", exitCode });
        store.createRun({
          id: nextSpec.runId,
          taskId: task.id,
          attempt: nextSpec.attempt,
          profile: nextSpec.profile,
          stage: next.role,
          status: "running",
          worktree: spec.worktree,
          branch: spec.branch,
          base: spec.base,
          session: store.run(spec.runId)?.session ?? "",
          runDir: nextSpec.runDir,
          supervisorPid: process.pid,
          createdWorktree: false,
          createdBranch: false,
          startedAt: new Date().toISOString(),
          launchId: store.run(spec.runId)?.launchId ?? null,
        });
        store.transition(task.id, "running", {
          cause: `stage ${nextIndex + 1} of ${stages.length}: ${next.role} (${nextSpec.profile}) starts; ${stage.role} passed its gate on ${head.slice(0, 10)}`,
          actor,
          runId: nextSpec.runId,
          attempt: nextSpec.attempt,
        });
      });
      await RunSandbox.stopAll();
      say(`${stage.role} passed its gate; stage ${nextIndex + 1}: ${next.role} with ${nextSpec.profile}`);
      return { kind: "next", spec: nextSpec };
    }
  } finally {
    project.close();
  }
}

async function writeBriefSafely(spec: RunSpec): Promise<void> {
  try {
    const project = await openProject(spec.repoRoot);
    try {
      await writeBrief(project, spec.taskId);
    } finally {
      project.close();
    }
  } catch (err) {
    say(`could not write the review brief: ${(err as Error).message}`);
  }
}

function reportDenials(spec: RunSpec): void {
  const denials = readDenials(spec.runDir);
  if (denials.length > 0) {
    say(
      `the sandbox denied ${denials.length} request(s): ${[...new Set(denials.map((d) => d.host))].join(", ")} (ballador sandbox denials ${spec.taskId})`,
    );
  }
}

function markEnded(runDir: string): void {
  writeFileSync(runPaths(runDir).ended, `${new Date().toISOString()}\n`);
}

/** After a sandboxed step: take in its objects and commits; say and record what it tried. */
async function takeInStep(store: TaskStore, spec: RunSpec, copy: RefCopy, step: string): Promise<string[]> {
  const after = await afterSandboxedStep(spec.repoRoot, spec.runDir, copy, spec.runId);
  if (after.refused) {
    say(`sandbox: ${after.refused}`);
    store.addNote(spec.taskId, spec.runId, "system", `branch not moved (${step}): ${after.refused}`);
  }
  for (const v of after.violations) {
    say(`sandbox violation (${step}): ${v}`);
    store.addNote(spec.taskId, spec.runId, "system", `sandbox violation (${step}): ${v}`);
  }
  return after.violations;
}

/** Ballador's clean verification of a commit of this run's branch, with the run's settings. */
function verifyRunCommit(
  spec: RunSpec,
  commit: string,
  say: (line: string) => void,
  key?: string | null,
  keep: readonly string[] = [],
): Promise<Verdict> {
  return verifyClean({
    inputs: spec.verifyInputs ?? null,
    keep,
    repoRoot: spec.repoRoot,
    commit,
    runDir: spec.runDir,
    projectBase: spec.projectBase,
    verify: spec.verify,
    bootstrap: spec.bootstrap,
    copy: spec.copy,
    env: spec.env,
    agentWritten: [dirname(spec.worktree), dirname(spec.runDir)],
    timeoutMs: spec.verifyTimeoutMs,
    sandboxFor: (tree, judge) => verifySandbox(spec, tree, judge),
    say,
    ...(key !== undefined ? { key } : {}),
  });
}

/**
 * The sandbox for a clean verification: it writes only the checkout and the judge's fresh HOME
 * and TMPDIR, never the agent's tree, and reads none of the run's agent-writable folders.
 */
async function verifySandbox(spec: RunSpec, tree: string, judge: JudgeDirs): Promise<RunSandbox | null> {
  if (!spec.sandbox) return null;
  const project = await openProject(spec.repoRoot);
  try {
    const policy = await policyForRun(project, {
      worktree: spec.worktree,
      runDir: spec.runDir,
      branch: spec.branch,
      profile: resolveProfile(project.config, spec.profile),
      kind: "verify",
      verifyTree: tree,
      judge,
    });
    return policy ? RunSandbox.start(policy, { runDir: spec.runDir, tmp: judge.tmp }) : null;
  } finally {
    project.close();
  }
}

/**
 * Ends the agent and everything it started. Unsandboxed they share the supervisor's process
 * group (the pane's), so the group is signalled while the supervisor itself ignores the signal.
 */
async function stopAgent(pid: number | undefined, gone: () => boolean, sandboxed: boolean): Promise<void> {
  if (!pid) return;
  const ignore = () => {};
  process.on("SIGTERM", ignore);
  process.on("SIGHUP", ignore);
  try {
    // Sandboxed, the agent lives in bubblewrap's own session and pid namespace, which ends with
    // its wrapper; signalling our group would also end the sandbox runtime's socat bridges.
    process.kill(sandboxed ? pid : 0, "SIGTERM");
  } catch {
    process.kill(pid, "SIGTERM");
  }
  const until = Date.now() + GRACE_MS;
  while (!gone() && Date.now() < until) await sleep(50);
  if (!gone()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  await sleep(50);
  process.off("SIGTERM", ignore);
  process.off("SIGHUP", ignore);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
