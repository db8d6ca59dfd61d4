/**
 * The run supervisor: the process inside each tmux session. It starts the agent on the
 * session's terminal, handles the agent's reports (done, blocked, note) from the run folder,
 * verifies, records every outcome in the store, and keeps the pane readable for a person.
 */
import { spawn } from "node:child_process";
import { openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runShell } from "../adapters/process/shell.js";
import {
  markReportHandled,
  pendingReports,
  type Report,
  type RunSpec,
  readRunSpec,
} from "../adapters/runfolder/index.js";
import { RunSandbox, readDenials } from "../adapters/sandbox/index.js";
import { TaskStore } from "../adapters/store/index.js";
import { resolveSecrets } from "./sandboxing.js";

const POLL_MS = 250;
const GRACE_MS = 3000;

type Outcome =
  | { kind: "done"; summary: string }
  | { kind: "blocked"; reason: string }
  | { kind: "exited"; code: number | null; signal: string | null }
  | { kind: "timeout" };

function say(text: string): void {
  process.stdout.write(`\x1b[1m[ballador]\x1b[0m ${text}\n`);
}

export async function supervise(runDir: string): Promise<number> {
  const spec = readRunSpec(runDir);
  const store = TaskStore.open(spec.stateDir, { stack: spec.stack });
  const actor = `supervisor:${spec.runId}`;
  store.updateRun(spec.runId, { supervisorPid: process.pid });
  store.markRunStarted(spec.runId);
  say(`task ${spec.taskId}, attempt ${spec.attempt}, agent ${spec.profile}`);
  say(`branch ${spec.branch} in ${spec.worktree}`);
  say("detach with Ctrl-b d; the agent keeps working");

  if (spec.sandbox) {
    say(
      `sandbox: writes only in the worktree and run folder; network only to ${spec.sandbox.network.allowedDomains.join(", ") || "no host"}`,
    );
  } else {
    say("\x1b[31mSANDBOX OFF (sandbox.mode: none): this agent has your full access\x1b[0m");
  }
  // Default-deny: the base environment, the variables the profile names, and its secrets.
  const agentEnv: Record<string, string> = { ...spec.env };
  for (const name of spec.passEnv) {
    const v = process.env[name];
    if (v !== undefined) agentEnv[name] = v;
  }
  let startError: string | null = null;
  let sandbox: RunSandbox | null = null;
  let command = { file: spec.command[0] as string, args: spec.command.slice(1) };
  try {
    Object.assign(agentEnv, await resolveSecrets(spec, process.env));
    if (spec.sandbox) {
      sandbox = await RunSandbox.start(spec.sandbox, { runDir, tmp: spec.tmp });
      command = await sandbox.wrapArgv(spec.command, spec.worktree);
    }
  } catch (err) {
    startError = (err as Error).message;
  }
  const stdin = spec.prompt === "stdin" ? openSync(spec.promptFile, "r") : "inherit";
  const agent = spawn(startError ? "false" : command.file, startError ? [] : command.args, {
    cwd: spec.worktree,
    env: agentEnv,
    stdio: [stdin, "inherit", "inherit"],
  });
  store.updateRun(spec.runId, { agentPid: agent.pid ?? null });
  let exited: { code: number | null; signal: string | null } | null = null;
  let spawnError: string | null = startError;
  agent.on("error", (err) => {
    spawnError = err.message;
    exited = { code: 127, signal: null };
  });
  agent.on("exit", (code, signal) => {
    exited = { code, signal };
  });

  const deadline = Date.now() + spec.timeoutMs;
  let outcome: Outcome | null = null;
  while (outcome === null) {
    await sleep(POLL_MS);
    for (const { name, report } of pendingReports(runDir)) {
      outcome = handleReport(store, spec, report) ?? outcome;
      markReportHandled(runDir, name);
      if (outcome) break;
    }
    if (outcome) break;
    if (exited) {
      // Reports written just before exiting still count.
      for (const { name, report } of pendingReports(runDir)) {
        outcome = handleReport(store, spec, report) ?? outcome;
        markReportHandled(runDir, name);
      }
      outcome ??= { kind: "exited", ...(exited as { code: number | null; signal: string | null }) };
      break;
    }
    if (Date.now() > deadline) outcome = { kind: "timeout" };
  }

  if (!exited) await stopAgent(agent.pid, () => exited !== null);
  const exitCode = (exited as { code: number | null } | null)?.code ?? null;
  const hookEnv = spec.env;
  const hook = async (name: "after_run" | "on_review" | "on_fail") => {
    const command = spec.hooks[name];
    if (!command.trim()) return;
    say(`hook ${name}: ${command}`);
    const wrapped = sandbox ? await sandbox.wrapShell(command, spec.worktree) : undefined;
    await runShell(command, {
      cwd: spec.worktree,
      env: hookEnv,
      logFile: join(runDir, "hooks.log"),
      label: name,
      ...(wrapped ? { wrapped } : {}),
    });
  };
  await hook("after_run");

  // The person may have stopped or abandoned the task meanwhile: their decision stands.
  const current = store.task(spec.taskId);
  if (current?.state !== "running") {
    store.endRun(spec.runId, { outcome: `ended while ${current?.state ?? "gone"}`, exitCode });
    say(`the task is ${current?.state ?? "gone"}; nothing more to do`);
    await RunSandbox.stopAll();
    store.close();
    return 0;
  }

  if (outcome.kind === "done") {
    store.transition(spec.taskId, "verifying", {
      cause: "agent reported done",
      actor,
      runId: spec.runId,
      detail: outcome.summary,
    });
    const verdict = await verify(spec, runDir, hookEnv, sandbox);
    if (verdict.ok) {
      store.transition(spec.taskId, "review", {
        cause: verdict.command ? `verified: ${verdict.command} passed` : "no verify command configured",
        actor,
        runId: spec.runId,
      });
      store.endRun(spec.runId, { outcome: "done", exitCode });
      say(`verified; ${spec.taskId} is ready for review (ballador show ${spec.taskId})`);
      await hook("on_review");
    } else {
      store.transition(spec.taskId, "failed", {
        cause: "verification failed",
        actor,
        runId: spec.runId,
        reason: `verify: ${verdict.command} exited ${verdict.code}`,
        detail: verdict.tail,
      });
      store.endRun(spec.runId, { outcome: "verify-failed", exitCode, detail: verdict.tail });
      say(
        `verification failed: ${verdict.command} exited ${verdict.code} (log: ${join(runDir, "verify.log")})`,
      );
      await hook("on_fail");
    }
  } else if (outcome.kind === "blocked") {
    store.transition(spec.taskId, "blocked", {
      cause: "agent reported blocked",
      actor,
      runId: spec.runId,
      reason: outcome.reason,
    });
    store.endRun(spec.runId, { outcome: "blocked", exitCode, detail: outcome.reason });
    say(`blocked: ${outcome.reason}`);
    await hook("on_fail");
  } else {
    const reason =
      outcome.kind === "timeout"
        ? `timeout: the run took longer than ${Math.round(spec.timeoutMs / 1000)} s`
        : spawnError
          ? `agent: could not start ${spec.command[0]}: ${spawnError}`
          : `agent: exited with ${outcome.code !== null ? `code ${outcome.code}` : `signal ${outcome.signal}`} without reporting done or blocked`;
    store.transition(spec.taskId, "failed", { cause: reason, actor, runId: spec.runId, reason });
    store.endRun(spec.runId, {
      outcome: outcome.kind === "timeout" ? "timeout" : "exited",
      exitCode,
      detail: reason,
    });
    say(reason);
    await hook("on_fail");
  }
  const denials = readDenials(runDir);
  if (denials.length > 0) {
    say(
      `the sandbox denied ${denials.length} request(s): ${[...new Set(denials.map((d) => d.host))].join(", ")} (ballador sandbox denials ${spec.taskId})`,
    );
  }
  writeFileSync(join(runDir, "ended"), `${new Date().toISOString()}\n`);
  await RunSandbox.stopAll();
  store.close();
  return 0;
}

function handleReport(store: TaskStore, spec: RunSpec, report: Report): Outcome | null {
  const text = String(report.text ?? "").slice(0, 20_000);
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
  return null;
}

async function verify(
  spec: RunSpec,
  runDir: string,
  env: NodeJS.ProcessEnv,
  sandbox: RunSandbox | null,
): Promise<{ ok: boolean; command: string | null; code: number | null; tail: string }> {
  if (!spec.verify) return { ok: true, command: null, code: 0, tail: "" };
  say(`verifying: ${spec.verify}${sandbox ? " (in the sandbox)" : ""}`);
  const wrapped = sandbox ? await sandbox.wrapShell(spec.verify, spec.worktree) : undefined;
  const r = await runShell(spec.verify, {
    ...(wrapped ? { wrapped } : {}),
    cwd: spec.worktree,
    env,
    logFile: join(runDir, "verify.log"),
    label: "verify",
    timeoutMs: spec.verifyTimeoutMs,
  });
  const tail = r.output.trim().split("\n").slice(-30).join("\n");
  return { ok: r.code === 0, command: spec.verify, code: r.timedOut ? null : r.code, tail };
}

/**
 * Ends the agent and everything it started. They share the supervisor's process group (the
 * pane's), so the group is signalled while the supervisor itself ignores the signal.
 */
async function stopAgent(pid: number | undefined, gone: () => boolean): Promise<void> {
  if (!pid) return;
  const ignore = () => {};
  process.on("SIGTERM", ignore);
  process.on("SIGHUP", ignore);
  try {
    process.kill(0, "SIGTERM");
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
