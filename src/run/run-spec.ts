/**
 * What one attempt of a run is made of: the run file (command, environment, policy, prompt) the
 * supervisor executes, the verify command, the `copy:` files, the spec as committed on the base.
 * Shared by the launcher, the session that provisions itself, and the supervisor's retries.
 */
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { latestDroidSession } from "../adapters/agents/droid-session.js";
import { prepareAgentHome } from "../adapters/agents/home.js";
import { PRESETS, type Preset, withResume } from "../adapters/agents/presets.js";
import { type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import {
  readUntrusted,
  safeRelative,
  UntrustedPathError,
  writeUntrusted,
} from "../adapters/hostile/index.js";
import type { RunPlan, RunSpec } from "../adapters/runfolder/index.js";
import type { Policy } from "../adapters/sandbox/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import { parseDuration } from "../core/duration.js";
import { type Pipeline, type Stage, stagePromptSection } from "../core/pipeline.js";
import { assemblePrompt } from "../core/prompt.js";
import { secretMode } from "../core/secrets.js";
import {
  expandCommand,
  type Project,
  type RunIdentity,
  specOnBase,
  taskPipeline,
  verifyCommandFor,
} from "../project/index.js";
import { type McpSelection, mcpSelection } from "./mcp-servers.js";
import { holdsRunnerSecrets } from "./remote/runner-files.js";
import { openPrReview, openRequests, openUpdate } from "./steering.js";

/** A provisioning step that failed: its message is the task's failure reason. */
export class ProvisionStepError extends Error {
  override name = "ProvisionStepError";
}

/**
 * `copy:` files, from the main checkout into the worktree. The source must be a regular file
 * with no link on its path (a link committed on the base could name ~/.ssh/id_rsa); the
 * destination is the agent's tree (on a retry it wrote it): written without following a link.
 */
export function copyUntracked(root: string, worktree: string, files: readonly string[], log: string): void {
  for (const file of files) {
    let rel: string;
    try {
      rel = safeRelative(relative(root, resolve(root, file)));
    } catch {
      throw new ProvisionStepError(
        `copy: "${file}" is outside the repository; only files inside it can be copied`,
      );
    }
    let data: Buffer | null;
    try {
      data = readUntrusted(root, rel, 64 * 1024 * 1024);
    } catch (err) {
      if (err instanceof UntrustedPathError)
        throw new ProvisionStepError(
          `copy: "${file}": ${err.message}; only regular files are copied (fix copy: in .ballador/config.yaml)`,
        );
      throw err;
    }
    if (!data) {
      writeFileSync(log, `copy: ${file} does not exist in the main checkout; skipped\n`, { flag: "a" });
      continue;
    }
    try {
      writeUntrusted(worktree, rel, data, statSync(join(root, rel)).mode & 0o777);
    } catch (err) {
      if (err instanceof UntrustedPathError)
        throw new ProvisionStepError(`copy: "${file}" into the worktree: ${err.message}`);
      throw err;
    }
    writeFileSync(log, `copy: ${file}\n`, { flag: "a" });
  }
}

/** Host variable names a run may need: its profile's and its fallbacks' (values travel via tmux). */
export function carriedNames(project: Project, profile: ResolvedProfile): string[] {
  const names = new Set<string>();
  const seen = new Set<string>();
  let current: ResolvedProfile | null = profile;
  while (current && !seen.has(current.name)) {
    seen.add(current.name);
    for (const n of current.env) names.add(n);
    for (const src of Object.values(current.secrets)) {
      if ("env" in src) names.add(src.env);
      // The proxy that adds masked values verifies upstream certificates with Node's roots plus
      // this file, read when the supervisor starts (a company's CA, a test server's).
      if (secretMode(src) === "mask") names.add("NODE_EXTRA_CA_CERTS");
    }
    current = current.fallback ? resolveProfile(project.config, current.fallback) : null;
  }
  // On a runner holding the run's secrets (secrets_at: runner) the profile lists none: same proxy.
  if (holdsRunnerSecrets(project.paths.stateDir)) names.add("NODE_EXTRA_CA_CERTS");
  return [...names];
}

export interface RunSpecInput {
  task: TaskRow;
  profile: ResolvedProfile;
  program: string;
  identity: RunIdentity;
  env: Record<string, string>;
  home: string;
  tmp: string;
  policy: Policy | null;
  base: string;
  sandboxed: boolean;
  previousFailure: string | null;
  /** Continue the agent's previous conversation where its preset knows how. */
  resume: boolean;
  /** The previous attempt's HOME, whose conversations a resumed agent needs. */
  previousHome?: string | null;
  /** The person's HOME (whose agent settings seed the run's); default this process's HOME. */
  realHome?: string;
  /** A reviewer's prompt instead of the implementer's. */
  promptOverride?: string;
  role?: "implementer" | "reviewer";
  /** The pipeline stage this run plays, when not the task's current one (the supervisor's advance). */
  stageIndex?: number;
  /** The plan of the run this one follows (the supervisor's): kept, never resolved again. */
  plan?: RunPlan;
  /** What the base says for this task, read while the bootstrap ran (baseFacts); null: read now. */
  onBase?: Promise<BaseFacts | null>;
}

/** The task's verify command and spec as its base has them: read from git, never the worktree. */
export interface BaseFacts {
  /** The task's own fields they were read for: a task changed meanwhile is read again. */
  for: Pick<TaskRow, "verify" | "spec">;
  verify: string | null;
  spec: { text: string } | { missing: string } | null;
}

/**
 * Reads them (two git processes at most), so provisioning can do it while the bootstrap runs.
 * `withSpec` false: a prompt of its own (a reviewer's) needs no spec.
 */
export async function baseFacts(
  project: Project,
  task: Pick<TaskRow, "verify" | "spec">,
  withSpec = true,
): Promise<BaseFacts> {
  const [verify, spec] = await Promise.all([
    verifyCommandFor(project, task),
    withSpec && task.spec ? specOnBase(project, task.spec) : null,
  ]);
  return { for: { verify: task.verify, spec: task.spec }, verify, spec };
}

/** The facts read early when they were read for the task as it stands, else read now. */
export async function currentBaseFacts(
  project: Project,
  task: Pick<TaskRow, "verify" | "spec">,
  input: Pick<RunSpecInput, "onBase" | "promptOverride">,
): Promise<BaseFacts> {
  const facts = input.onBase ? await input.onBase : null;
  if (facts && facts.for.verify === task.verify && facts.for.spec === task.spec) return facts;
  return baseFacts(project, task, input.promptOverride === undefined);
}

/** The prompt and the run file of one attempt; used by launch and by the supervisor's retries. */
/** The selected servers as the run's Claude Code reads them. */
export function mcpForHome(m: McpSelection): {
  servers: Record<string, Record<string, unknown>>;
  projectNames: string[];
} {
  return {
    servers: Object.fromEntries(m.selected.map((s) => [s.name, s.config])),
    projectNames: m.projectNames,
  };
}

export async function buildRunSpec(project: Project, input: RunSpecInput): Promise<RunSpec> {
  const { task, profile, identity, home, tmp, policy } = input;
  const config = project.config;
  const worktree = identity.worktree;
  const onBase = await currentBaseFacts(project, task, input);
  const verify = onBase.verify;
  // Roles and pipelines (issue 16): the stage this run plays, and its section of the prompt.
  const pipeline = input.plan ? input.plan.pipeline : resolvedPipeline(config, task);
  const stage = pipeline?.stages[input.stageIndex ?? task.stage] ?? null;
  if (pipeline && !stage)
    throw new ProvisionStepError(
      `pipeline: task ${task.id} has passed every stage of its pipeline; merge it or retry it`,
    );
  const prompt = input.promptOverride ?? runPrompt(project, input, onBase, pipeline, stage);
  mkdirSync(identity.runDir, { recursive: true });
  writeFileSync(identity.promptFile, prompt, { flag: "w" });
  const env = { ...input.env, ...(await seededHomeEnv(project, input)) };
  const argv = expandCommand(profile.command, {
    prompt,
    promptFile: identity.promptFile,
    task: task.id,
    worktree,
  });
  argv[0] = input.program;
  // The preset knows where its resume arguments go (after the program, or after a subcommand).
  const preset = input.resume ? PRESETS[profile.preset ?? ""] : undefined;
  const command = (preset && withResume(argv, preset, resumedSession(preset, input))) || argv;
  return {
    runId: identity.runId,
    taskId: task.id,
    attempt: identity.attempt,
    profile: profile.name,
    worktree,
    branch: identity.branch,
    base: input.base,
    projectBase: config.base,
    repoRoot: project.paths.root,
    stateDir: project.paths.stateDir,
    runDir: identity.runDir,
    command,
    prompt: profile.prompt,
    promptFile: identity.promptFile,
    env,
    passEnv: profile.env,
    secrets: profile.secrets,
    sandbox: policy,
    home,
    tmp,
    timeoutMs: profile.timeoutMs,
    idleTimeoutMs: parseDuration(config.idle_timeout),
    refusedIdleMs: parseDuration(config.refused_idle),
    verify,
    verifyTimeoutMs: parseDuration("30m"),
    bootstrap: config.bootstrap,
    copy: config.copy,
    verifyInputs: config.verify_inputs,
    maxAttempts: config.max_attempts,
    hooks: {
      after_run: config.hooks.after_run,
      on_review: config.hooks.on_review,
      on_fail: config.hooks.on_fail,
    },
    stack: config.stack,
    reviewer: config.reviewer,
    role: input.role ?? "implementer",
    needsYou: { ...profile.needsYou, tmuxSocket: config.tmux_socket },
    budget: profile.budget,
    mustContain: openUpdate(project.store(), task.id)?.mustContain ?? [],
    prices: config.prices ?? {},
    plan: input.plan ?? { config, pipeline },
    ...(pipeline && stage
      ? { stage: { index: stage.index, count: pipeline.stages.length, role: stage.role, kind: stage.kind } }
      : {}),
  };
}

/** The implementer's prompt: the part, its spec as on the base, the stage's section, what is asked of it. */
function runPrompt(
  project: Project,
  input: RunSpecInput,
  onBase: BaseFacts,
  pipeline: Pipeline | null,
  stage: Stage | null,
): string {
  const { task, identity } = input;
  const verify = onBase.verify;
  // The spec as it stands on the base, read through git: never a file of the agent's tree,
  // which could be a link to one the agent may not read.
  const spec = onBase.spec;
  const specPath = spec && "text" in spec ? task.spec : null;
  const stageSection =
    pipeline && stage
      ? stagePromptSection({
          stage,
          roles: pipeline.stages.map((s) => s.role),
          tests: project.config.tests,
          earlier: earlierClaims(project, task.id, pipeline.stages.slice(0, stage.index)),
        })
      : undefined;
  return assemblePrompt({
    task,
    specPath,
    specText: spec && "text" in spec ? spec.text : null,
    verify,
    branch: identity.branch,
    attempt: identity.attempt,
    previousFailure: input.previousFailure,
    // Read from the store for every attempt, so the supervisor's automatic retries carry them too.
    personRequests: openRequests(project.store(), task.id),
    prReview: openPrReview(project.store(), task.id),
    update: openUpdate(project.store(), task.id)?.text ?? null,
    ...(stageSection ? { stageSection } : {}),
    ...(stage?.kind === "tests" ? { updateSpec: false } : {}),
  });
}

/**
 * The id of the conversation a resumed attempt continues, for a preset that names it (Droid):
 * from the run's own HOME (the earlier HOME's sessions carried in) when sandboxed, else the person's.
 */
function resumedSession(preset: Preset, input: RunSpecInput): string | undefined {
  if (preset.resumeSession !== "droid") return undefined;
  const home = input.sandboxed ? input.home : (input.realHome ?? process.env.HOME ?? input.home);
  return latestDroidSession(home, input.identity.worktree) ?? undefined;
}

/** The variables seeding the run's own HOME sets; none unsandboxed (the person's HOME as is). */
async function seededHomeEnv(project: Project, input: RunSpecInput): Promise<Record<string, string>> {
  if (!input.sandboxed) return {};
  const { profile, home } = input;
  const realHome = input.realHome ?? process.env.HOME ?? home;
  const prepared = await prepareAgentHome(profile, {
    home,
    realHome,
    mcp: mcpForHome(await mcpSelection(project, profile, realHome)),
    worktree: input.identity.worktree,
    sandboxed: input.sandboxed,
    env: Object.fromEntries(profile.env.map((n) => [n, process.env[n]])),
    previousHome: input.resume ? (input.previousHome ?? null) : null,
  });
  return prepared.env;
}

function resolvedPipeline(config: Project["config"], task: TaskRow): Pipeline | null {
  try {
    return taskPipeline(config, task);
  } catch (err) {
    throw new ProvisionStepError(`pipeline: ${(err as Error).message}`);
  }
}

/** What the runs of earlier stages claimed (their last summaries), for the next stage's prompt. */
function earlierClaims(
  project: Project,
  taskId: string,
  stages: readonly Stage[],
): Array<{ role: string; summary: string | null }> {
  const store = project.store();
  const runs = store.runsOf(taskId);
  const notes = store.notes(taskId).filter((n) => n.kind === "summary");
  return stages.map((s) => {
    const ids = new Set(runs.filter((r) => r.stage === s.role).map((r) => r.id));
    return {
      role: s.role,
      summary: notes.filter((n) => n.runId !== null && ids.has(n.runId)).at(-1)?.text ?? null,
    };
  });
}

/** The section of a pipeline's auditor prompt (issue 16), for the reviewer machinery. */
export function auditPromptSection(
  project: Project,
  pipeline: Pipeline | null,
  index: number,
): string[] | undefined {
  const stage = pipeline?.stages[index];
  if (!pipeline || !stage) return undefined;
  return stagePromptSection({
    stage,
    roles: pipeline.stages.map((s) => s.role),
    tests: project.config.tests,
    earlier: [],
  });
}
