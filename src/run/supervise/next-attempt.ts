/**
 * The runs that follow one in the same session: the next attempt (same profile while attempts
 * remain, then the fallback), the next stage's first run, the reviewer's run. Each is planned
 * from the run's own plan, never from the config as it now stands.
 */
import { join } from "node:path";
import { findProgram, type ResolvedProfile, resolveProfile } from "../../adapters/agents/profiles.js";
import { makeRunFolder, type RunSpec, runFolder, writeRunSpec } from "../../adapters/runfolder/index.js";
import { gitObjectEnv, type Policy } from "../../adapters/sandbox/index.js";
import type { TaskRow } from "../../adapters/store/index.js";
import { newRunId } from "../../core/ids.js";
import { stageProfile } from "../../core/pipeline.js";
import { isReviewerRun } from "../../project/index.js";
import { buildRunSpec, type RunSpecInput } from "../run-spec.js";
import { policyForRun } from "../sandboxing.js";
import { type RunContext, runPipeline } from "./context.js";

/**
 * The next attempt's run file: same profile while attempts remain, then the fallback, else null.
 * In a pipeline, attempts count per stage; `stageIndex` names another stage (the next one, or
 * the one an auditor sends the work back to), whose own profile then starts.
 */
export async function nextAttempt(
  ctx: RunContext,
  feedback: string | null,
  stageIndex?: number,
): Promise<RunSpec | null> {
  const { store, spec, project } = ctx;
  const task = store.task(spec.taskId);
  if (!task) return null;
  const other = stageIndex !== undefined && stageIndex !== spec.stage?.index;
  const stage = other ? (runPipeline(ctx, task)?.stages[stageIndex] ?? null) : null;
  const current = resolveProfile(
    project.config,
    stage ? stageProfile(stage, task.agent, project.config.agents.default) : spec.profile,
  );
  const profile = attemptProfile(ctx, current, stage ? stage.role : (spec.stage?.role ?? null));
  const program = profile && findProgram(profile.command[0] as string, spec.repoRoot);
  if (!profile || !program) return null;
  const { next } = await followUpSpec(
    ctx,
    { task, profile, program },
    { attempt: spec.attempt + 1, suffix: Math.random().toString(16).slice(2, 6), readOnly: false },
    {
      previousFailure: feedback,
      // Another stage is another role: it starts its own conversation.
      resume: profile.name === spec.profile && !other,
      previousHome: spec.home,
      ...(stageIndex !== undefined ? { stageIndex } : {}),
    },
  );
  return next;
}

/** What a follow-up run's spec says beyond what follows from the run it follows. */
type FollowUpInput = Omit<
  RunSpecInput,
  | "task"
  | "profile"
  | "program"
  | "identity"
  | "env"
  | "home"
  | "tmp"
  | "policy"
  | "base"
  | "sandboxed"
  | "plan"
>;

/**
 * A follow-up run's file, written: its own folder, environment and policy (followUpRun), on the
 * base and the plan of the run it follows.
 */
export async function followUpSpec(
  ctx: RunContext,
  agent: { task: TaskRow; profile: ResolvedProfile; program: string },
  run: { attempt: number; suffix: string; readOnly: boolean },
  input: FollowUpInput,
): Promise<{ next: RunSpec; policy: Policy | null }> {
  const { spec, project } = ctx;
  const { identity, env, home, tmp, policy } = await followUpRun(ctx, agent.profile, run);
  const next = await buildRunSpec(project, {
    ...agent,
    identity,
    env,
    home,
    tmp,
    policy,
    base: spec.base,
    sandboxed: policy !== null,
    ...input,
    ...(spec.plan ? { plan: spec.plan } : {}),
  });
  writeRunSpec(next);
  return { next, policy };
}

/** The profile with attempts left for this role: `current`, else its fallback, else none. */
function attemptProfile(
  ctx: RunContext,
  current: ResolvedProfile,
  role: string | null,
): ResolvedProfile | null {
  const { store, spec, project } = ctx;
  const runs = store.runsOf(spec.taskId);
  // A reviewer's run reads the work; it is never one of the implementer's attempts.
  const usedBy = (name: string) =>
    runs.filter(
      (r) => r.profile === name && r.outcome !== "launch-failed" && !isReviewerRun(r) && r.stage === role,
    ).length;
  if (usedBy(current.name) < spec.maxAttempts) return current;
  const fallback = current.fallback ? resolveProfile(project.config, current.fallback) : null;
  if (!fallback || usedBy(fallback.name) >= spec.maxAttempts) return null;
  return fallback;
}

/**
 * The folder, identity, environment and sandbox policy of a run that follows another in the same
 * session: the next attempt, or the reviewer's run.
 */
async function followUpRun(
  ctx: RunContext,
  profile: ResolvedProfile,
  opts: { attempt: number; suffix: string; readOnly: boolean },
) {
  const { spec, project } = ctx;
  const runId = newRunId(spec.taskId, opts.attempt, new Date(), opts.suffix);
  const runDir = join(project.paths.runsDir, runId);
  const folder = runFolder(runDir);
  const identity = {
    taskId: spec.taskId,
    runId,
    worktree: spec.worktree,
    branch: spec.branch,
    attempt: opts.attempt,
    runDir,
    promptFile: folder.host.prompt,
  };
  makeRunFolder(runDir);
  const home = spec.sandbox ? folder.agent.home : spec.home;
  const tmp = folder.agent.tmp;
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

/** A run that follows this one in the session, as the store records it when it starts. */
export function followingRun(
  ctx: RunContext,
  next: { id: string; attempt: number; profile: string; stage: string | null; runDir: string },
) {
  const { store, spec } = ctx;
  return {
    id: next.id,
    taskId: spec.taskId,
    attempt: next.attempt,
    profile: next.profile,
    stage: next.stage,
    status: "running" as const,
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
  };
}
