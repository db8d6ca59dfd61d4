/**
 * Provisioning inside the task's own session. The launcher claims the run and opens the
 * session; the session's first process (the future supervisor) makes the worktree, stacks the
 * dependencies, copies the `copy:` files, runs `bootstrap` and `before_launch` in the run's
 * sandbox with their output on the session's terminal, writes the run file, and then supervises
 * the agent. So N tasks provision at once, and a person attaching sees the bootstrap live.
 *
 * Every step is recorded (the run's phase in the store, the step's process group in the run
 * folder): a kill -9 at any point leaves a provisioning run whose process and session are gone,
 * which reconcile rolls back exactly as it did when the launcher provisioned.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import { addWorktree, git, resolveCommit, updateRef } from "../adapters/git/index.js";
import { writeUntrusted } from "../adapters/hostile/index.js";
import { addWorkspace, importGitRefs } from "../adapters/jj/index.js";
import { runShell } from "../adapters/process/shell.js";
import {
  type ProvisionSpec,
  RUN_POINTER,
  type RunSpec,
  runFolder,
  writeRunSpec,
} from "../adapters/runfolder/index.js";
import { gitObjectEnv, type Policy, RunSandbox } from "../adapters/sandbox/index.js";
import type { RunRow } from "../adapters/store/index.js";
import { secretMode } from "../core/secrets.js";
import type { Project } from "../project/index.js";
import { rollbackFailedLaunch } from "./recover/index.js";
import type { RefCopy } from "./run-refs.js";
import { type BaseFacts, baseFacts, buildRunSpec, copyUntracked, ProvisionStepError } from "./run-spec.js";
import { afterSandboxedStep, beforeSandboxedStep } from "./run-steps.js";
import { policyForRun } from "./sandboxing.js";
import { JJ_WORKSPACE_PREFIX, jjOpFile, projectVcs } from "./vcs-names.js";

export type Say = (text: string) => void;

/**
 * Provisions the claimed run. Returns its run file, or null when provisioning failed (rolled
 * back, the task failed with the step's message) or the run is no longer this session's.
 */
export async function provisionInSession(
  project: Project,
  ps: ProvisionSpec,
  say: Say,
): Promise<RunSpec | null> {
  const store = project.store();
  const run = store.run(ps.runId);
  // Stopped, abandoned or rolled back before this session got going: nothing to do.
  if (run?.status !== "provisioning") {
    say(`run ${ps.runId} is ${run?.status ?? "gone"}; nothing to provision`);
    return null;
  }
  store.updateRun(ps.runId, { supervisorPid: process.pid });
  const state: StepState = { sandbox: null, policy: null, env: { ...ps.env } };
  try {
    return await provisionStages(project, ps, state, say);
  } catch (err) {
    await failProvisioning(project, ps, run, state, err, say);
    return null;
  }
}

interface StepState {
  sandbox: RunSandbox | null;
  /** The run's policy once its worktree exists: on_fail of a failed launch runs under it too. */
  policy: Policy | null;
  env: Record<string, string>;
}

/** The stages, in order; each sets the run's phase first so status shows where it is. */
async function provisionStages(
  project: Project,
  ps: ProvisionSpec,
  state: StepState,
  say: Say,
): Promise<RunSpec> {
  const store = project.store();
  const config = project.config;
  const root = ps.repoRoot;
  const paths = runFolder(ps.runDir);
  const phase = (name: string) => store.updateRun(ps.runId, { phase: name });
  const profile = resolveProfile(config, ps.profile);

  const jjRun = projectVcs(project) === "jj";
  if (!ps.worktreeExisted) {
    phase("worktree");
    say(
      `${jjRun ? "jj workspace" : "worktree"} ${ps.worktree} on ${ps.branch}${ps.branchExisted ? " (existing branch)" : ` from ${ps.base}`}`,
    );
    mkdirSync(dirname(ps.worktree), { recursive: true });
    const adding = jjRun
      ? addJjWorkspace(project, ps)
      : addWorktree({
          repo: root,
          path: ps.worktree,
          branch: ps.branch,
          base: ps.baseCommit,
          checked: { branchExists: ps.branchExisted, baseCommit: ps.baseCommit },
        });
    // git (or jj) is already adding it: the sandbox runtime starts meanwhile.
    warmSandbox(config, profile);
    await adding;
    if (!jjRun) for (const other of ps.merge) await stackBranch(ps, other);
  } else warmSandbox(config, profile);
  // A jj workspace has no git folder: the run is found through BALLADOR_RUN_DIR there.
  const gitDir = jjRun
    ? undefined
    : (await git(["rev-parse", "--absolute-git-dir"], { cwd: ps.worktree })).stdout.trim();
  if (gitDir !== undefined) {
    // The worktree's git folder is the agent's to write: written without following a link.
    writeUntrusted(
      gitDir,
      RUN_POINTER,
      JSON.stringify({ runId: ps.runId, runDir: ps.runDir, taskId: ps.taskId }),
    );
  }
  // The policy before anything can fail on the worktree, so that on_fail is sandboxed too.
  const policy = await policyForRun(project, {
    worktree: ps.worktree,
    runDir: ps.runDir,
    branch: ps.branch,
    profile,
    realHome: ps.realHome,
    ownGitDir: gitDir,
  });
  state.policy = policy;
  if (config.copy.length > 0) phase("copy");
  copyUntracked(root, ps.worktree, config.copy, paths.host.launchLog);

  await startStepSandbox(config, policy, ps, state);
  // What the prompt needs from the base (git, not the worktree) is read while the steps run;
  // a failure here is left to the run file's own reading after them.
  const onBase = startBaseFacts(project, ps);
  for (const command of config.bootstrap) await step(project, ps, state, "bootstrap", command, say);
  await step(project, ps, state, "before_launch", config.hooks.before_launch, say);

  phase("prompt");
  return writeFirstRunSpec(project, ps, state, { profile, policy, onBase });
}

function startBaseFacts(project: Project, ps: ProvisionSpec): Promise<BaseFacts | null> {
  const task = project.store().task(ps.taskId);
  return task ? baseFacts(project, task).catch(() => null) : Promise.resolve(null);
}

/**
 * The run file of the first attempt: the run's plan as provisioning resolves it now (issue 30),
 * kept by every run that follows it in the session whatever the config says meanwhile.
 */
async function writeFirstRunSpec(
  project: Project,
  ps: ProvisionSpec,
  state: StepState,
  planned: { profile: ResolvedProfile; policy: Policy | null; onBase: Promise<BaseFacts | null> },
): Promise<RunSpec> {
  const { profile, policy } = planned;
  const folder = runFolder(ps.runDir);
  const sandboxed = project.config.sandbox.mode !== "none";
  const spec = await buildRunSpec(project, {
    task: project.store().task(ps.taskId) ?? failNow(`task ${ps.taskId} is gone`),
    profile,
    program: ps.program,
    identity: {
      taskId: ps.taskId,
      runId: ps.runId,
      worktree: ps.worktree,
      branch: ps.branch,
      attempt: ps.attempt,
      runDir: ps.runDir,
      promptFile: folder.host.prompt,
    },
    env: state.env,
    home: sandboxed ? folder.agent.home : ps.realHome,
    tmp: folder.agent.tmp,
    policy,
    base: ps.base,
    sandboxed,
    previousFailure: ps.previousFailure,
    resume: ps.resume,
    previousHome: ps.previousRunDir && sandboxed ? runFolder(ps.previousRunDir).agent.home : null,
    realHome: ps.realHome,
    onBase: planned.onBase,
  });
  writeRunSpec(spec);
  return spec;
}

/**
 * The run's sandbox runtime starts ahead of its policy (RunSandbox.prewarm), for the bootstrap
 * and then the agent: unless the profile masks secrets, whose TLS termination must be there
 * from the runtime's first start.
 */
function warmSandbox(config: Project["config"], profile: ResolvedProfile): void {
  if (config.sandbox.mode === "none") return;
  if (Object.values(profile.secrets).some((s) => secretMode(s) === "mask")) return;
  RunSandbox.prewarm();
}

function failNow(message: string): never {
  throw new ProvisionStepError(message);
}

/**
 * The jj counterpart of `worktree add -b`: a workspace `bl-<task>` whose first working-copy commit
 * sits on the base, or on every dependency's commit for a stacked task (their merge), and the
 * task's branch at the base (a git branch in the colocated store, imported as the bookmark).
 * The task's chain of operations starts afresh from the repository's.
 */
async function addJjWorkspace(project: Project, ps: ProvisionSpec): Promise<void> {
  const root = ps.repoRoot;
  const parents = [ps.baseCommit];
  for (const other of ps.merge) {
    const id = await resolveCommit(root, `refs/heads/${other}`);
    if (!id) throw new ProvisionStepError(`stacking: ${other} does not name a commit`);
    parents.push(id);
  }
  rmSync(jjOpFile(project, ps.taskId), { force: true });
  await addWorkspace(root, {
    name: `${JJ_WORKSPACE_PREFIX}${ps.taskId}`,
    path: ps.worktree,
    parents,
  });
  if (!ps.branchExisted) {
    const ok = await updateRef(root, `refs/heads/${ps.branch}`, ps.baseCommit, null, "ballador: task branch");
    if (!ok) throw new ProvisionStepError(`${ps.branch} appeared while the workspace was made`);
    await importGitRefs(root);
  }
}

async function stackBranch(ps: ProvisionSpec, other: string): Promise<void> {
  const r = await git(
    [
      "merge",
      "--no-edit",
      "--no-ff",
      "-m",
      `ballador: stack ${other} for ${ps.taskId}`,
      "--end-of-options",
      other,
    ],
    { cwd: ps.worktree, allowFail: true },
  );
  if (r.code !== 0)
    throw new ProvisionStepError(
      `stacking: merging ${other} into ${ps.branch} conflicts:\n${r.stdout}${r.stderr}`,
    );
}

/** The run's policy, and its sandbox for the steps that execute the branch's code. */
async function startStepSandbox(
  config: Project["config"],
  policy: Policy | null,
  ps: ProvisionSpec,
  state: StepState,
): Promise<void> {
  const paths = runFolder(ps.runDir);
  if (!policy) {
    mkdirSync(paths.agent.tmp, { recursive: true });
    return;
  }
  Object.assign(state.env, gitObjectEnv(policy));
  writeFileSync(paths.host.policy, `${JSON.stringify(policy, null, 2)}\n`);
  // Bootstrap and hooks execute code from the branch: they run inside the run's sandbox too.
  if (config.bootstrap.some((c) => c.trim()) || config.hooks.before_launch.trim()) {
    state.sandbox = await RunSandbox.start(policy, { runDir: ps.runDir, tmp: paths.agent.tmp });
  }
}

/** One bootstrap or hook step: sandboxed, logged, shown on the session's terminal. */
async function step(
  project: Project,
  ps: ProvisionSpec,
  state: StepState,
  label: string,
  command: string,
  say: Say,
): Promise<void> {
  if (!command.trim()) return;
  const store = project.store();
  store.updateRun(ps.runId, { phase: label });
  say(`${label}: ${command}`);
  const root = ps.repoRoot;
  const sandbox = state.sandbox;
  const copy = sandbox ? await beforeSandboxedStep(root, ps.runDir, ps.branch, state.policy?.jj) : null;
  const logFile = runFolder(ps.runDir).host.launchLog;
  const wrapped = sandbox ? await sandbox.wrapShell(command, ps.worktree) : undefined;
  const r = await runShell(command, {
    cwd: ps.worktree,
    env: state.env,
    logFile,
    label,
    timeoutMs: 30 * 60_000,
    ...(wrapped ? { wrapped } : {}),
    // The session is the step's terminal: a person attached watches it.
    onOutput: (text) => process.stdout.write(text),
    // If this process dies, reconcile ends the step's whole process group from this file.
    onSpawn: (pgid) => writeFileSync(runFolder(ps.runDir).host.stepPid, String(pgid)),
  });
  rmSync(runFolder(ps.runDir).host.stepPid, { force: true });
  if (copy) {
    const snapshot =
      sandbox && copy.jj ? { sandbox, env: state.env, workspace: ps.worktree, logFile } : undefined;
    const after = await afterSandboxedStep(root, ps.runDir, copy, ps.runId, snapshot);
    if (after.snapshotFailed) say(after.snapshotFailed);
    if (after.violations.length > 0) {
      for (const v of after.violations)
        store.addNote(ps.taskId, ps.runId, "system", `sandbox violation (${label}): ${v}`);
      throw new ProvisionStepError(`sandbox violation during ${label}: ${after.violations.join("; ")}`);
    }
  }
  if (r.code !== 0) {
    const tail = r.output.trim().split("\n").slice(-15).join("\n");
    throw new ProvisionStepError(
      `${label} "${command}" failed (exit ${r.code ?? r.signal})${tail ? `:\n${tail}` : ""}`,
    );
  }
}

/** Rolls the claimed run back (this session stays until it exits) and runs on_fail. */
async function failProvisioning(
  project: Project,
  ps: ProvisionSpec,
  run: RunRow,
  state: StepState,
  err: unknown,
  say: Say,
): Promise<void> {
  const config = project.config;
  const message = err instanceof Error ? err.message : String(err);
  say(`launch failed: ${message}`);
  // The run row is the claim's: same run folder as `ps`; the store's copy is read again there.
  await rollbackFailedLaunch(project, run, message, { ownSession: true });
  if (config.hooks.on_fail.trim()) await runOnFail(project, ps, state, say);
}

/**
 * on_fail is a hook like the others: inside the run's sandbox whenever the run has a policy
 * (started for it if bootstrap did not need one), and not at all if that sandbox cannot be had.
 * Only a launch that failed before its worktree existed (rolled back: no agent tree left) runs
 * it unsandboxed, in the main checkout.
 */
async function runOnFail(project: Project, ps: ProvisionSpec, state: StepState, say: Say): Promise<void> {
  const command = project.config.hooks.on_fail;
  const launchLog = runFolder(ps.runDir).host.launchLog;
  let wrapped: { file: string; args: string[] } | undefined;
  let copy: RefCopy | null = null;
  if (state.policy) {
    try {
      // The ref copies anew (rollback may have removed the branch and its folder).
      copy = await beforeSandboxedStep(ps.repoRoot, ps.runDir, ps.branch, state.policy.jj);
      state.sandbox ??= await RunSandbox.start(state.policy, {
        runDir: ps.runDir,
        tmp: runFolder(ps.runDir).agent.tmp,
      });
      wrapped = await state.sandbox.wrapShell(command, ps.repoRoot);
    } catch (err) {
      const why = `on_fail not run: its sandbox could not start (${err instanceof Error ? err.message : String(err)})`;
      say(why);
      writeFileSync(launchLog, `${why}\n`, { flag: "a" });
      return;
    }
  }
  await runShell(command, {
    cwd: ps.repoRoot,
    env: state.env,
    logFile: launchLog,
    label: "on_fail",
    ...(wrapped ? { wrapped } : {}),
  });
  if (copy) {
    const after = await afterSandboxedStep(ps.repoRoot, ps.runDir, copy, ps.runId);
    for (const v of after.violations)
      project.store().addNote(ps.taskId, ps.runId, "system", `sandbox violation (on_fail): ${v}`);
  }
}
