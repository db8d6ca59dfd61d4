/**
 * After the agent: take in what its sandboxed steps wrote (and what they tried that the sandbox
 * refuses), run the run's hooks with the agent's care, say the sandbox's denials, and record
 * the gate results it reported.
 */
import { runShell } from "../../adapters/process/shell.js";
import { readDenials, takeReports } from "../../adapters/runfolder/index.js";
import { RunSandbox } from "../../adapters/sandbox/index.js";
import type { JjSnapshotIn } from "../run-jj.js";
import type { RefCopy } from "../run-refs.js";
import { afterSandboxedStep, beforeSandboxedStep } from "../run-steps.js";
import { type RunContext, say } from "./context.js";
import { handleReport } from "./watch.js";

export type HookName = "after_run" | "on_review" | "on_fail";
export type Hook = (name: HookName) => Promise<void>;

/** Runs a hook of the run; what its sandboxed run tried that is refused joins `violations`. */
export function hookRunner(ctx: RunContext, violations: string[]): Hook {
  const { spec, paths } = ctx;
  return async (name) => {
    const cmd = spec.hooks[name];
    if (!cmd.trim()) return;
    say(`hook ${name}: ${cmd}`);
    // The hook runs in the agent's tree with the agent's policy: the same care as the agent.
    let hookCopy: RefCopy | null = null;
    let sandbox: RunSandbox | null = null;
    let wrapped: { file: string; args: string[] } | undefined;
    if (spec.sandbox) {
      hookCopy = await beforeSandboxedStep(spec.repoRoot, paths.dir, spec.branch, spec.sandbox.jj);
      sandbox = await RunSandbox.start(spec.sandbox, { runDir: paths.dir, tmp: spec.tmp });
      wrapped = await sandbox.wrapShell(cmd, spec.worktree);
    }
    await runShell(cmd, {
      cwd: spec.worktree,
      env: spec.env,
      logFile: paths.host.hooksLog,
      label: name,
      ...(wrapped ? { wrapped } : {}),
    });
    if (hookCopy) violations.push(...(await takeInStep(ctx, hookCopy, `hook ${name}`, sandbox)));
  };
}

/** After the agent and after_run: the sandbox's denials said, the reported gates recorded. */
export function afterAgent(ctx: RunContext): void {
  const denials = readDenials(ctx.paths.dir);
  if (denials.length > 0) {
    say(
      `the sandbox denied ${denials.length} request(s): ${[...new Set(denials.map((d) => d.host))].join(", ")} (ballador sandbox denials ${ctx.spec.taskId})`,
    );
  }
  // Gate results are facts whatever the outcome: a refused done of a run that then gave up counts too.
  for (const report of takeReports(ctx.paths.dir)) if (report.kind === "gate") handleReport(ctx, report);
}

/**
 * After a sandboxed step: take in its objects and commits; say and record what it tried. A jj
 * step's snapshot runs in `sandbox`, the one the step ran in.
 */
export async function takeInStep(
  ctx: RunContext,
  copy: RefCopy,
  step: string,
  sandbox: RunSandbox | null,
): Promise<string[]> {
  const { store, spec } = ctx;
  const after = await afterSandboxedStep(
    spec.repoRoot,
    ctx.paths.dir,
    copy,
    spec.runId,
    jjSnapshotIn(ctx, copy, sandbox),
  );
  if (after.snapshotFailed) {
    say(after.snapshotFailed);
    store.addNote(spec.taskId, spec.runId, "system", `${step}: ${after.snapshotFailed}`);
  }
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

/** A jj step's snapshot runs in the step's sandbox with the agent's environment (snapshotJjStep). */
function jjSnapshotIn(ctx: RunContext, copy: RefCopy, sandbox: RunSandbox | null): JjSnapshotIn | undefined {
  const { spec, paths } = ctx;
  if (!copy.jj || !sandbox) return undefined;
  return {
    sandbox,
    env: spec.env,
    workspace: spec.worktree,
    logFile: paths.host.hooksLog,
  };
}
