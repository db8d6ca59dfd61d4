/**
 * A stage's gate (issue 16), from host-side facts only: the files the stage changed (git, from
 * the commit it started from to the branch's commit), the test author's files as its gate
 * recorded them, and the clean verification just run. The test author's tests must fail on the
 * code as it is; every later stage must pass verify and keep the test author's files.
 */
import type { RunSpec } from "../../adapters/runfolder/index.js";
import { type GateCheck, type GateOutcome, gateOutcome } from "../../core/pipeline.js";
import { stageChecks, type Verdict, verificationKey } from "../../verify/index.js";
import { type RunContext, runPipeline, say } from "./context.js";
import { recordVerdict, stageKept, verifyRunCommit } from "./verify-run.js";

export async function stageGate(ctx: RunContext, commit: string, verdict: Verdict): Promise<GateOutcome> {
  const { store, spec, project } = ctx;
  const stageSpec = spec.stage as NonNullable<RunSpec["stage"]>;
  const task = store.task(spec.taskId);
  const pipeline = task ? runPipeline(ctx, task) : null;
  const stage = pipeline?.stages[stageSpec.index];
  if (!task || !pipeline || !stage)
    return gateOutcome([{ name: "pipeline", ok: false, detail: "the task or its pipeline is gone" }]);
  const facts = await stageChecks({
    repo: spec.repoRoot,
    config: project.config,
    stage,
    stages: pipeline.stages,
    start: task.stageStart,
    head: commit,
    gates: store.gates(task.id),
    verify: { command: spec.verify, base: spec.projectBase },
  });
  const checks = [...facts.checks];
  if (stage.kind === "tests") checks.push(testsFailCheck(commit, verdict));
  else {
    if (stage.kind === "refactor") checks.unshift(await verifiedBefore(ctx, task.stageStart));
    checks.unshift(verifyCheck(commit, verdict));
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
}

/** The test author's: its tests must fail on the code as it is. */
function testsFailCheck(commit: string, verdict: Verdict): GateCheck {
  return {
    name: "the tests fail on the code as it is",
    ok: verdict.command !== null && !verdict.ok,
    detail:
      verdict.command === null
        ? "no verify command is configured: nothing can show that the tests fail (set verify in .ballador/config.yaml)"
        : verdict.ok
          ? `${verdict.command} passed on a clean checkout of ${commit.slice(0, 10)}: these tests codify nothing yet`
          : `${verdict.command} failed (exit ${verdict.code ?? "timeout"}) on a clean checkout of ${commit.slice(0, 10)}`,
  };
}

function verifyCheck(commit: string, verdict: Verdict): GateCheck {
  return {
    name: "verify passes on a clean checkout",
    ok: verdict.ok,
    detail: verdict.command
      ? `${verdict.command} ${verdict.ok ? "passed" : `exited ${verdict.code ?? "by timeout"}`} on ${commit.slice(0, 10)}`
      : "no verify command configured",
  };
}

/** The refactorer's "verify passed before": on the commit its stage started from. */
async function verifiedBefore(ctx: RunContext, start: string | null): Promise<GateCheck> {
  const { store, spec } = ctx;
  const name = "verify passed before the stage";
  if (!start || !spec.verify)
    return { name, ok: true, detail: spec.verify ? "no start commit" : "no verify command" };
  const keep = await stageKept(ctx, start);
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
  const before = await verifyRunCommit(ctx, start, key, keep);
  recordVerdict(ctx, before);
  return {
    name,
    ok: before.ok,
    detail: `${spec.verify} ${before.ok ? "passed" : `exited ${before.code ?? "by timeout"}`} on ${start.slice(0, 10)}`,
  };
}
