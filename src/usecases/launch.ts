/**
 * The downbeat: start ready tasks, each in its own worktree and tmux session, up to the limits.
 * Provisioning is claimed in the store first (one live run per task, enforced by SQLite), and
 * every step it takes is recorded so a crash at any point can be rolled back by reconcile.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { prepareAgentHome } from "../adapters/agents/home.js";
import { PRESETS, withResume } from "../adapters/agents/presets.js";
import { findProgram, type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import {
  addWorktree,
  blobAt,
  branchExists,
  git,
  isValidBranchName,
  listWorktrees,
  resolveCommit,
} from "../adapters/git/index.js";
import { runShell } from "../adapters/process/shell.js";
import {
  makeRunFolder,
  RUN_POINTER,
  type RunSpec,
  runPaths,
  writeRunSpec,
} from "../adapters/runfolder/index.js";
import { gitObjectEnv, type Policy, RunSandbox } from "../adapters/sandbox/index.js";
import type { RunRow, TaskRow } from "../adapters/store/index.js";
import { sessionNameFor, Tmux } from "../adapters/tmux/index.js";
import {
  readUntrusted,
  safeRelative,
  UntrustedPathError,
  writeUntrusted,
} from "../adapters/untrusted/index.js";
import { parseDuration } from "../config/schema.js";
import { newRunId } from "../core/ids.js";
import { assemblePrompt } from "../core/prompt.js";
import { type Deferred, planLaunch } from "../core/schedule.js";
import { scopeWarnings } from "./conflicts.js";
import { UserError } from "./errors.js";
import { modelEndpointProblems } from "./model-endpoint.js";
import { type Project, requireTask } from "./project.js";
import { reconcile } from "./reconcile.js";
import { rollbackProvisioning, STEP_PID_FILE } from "./rollback.js";
import {
  branchFor,
  ensureShimDir,
  expandCommand,
  type RunIdentity,
  runEnvironment,
  SUPERVISOR_ENTRY,
  worktreePathFor,
} from "./run-env.js";
import { afterSandboxedStep, beforeSandboxedStep } from "./run-steps.js";
import { isReviewerRun } from "./runs.js";
import { policyForRun } from "./sandboxing.js";

export interface LaunchOptions {
  tasks?: string[];
  max?: number;
  base?: string;
  dryRun?: boolean;
  actor?: string;
  /** A note fed back into the prompt (retry after a failure). */
  previousFailure?: string | null;
  /** Launch an existing worktree again with the same attempt (resume). */
  resume?: boolean;
  /** Continue the agent's previous conversation where its preset can (retry and resume). */
  continueConversation?: boolean;
  onProgress?: (line: string) => void;
}

export interface Started {
  id: string;
  runId: string;
  profile: string;
  branch: string;
  worktree: string;
  session: string;
  attempt: number;
}

export interface LaunchResult {
  started: Started[];
  /** Overlapping declared scopes with running or in-review tasks: a warning, not a refusal. */
  warnings: string[];
  failed: Array<{ id: string; reason: string; log: string | null }>;
  deferred: Deferred[];
  dryRun: boolean;
  plan: Array<{ id: string; profile: string }>;
}

export function tmuxFor(project: Project): Tmux {
  return new Tmux({ socket: project.config.tmux_socket });
}

export async function launch(project: Project, opts: LaunchOptions = {}): Promise<LaunchResult> {
  const store = project.store();
  await reconcile(project, { repair: true });
  const config = project.config;
  const tasks = store.tasks();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  let candidates: TaskRow[];
  const launchable = opts.resume ? ["stopped", "blocked", "failed"] : ["ready"];
  if (opts.tasks && opts.tasks.length > 0) {
    candidates = [];
    for (const id of opts.tasks) {
      // Unknown ids get the same message as every other command.
      const t = byId.get(id) ?? requireTask(project, id);
      if (!launchable.includes(t.state)) {
        const waits =
          t.state === "queued"
            ? `; it waits on ${t.needs.filter((d) => byId.get(d)?.state !== "merged").join(", ")}`
            : "";
        throw new UserError(
          `task ${id} is ${t.state}, not ${launchable.join(" or ")}${waits}`,
          4,
          [],
          "wrong_state",
        );
      }
      candidates.push(t);
    }
  } else {
    candidates = tasks.filter((t) => t.state === "ready");
  }
  const live = store.liveRuns();
  const limit = Math.min(config.max_parallel, opts.max ?? Number.POSITIVE_INFINITY);
  const freeSlots = Math.max(0, limit - live.length);
  const profiles = Object.keys(config.agents.profiles).map((name) => {
    const p = config.agents.profiles[name];
    return {
      name,
      enabled: p?.enabled ?? true,
      maxSessions: p?.max_sessions ?? null,
      running: live.filter((r) => r.profile === name).length,
    };
  });
  const { start, deferred } = planLaunch(
    candidates.map((t) => ({
      id: t.id,
      priority: t.priority,
      seq: t.seq,
      agent: t.agent ?? config.agents.default,
    })),
    { freeSlots, profiles },
  );
  const result: LaunchResult = {
    started: [],
    warnings: [],
    failed: [],
    deferred,
    dryRun: opts.dryRun === true,
    plan: start,
  };
  // The worktree is cut from the base: a spec not committed there never reaches the agent.
  const missingSpecs = new Map<string, string[]>();
  for (const a of start) {
    const task = byId.get(a.id) as TaskRow;
    if (task.spec) {
      const spec = await specOnBase(project, task.spec);
      if ("missing" in spec)
        missingSpecs.set(spec.missing, [...(missingSpecs.get(spec.missing) ?? []), task.id]);
    }
    if (task.partPath) {
      const part = await blobAt(project.paths.root, config.base, task.partPath, 1024 * 1024);
      if ("missing" in part)
        result.warnings.push(
          `${task.partPath} (part ${task.id}) is not committed on ${config.base}; the agent gets its text in the prompt, but not the file (commit .ballador/)`,
        );
    }
  }
  // A base URL (a local gateway, a fake, Ollama) the sandbox would refuse: the agent would retry
  // for minutes with nothing recorded. Refused here, with the line that fixes it.
  const endpoints: string[] = [];
  for (const name of new Set(start.map((a) => a.profile))) {
    let profile: ResolvedProfile;
    try {
      profile = resolveProfile(config, name);
    } catch {
      continue; // provision reports an unknown profile on the task itself
    }
    for (const e of modelEndpointProblems(config, profile, process.env)) {
      const line = `profile ${name}: ${e.problem}; fix: ${e.fix}`;
      if (e.kind === "not-passed") result.warnings.push(line);
      else if (!endpoints.includes(line)) endpoints.push(line);
    }
  }
  if (endpoints.length > 0) {
    throw new UserError(
      "refusing to launch: an agent's model endpoint is out of the sandbox's reach:",
      4,
      endpoints,
      "endpoint_not_allowed",
    );
  }
  if (missingSpecs.size > 0) {
    const lines = [...missingSpecs].map(([why, ids]) => `${why} (spec of ${ids.join(", ")})`);
    throw new UserError(
      `refusing to launch: the agents' worktrees start from ${config.base}, which lacks their spec. Commit it first (git add ${config.specs_dir} .ballador && git commit):`,
      4,
      lines,
    );
  }
  const busy = tasks.filter((t) => ["running", "verifying", "review"].includes(t.state));
  for (const a of start) {
    const task = byId.get(a.id) as TaskRow;
    const others = [...busy, ...start.filter((x) => x.id !== a.id).map((x) => byId.get(x.id) as TaskRow)];
    for (const w of scopeWarnings(task, others))
      if (!result.warnings.includes(w.message)) result.warnings.push(w.message);
  }
  if (opts.dryRun) return result;
  try {
    for (const a of start) {
      const task = byId.get(a.id) as TaskRow;
      const outcome = await provision(project, task, a.profile, opts);
      if ("runId" in outcome) result.started.push(outcome);
      else if (outcome.skipped) result.deferred.push({ id: outcome.id, why: outcome.reason });
      else result.failed.push(outcome);
    }
  } finally {
    // The sandbox's proxy lives in this process: stop it so the command can exit.
    await RunSandbox.stopAll();
  }
  return result;
}

class LaunchStepError extends Error {
  override name = "LaunchStepError";
}

async function chooseBase(
  project: Project,
  task: TaskRow,
  override: string | undefined,
): Promise<{ base: string; merge: string[] }> {
  if (override) return { base: override, merge: [] };
  const config = project.config;
  if (!config.stack) return { base: config.base, merge: [] };
  // Stacking: start from the branches of dependencies still in review (merged ones are in base).
  const store = project.store();
  const inReview = task.needs
    .map((d) => store.task(d))
    .filter((d): d is TaskRow => d !== null && d.state === "review" && d.branch !== null);
  if (inReview.length === 0) return { base: config.base, merge: [] };
  const [first, ...rest] = inReview as [TaskRow, ...TaskRow[]];
  return { base: first.branch as string, merge: rest.map((d) => d.branch as string) };
}

async function provision(
  project: Project,
  task: TaskRow,
  profileName: string,
  opts: LaunchOptions,
): Promise<Started | { id: string; reason: string; log: string | null; skipped?: boolean }> {
  const store = project.store();
  const config = project.config;
  const root = project.paths.root;
  const say = opts.onProgress ?? (() => {});
  const attempt = opts.resume ? Math.max(1, task.attempt) : task.attempt + 1;
  const runId = newRunId(task.id, attempt, new Date(), randomBytes(2).toString("hex"));
  const runDir = join(project.paths.runsDir, runId);
  const launchLog = runPaths(runDir).launchLog;
  const branch = branchFor(config, task.id);
  const worktree = worktreePathFor(config, root, task.id);
  const session = sessionNameFor(task.id);
  const fail = (reason: string) => {
    // A resume that cannot start leaves the task as it was; a fresh launch fails it truthfully.
    if (opts.resume) throw new UserError(`task ${task.id}: ${reason}`);
    store.transition(task.id, "failed", {
      cause: "launch failed",
      actor: opts.actor ?? "launch",
      reason: `launch: ${reason}`,
      expectFrom: [task.state],
      attempt,
    });
    return { id: task.id, reason, log: null };
  };

  // Checks that need no claim: nothing is created if these fail.
  let profile: ResolvedProfile;
  try {
    profile = resolveProfile(config, profileName);
  } catch (err) {
    return fail((err as Error).message);
  }
  const program = findProgram(profile.command[0] as string, root);
  if (!program) {
    return fail(
      `agent binary "${profile.command[0]}" for profile ${profile.name} not found on PATH; install it or fix the profile (ballador doctor)`,
    );
  }
  if (!(await isValidBranchName(branch)))
    return fail(`"${branch}" is not a valid branch name; check branch_prefix`);
  const { base, merge } = await chooseBase(project, task, opts.base);
  const baseCommit = await resolveCommit(root, base);
  if (!baseCommit)
    return fail(
      `base "${base}" does not resolve to a commit; set base in .ballador/config.yaml or pass --base`,
    );

  const worktreeExisted = existsSync(worktree);
  const previous = opts.continueConversation
    ? (store
        .runsOf(task.id)
        .filter((r) => !isReviewerRun(r))
        .at(-1) ?? null)
    : null;
  if (worktreeExisted) {
    const registered = (await listWorktrees(root)).find((w) => w.path === worktree);
    if (!registered)
      return fail(`${worktree} exists but is not a git worktree of this repository; move it away`);
    if (registered.branch !== `refs/heads/${branch}` && registered.branch !== branch) {
      return fail(`${worktree} is a worktree on ${registered.branch ?? "a detached HEAD"}, not ${branch}`);
    }
  } else if (opts.resume) {
    throw new UserError(
      `task ${task.id}: its worktree ${worktree} is gone, so there is nothing to resume; use "ballador retry ${task.id}"`,
    );
  }
  const branchExisted = await branchExists(root, branch);

  // Claim: the run row (unique while live) and the task's move to running, in one transaction.
  let run: RunRow;
  try {
    run = store.tx(() => {
      const r = store.createRun({
        id: runId,
        taskId: task.id,
        attempt,
        profile: profile.name,
        status: "provisioning",
        worktree,
        branch,
        base,
        session,
        runDir,
        supervisorPid: process.pid,
        createdWorktree: !worktreeExisted,
        createdBranch: !branchExisted,
        startedAt: new Date().toISOString(),
      });
      store.transition(task.id, "running", {
        cause: opts.resume ? "resumed" : "launched",
        actor: opts.actor ?? "launch",
        runId,
        expectFrom: [task.state],
        attempt,
        branch,
      });
      return r;
    });
  } catch (err) {
    // Another launcher claimed it first (one live run per task): not a failure of this task.
    return {
      id: task.id,
      reason: `not started here: ${(err as Error).message.includes("UNIQUE") ? "another launcher started it first" : (err as Error).message}`,
      log: null,
      skipped: true,
    };
  }

  const identity: RunIdentity = {
    taskId: task.id,
    runId,
    worktree,
    branch,
    attempt,
    runDir,
    promptFile: join(runDir, "prompt.md"),
  };
  const shimDir = ensureShimDir(project.paths.stateDir);
  const sandboxed = config.sandbox.mode !== "none";
  const home = sandboxed ? runPaths(runDir).home : (process.env.HOME ?? runPaths(runDir).home);
  const tmp = runPaths(runDir).tmp;
  const env = runEnvironment(process.env, shimDir, home, identity);
  let sandbox: RunSandbox | null = null;
  const step = async (label: string, command: string) => {
    if (!command.trim()) return;
    say(`  ${task.id}: ${label}: ${command}`);
    const copy = sandbox ? await beforeSandboxedStep(root, runDir, branch) : null;
    const wrapped = sandbox ? await sandbox.wrapShell(command, worktree) : undefined;
    const r = await runShell(command, {
      cwd: worktree,
      env,
      logFile: launchLog,
      label,
      timeoutMs: 30 * 60_000,
      ...(wrapped ? { wrapped } : {}),
      // If this launcher dies, reconcile ends the step's whole process group from this file.
      onSpawn: (pgid) => writeFileSync(join(runDir, STEP_PID_FILE), String(pgid)),
    });
    rmSync(join(runDir, STEP_PID_FILE), { force: true });
    if (copy) {
      const after = await afterSandboxedStep(root, runDir, copy, runId);
      if (after.violations.length > 0) {
        for (const v of after.violations)
          store.addNote(task.id, runId, "system", `sandbox violation (${label}): ${v}`);
        throw new LaunchStepError(`sandbox violation during ${label}: ${after.violations.join("; ")}`);
      }
    }
    if (r.code !== 0) {
      const tail = r.output.trim().split("\n").slice(-15).join("\n");
      throw new LaunchStepError(
        `${label} "${command}" failed (exit ${r.code ?? r.signal})${tail ? `:\n${tail}` : ""}`,
      );
    }
  };
  try {
    makeRunFolder(runDir);
    writeFileSync(
      launchLog,
      `launch ${runId} of ${task.id} (attempt ${attempt}) at ${new Date().toISOString()}\n`,
    );
    if (!worktreeExisted) {
      say(
        `  ${task.id}: worktree ${worktree} on ${branch}${branchExisted ? " (existing branch)" : ` from ${base}`}`,
      );
      mkdirSync(dirname(worktree), { recursive: true });
      await addWorktree({ repo: root, path: worktree, branch, base: baseCommit });
      for (const other of merge) {
        const r = await git(
          [
            "merge",
            "--no-edit",
            "--no-ff",
            "-m",
            `ballador: stack ${other} for ${task.id}`,
            "--end-of-options",
            other,
          ],
          {
            cwd: worktree,
            allowFail: true,
          },
        );
        if (r.code !== 0)
          throw new LaunchStepError(
            `stacking: merging ${other} into ${branch} conflicts:\n${r.stdout}${r.stderr}`,
          );
      }
    }
    const gitDir = (await git(["rev-parse", "--absolute-git-dir"], { cwd: worktree })).stdout.trim();
    // The worktree's git folder is the agent's to write: written without following a link.
    writeUntrusted(gitDir, RUN_POINTER, JSON.stringify({ runId, runDir, taskId: task.id }));
    copyUntracked(root, worktree, config.copy, launchLog);
    const policy = await policyForRun(project, { worktree, runDir, branch, profile });
    if (policy) {
      Object.assign(env, gitObjectEnv(policy));
      writeFileSync(join(runDir, "sandbox.json"), `${JSON.stringify(policy, null, 2)}\n`);
      // Bootstrap and hooks execute code from the branch: they run inside the run's sandbox too.
      if (config.bootstrap.some((c) => c.trim()) || config.hooks.before_launch.trim()) {
        sandbox = await RunSandbox.start(policy, { runDir, tmp });
      }
    } else {
      mkdirSync(tmp, { recursive: true });
    }
    for (const command of config.bootstrap) await step("bootstrap", command);
    await step("before_launch", config.hooks.before_launch);

    const spec = await buildRunSpec(project, {
      task,
      profile,
      program,
      identity,
      env,
      home,
      tmp,
      policy,
      base,
      sandboxed,
      previousFailure: opts.previousFailure ?? null,
      // A person's retry or resume in the same worktree with the same agent continues its
      // conversation, as an automatic retry does.
      resume: worktreeExisted && previous !== null && previous.profile === profile.name,
      previousHome: previous && sandboxed ? runPaths(previous.runDir).home : null,
    });
    writeRunSpec(spec);
    // Values of passed variables and env-sourced secrets reach the supervisor through tmux's
    // memory, never through a file.
    const carried: Record<string, string> = {
      BALLADOR_RUN_DIR: runDir,
      BALLADOR_STATE_DIR: project.paths.stateDir,
    };
    const names = carriedNames(project, profile);
    for (const name of names) {
      const v = process.env[name];
      if (v !== undefined) carried[name] = v;
    }
    const tmux = tmuxFor(project);
    // A session of that name with no live run is an orphan from a crash: never run two.
    if (await tmux.hasSession(session)) await tmux.killSession(session);
    say(`  ${task.id}: session ${session} (agent ${profile.name}${policy ? ", sandboxed" : ", NO SANDBOX"})`);
    await tmux.newSession({
      name: session,
      cwd: worktree,
      command: [process.execPath, SUPERVISOR_ENTRY, runDir],
      env: carried,
      logFile: join(runDir, "session.log"),
    });
    store.markRunStarted(runId);
    return { id: task.id, runId, profile: profile.name, branch, worktree, session, attempt };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    try {
      writeFileSync(launchLog, `\nlaunch failed: ${message}\n`, { flag: "a" });
    } catch {
      // the run folder itself may be what failed
    }
    await rollbackProvisioning(
      project,
      store.run(runId) ?? run,
      `launch: ${message.split("\n")[0]}`,
      message,
    );
    if (config.hooks.on_fail.trim()) {
      const wrapped = sandbox
        ? await sandbox.wrapShell(config.hooks.on_fail, root).catch(() => undefined)
        : undefined;
      await runShell(config.hooks.on_fail, {
        cwd: root,
        env,
        logFile: launchLog,
        label: "on_fail",
        ...(wrapped ? { wrapped } : {}),
      });
    }
    return { id: task.id, reason: message, log: launchLog };
  }
}

/**
 * The verify command for a task: the part's override, the config's, or ./verify.sh when the
 * base has one. Decided by the base, never the branch: deleting verify.sh on a branch must not
 * switch verification off for its next attempt.
 */
export async function verifyCommandFor(
  project: Project,
  task: Pick<TaskRow, "verify">,
): Promise<string | null> {
  if (task.verify) return task.verify;
  if (project.config.verify) return project.config.verify;
  const r = await git(["cat-file", "-e", `${project.config.base}:verify.sh`], {
    cwd: project.paths.root,
    allowFail: true,
  });
  return r.code === 0 ? "./verify.sh" : null;
}

/**
 * `copy:` files, from the main checkout into the worktree. The source must be a regular file
 * with no link on its path (a link committed on the base could name ~/.ssh/id_rsa); the
 * destination is the agent's tree (on a retry it wrote it): written without following a link.
 */
function copyUntracked(root: string, worktree: string, files: readonly string[], log: string): void {
  for (const file of files) {
    let rel: string;
    try {
      rel = safeRelative(relative(root, resolve(root, file)));
    } catch {
      throw new LaunchStepError(
        `copy: "${file}" is outside the repository; only files inside it can be copied`,
      );
    }
    let data: Buffer | null;
    try {
      data = readUntrusted(root, rel, 64 * 1024 * 1024);
    } catch (err) {
      if (err instanceof UntrustedPathError)
        throw new LaunchStepError(
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
        throw new LaunchStepError(`copy: "${file}" into the worktree: ${err.message}`);
      throw err;
    }
    writeFileSync(log, `copy: ${file}\n`, { flag: "a" });
  }
}

/** Host variable names a run may need: its profile's and its fallbacks' (values travel via tmux). */
function carriedNames(project: Project, profile: ResolvedProfile): string[] {
  const names = new Set<string>();
  const seen = new Set<string>();
  let current: ResolvedProfile | null = profile;
  while (current && !seen.has(current.name)) {
    seen.add(current.name);
    for (const n of current.env) names.add(n);
    for (const src of Object.values(current.secrets)) if ("env" in src) names.add(src.env);
    current = current.fallback ? resolveProfile(project.config, current.fallback) : null;
  }
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
  /** A reviewer's prompt instead of the implementer's. */
  promptOverride?: string;
  role?: "implementer" | "reviewer";
}

/** The prompt and the run file of one attempt; used by launch and by the supervisor's retries. */
export async function buildRunSpec(project: Project, input: RunSpecInput): Promise<RunSpec> {
  const { task, profile, identity, home, tmp, policy } = input;
  const config = project.config;
  const worktree = identity.worktree;
  // The spec as it stands on the base, read through git: never a file of the agent's tree,
  // which could be a link to one the agent may not read.
  const spec = task.spec ? await specOnBase(project, task.spec) : null;
  const specPath = spec && "text" in spec ? task.spec : null;
  const verify = await verifyCommandFor(project, task);
  const prompt =
    input.promptOverride ??
    assemblePrompt({
      task,
      specPath,
      specText: spec && "text" in spec ? spec.text : null,
      verify,
      branch: identity.branch,
      attempt: identity.attempt,
      previousFailure: input.previousFailure,
    });
  mkdirSync(identity.runDir, { recursive: true });
  writeFileSync(identity.promptFile, prompt, { flag: "w" });
  const env = { ...input.env };
  // Only when sandboxed is the run's HOME its own; unsandboxed agents use the person's HOME as is.
  if (input.sandboxed) {
    const prepared = await prepareAgentHome(profile, {
      home,
      realHome: process.env.HOME ?? home,
      worktree,
      sandboxed: input.sandboxed,
      env: Object.fromEntries(profile.env.map((n) => [n, process.env[n]])),
      previousHome: input.resume ? (input.previousHome ?? null) : null,
    });
    Object.assign(env, prepared.env);
  }
  const argv = expandCommand(profile.command, {
    prompt,
    promptFile: identity.promptFile,
    task: task.id,
    worktree,
  });
  argv[0] = input.program;
  // The preset knows where its resume arguments go (after the program, or after a subcommand).
  const preset = input.resume ? PRESETS[profile.preset ?? ""] : undefined;
  const command = (preset && withResume(argv, preset)) || argv;
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
    maxAttempts: config.max_attempts,
    hooks: {
      after_run: config.hooks.after_run,
      on_review: config.hooks.on_review,
      on_fail: config.hooks.on_fail,
    },
    stack: config.stack,
    reviewer: config.reviewer,
    role: input.role ?? "implementer",
  };
}

/** A part's spec as committed on the project's base (a regular file), or why it is not there. */
export async function specOnBase(
  project: Project,
  spec: string,
): Promise<{ text: string } | { missing: string }> {
  return blobAt(project.paths.root, project.config.base, spec, 256 * 1024);
}
