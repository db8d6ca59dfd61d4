/**
 * Watch the agent: start it on the session's terminal, take its reports from the run folder's
 * inbox, and end the attempt on the first that ends it (done, blocked, a verdict), or on its
 * exit, the time limit, idleness, a refused done it gave up on, or a spent budget.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { type Report, takeReports } from "../../adapters/runfolder/index.js";
import type { Outcome } from "../../core/attempt-outcome.js";
import {
  agentLeavesTerminal,
  agentLogSize,
  agentTakesTerminal,
  latestGateLog,
  Refusal,
} from "../live-session.js";
import { RunCost } from "../run-cost.js";
import { type RunContext, say } from "./context.js";
import { type Accepted, ReportDesk } from "./desk.js";
import { NeedsYou } from "./needs-you.js";

const POLL_MS = 250;
/** The poll while a report helper's check is due (see ReportDesk.awaitingCheck). */
const CHECK_POLL_MS = 25;
const GRACE_MS = 3000;

type Exit = { code: number | null; signal: string | null; error: string | null };

export async function runAgent(
  ctx: RunContext,
  command: { file: string; args: string[] },
  env: Record<string, string>,
): Promise<{ outcome: Outcome; exitCode: number | null }> {
  const { store, spec } = ctx;
  const stdin = spec.prompt === "stdin" ? openSync(spec.promptFile, "r") : "inherit";
  // From here the pane is the agent's: Ballador's lines go to the status line and the log.
  agentTakesTerminal(store, spec);
  const agent = spawn(command.file, command.args, {
    cwd: spec.worktree,
    env,
    stdio: [stdin, "inherit", "inherit"],
  });
  store.updateRun(spec.runId, { agentPid: agent.pid ?? null });
  const exit = watchExit(agent);
  const usage = new RunCost(store, spec, env.HOME ?? spec.home);
  const outcome = await watchUntilEnd(ctx, exit, usage);
  if (!exit.exited) await stopAgent(agent.pid, () => exit.exited !== null, spec.sandbox !== null);
  agentLeavesTerminal();
  await usage.record();
  return { outcome, exitCode: exit.exited?.code ?? null };
}

function watchExit(agent: ChildProcess): { exited: Exit | null } {
  const exit: { exited: Exit | null } = { exited: null };
  agent.on("error", (err) => {
    exit.exited = { code: 127, signal: null, error: err.message };
  });
  agent.on("exit", (code, signal) => {
    exit.exited ??= { code, signal, error: null };
  });
  return exit;
}

/** Polls until something ends the attempt. */
async function watchUntilEnd(
  ctx: RunContext,
  exit: { exited: Exit | null },
  usage: RunCost,
): Promise<Outcome> {
  const { store, spec } = ctx;
  const deadline = Date.now() + spec.timeoutMs;
  // Activity is what a person attached would see: new output in the session's terminal.
  let lastSize = agentLogSize();
  let lastActivity = Date.now();
  // A refused done: typed into the session at once; quiet after it means the agent gave up.
  const refusal = new Refusal(store, spec);
  const needs = new NeedsYou(ctx);
  const desk = new ReportDesk(ctx);
  const drain = reportDrain(ctx, desk, refusal, needs);
  for (;;) {
    await sleep(desk.awaitingCheck() ? CHECK_POLL_MS : POLL_MS);
    const reported = await drain();
    if (reported) return reported;
    // Reports written just before exiting still count.
    if (exit.exited) return (await drain()) ?? { kind: "exited", ...exit.exited };
    await refusal.deliver();
    let outcome: Outcome | null = Date.now() > deadline ? { kind: "timeout" } : null;
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
    const over = outcome ? null : usage.tick();
    if (over) outcome = { kind: "budget", ...over };
    const gaveUp = outcome ? null : refusal.gaveUp(lastActivity, spec.refusedIdleMs ?? 60_000);
    if (gaveUp) outcome = { kind: "refused", gate: gaveUp, log: latestGateLog(spec.runDir) };
    if (outcome) return outcome;
  }
}

/**
 * Takes the desk's requests and the inbox's reports in order; the first that ends the attempt is
 * returned (once its helper has read the answer, or after a short wait).
 */
function reportDrain(
  ctx: RunContext,
  desk: ReportDesk,
  refusal: Refusal,
  needs: NeedsYou,
): () => Promise<Outcome | null> {
  // Reports after the one that ends the attempt wait for the next drain (or are dropped).
  const queued: Accepted[] = [];
  return async () => {
    queued.push(...desk.take());
    for (const report of takeReports(ctx.spec.runDir)) {
      const no = desk.refuseDirect(report);
      if (no) ctx.store.addNote(ctx.spec.taskId, ctx.spec.runId, "system", `report refused: ${no.message}`);
      else queued.push({ report, request: null });
    }
    while (queued.length > 0) {
      const { report, request } = queued.shift() as Accepted;
      if (report.kind === "gate" && report.gate) refusal.gate(report.gate);
      if (report.kind === "waiting") needs.wait(report.text || "it waits for input", "hook");
      else needs.moved();
      const o = handleReport(ctx, report);
      if (o) {
        await desk.heard(request);
        return o;
      }
    }
    return null;
  };
}

/** Records a report; returns the outcome it ends the attempt with, if it does. */
export function handleReport(ctx: RunContext, report: Report): Outcome | null {
  const { store, spec } = ctx;
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
