/**
 * Ballador's clean verification of a commit of the run's branch, with the run's settings, in a
 * sandbox of its own; and its verdict recorded.
 */
import { dirname } from "node:path";
import { resolveProfile } from "../../adapters/agents/profiles.js";
import { RunSandbox } from "../../adapters/sandbox/index.js";
import { type JudgeDirs, stageKeptFiles, type Verdict, verifyClean } from "../../verify/index.js";
import { policyForRun } from "../sandboxing.js";
import { type RunContext, say } from "./context.js";

export function verifyRunCommit(
  ctx: RunContext,
  commit: string,
  key?: string | null,
  keep: readonly string[] = [],
): Promise<Verdict> {
  const { spec, paths } = ctx;
  return verifyClean({
    inputs: spec.verifyInputs ?? null,
    keep,
    repoRoot: spec.repoRoot,
    commit,
    runDir: paths.dir,
    projectBase: spec.projectBase,
    verify: spec.verify,
    bootstrap: spec.bootstrap,
    copy: spec.copy,
    env: spec.env,
    agentWritten: [dirname(spec.worktree), dirname(paths.dir)],
    timeoutMs: spec.verifyTimeoutMs,
    sandboxFor: (tree, judge) => verifySandbox(ctx, tree, judge),
    say,
    ...(key !== undefined ? { key } : {}),
  });
}

/**
 * The sandbox for a clean verification: it writes only the checkout and the judge's fresh HOME
 * and TMPDIR, never the agent's tree, and reads none of the run's agent-writable folders.
 */
async function verifySandbox(ctx: RunContext, tree: string, judge: JudgeDirs): Promise<RunSandbox | null> {
  const { spec, project, paths } = ctx;
  if (!spec.sandbox) return null;
  const policy = await policyForRun(project, {
    worktree: spec.worktree,
    runDir: paths.dir,
    branch: spec.branch,
    profile: resolveProfile(project.config, spec.profile),
    kind: "verify",
    verifyTree: tree,
    judge,
  });
  return policy ? RunSandbox.start(policy, { runDir: paths.dir, tmp: judge.tmp }) : null;
}

export function recordVerdict(ctx: RunContext, v: Verdict): void {
  const { store, spec } = ctx;
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

/** A stage's verify inputs judged as the branch has them (the test author's; none without a pipeline). */
export async function stageKept(ctx: RunContext, commit: string): Promise<string[]> {
  const { store, spec } = ctx;
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
