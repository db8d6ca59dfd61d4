/**
 * The downbeat: start ready tasks, each in its own worktree and tmux session, up to the limits.
 * The launcher claims every task in the store (one live run per task, enforced by SQLite) and
 * opens its session, all at once; each session then provisions itself (provision.ts). Every
 * step is recorded so a crash at any point can be rolled back by reconcile.
 */
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findProgram, type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import {
  branchExists,
  committedProblems,
  isValidBranchName,
  listWorktrees,
  resolveCommit,
} from "../adapters/git/index.js";
import { makeRunFolder, runPaths, writeProvisionSpec } from "../adapters/runfolder/index.js";
import type { RunRow, TaskRow } from "../adapters/store/index.js";
import { sessionNameFor, Tmux } from "../adapters/tmux/index.js";
import { newLaunchId, newRunId } from "../core/ids.js";
import { type Progress, silentProgress } from "../core/progress.js";
import { type Deferred, planLaunch } from "../core/schedule.js";
import type { Budget } from "../core/usage.js";
import {
  branchFor,
  ensureShimDir,
  isReviewerRun,
  launchProfile,
  PART_MAX_BYTES,
  type Project,
  type RunIdentity,
  requireTask,
  runEnvironment,
  SPEC_MAX_BYTES,
  SUPERVISOR_ENTRY,
  taskStage,
  UserError,
  worktreePathFor,
} from "../project/index.js";
import { scopeWarnings } from "../verify/index.js";
import { modelEndpointProblems } from "./model-endpoint.js";
import { reconcile, rollbackProvisioning } from "./recover/index.js";
import { carriedNames } from "./run-spec.js";
import { upstreamCaBundle } from "./sandboxing.js";

/** The role of the stage a launch starts, or null (no pipeline, or one the config lacks). */
function stageRole(project: Project, task: TaskRow): string | null {
  try {
    return taskStage(project.config, task)?.role ?? null;
  } catch {
    return null;
  }
}

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
  /** The wait for sessions to provision (with `wait`), as the step launch.wait. */
  progress?: Progress;
  /** Return only when every started task has provisioned (its agent started) or failed. */
  wait?: boolean;
  /** The caller has just reconciled (the watcher's beat): skip it here. */
  reconciled?: boolean;
  /** The downbeat these runs belong to (launch --watch: one for all its waves); default: a new one. */
  launchId?: string;
  /** This launch's budget, over the config's `budget.launch`. */
  launchBudget?: Budget;
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
  /** The downbeat the started runs belong to, and what it may spend (null: no launch budget). */
  launch: { id: string; budget: Budget | null } | null;
}

/** What a launch may spend: the option's, else the config's `budget.launch`; null when neither sets any. */
export function launchBudgetOf(project: Project, override?: Budget): Budget | null {
  const b = override ?? project.config.budget.launch ?? {};
  return b.tokens === undefined && b.usd === undefined ? null : b;
}

export function tmuxFor(project: Project): Tmux {
  return new Tmux({ socket: project.config.tmux_socket });
}

export async function launch(project: Project, opts: LaunchOptions = {}): Promise<LaunchResult> {
  // A base that names nothing is the config's fault: said before anything is written (issue 29).
  if (!opts.base && !(await resolveCommit(project.paths.root, project.config.base)))
    throw new UserError(
      `${project.paths.configFile}: base: "${project.config.base}" is not a branch or commit of this repository; set base: to the branch the agents' worktrees start from (git branch --list shows them), or pass --base`,
      1,
      [],
      "invalid_config",
    );
  const store = project.store();
  if (!opts.reconciled) await reconcile(project, { repair: true });
  const config = project.config;
  const launchable = opts.resume ? ["stopped", "blocked", "failed"] : ["ready"];
  // Lean rows decide what starts; full rows (scope, body) are read only for those.
  let candidates: TaskRow[];
  if (opts.tasks && opts.tasks.length > 0) {
    candidates = [];
    for (const id of opts.tasks) {
      // Unknown ids get the same message as every other command.
      const t = requireTask(project, id);
      if (!launchable.includes(t.state)) {
        const waits =
          t.state === "queued"
            ? `; it waits on ${t.needs.filter((d) => store.task(d)?.state !== "merged").join(", ")}`
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
    candidates = store.tasks({ states: ["ready"], lean: true });
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
      // A pipeline's stage names its own profile (issue 16).
      agent: launchProfile(config, t),
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
    launch: null,
  };
  // A downbeat whose budget is spent starts nothing more (launch --watch's later waves).
  const spent = opts.launchId ? store.launch(opts.launchId) : null;
  if (spent?.spentAt && start.length > 0) {
    throw new UserError(
      `refusing to launch: this launch's budget is spent (${spent.spentReason ?? "over budget"}); raise budget.launch in .ballador/config.yaml, or start a new launch`,
      4,
      [],
      "budget_spent",
    );
  }
  const byId = new Map<string, TaskRow>();
  for (const a of [...start]) {
    const full = store.task(a.id);
    if (full) byId.set(a.id, full);
    // Removed between the two reads (a re-queue): nothing to start.
    else start.splice(start.indexOf(a), 1);
  }
  // The worktree is cut from the base: a spec not committed there never reaches the agent.
  // One git call for every spec and part of this launch, not three per file.
  const missingSpecs = new Map<string, string[]>();
  const startTasks = start.map((a) => byId.get(a.id) as TaskRow);
  const limits = new Map<string, number>();
  for (const t of startTasks) {
    if (t.partPath) limits.set(t.partPath, PART_MAX_BYTES);
    if (t.spec) limits.set(t.spec, SPEC_MAX_BYTES);
  }
  const problems = await committedProblems(project.paths.root, config.base, limits);
  for (const task of startTasks) {
    const specProblem = task.spec ? problems.get(task.spec) : null;
    if (specProblem) missingSpecs.set(specProblem, [...(missingSpecs.get(specProblem) ?? []), task.id]);
    if (task.partPath && problems.get(task.partPath))
      result.warnings.push(
        `${task.partPath} (part ${task.id}) is not committed on ${config.base}; the agent gets its text in the prompt, but not the file (commit .ballador/)`,
      );
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
  const busy = start.length > 0 ? store.tasks({ states: ["running", "verifying", "review"] }) : [];
  for (const a of start) {
    const task = byId.get(a.id) as TaskRow;
    const others = [...busy, ...start.filter((x) => x.id !== a.id).map((x) => byId.get(x.id) as TaskRow)];
    for (const w of scopeWarnings(task, others))
      if (!result.warnings.includes(w.message)) result.warnings.push(w.message);
  }
  if (opts.dryRun) return result;
  if (start.length > 0) {
    const budget = launchBudgetOf(project, opts.launchBudget);
    const row = store.createLaunch({
      id: opts.launchId ?? newLaunchId(new Date(), randomBytes(3).toString("hex")),
      startedAt: new Date().toISOString(),
      actor: opts.actor ?? "launch",
      budget,
    });
    result.launch = { id: row.id, budget: row.budget };
  }
  const launchId = result.launch?.id ?? null;
  // Every claim at once: each session then provisions itself, in parallel with the others.
  const facts = await launchFacts(project);
  const outcomes = await Promise.all(
    start.map((a) => claimAndOpen(project, byId.get(a.id) as TaskRow, a.profile, opts, facts, launchId)),
  );
  for (const outcome of outcomes) {
    if ("runId" in outcome) result.started.push(outcome);
    else if (outcome.skipped) result.deferred.push({ id: outcome.id, why: outcome.reason });
    else result.failed.push(outcome);
  }
  if (opts.wait) await awaitProvisioned(project, result, opts);
  return result;
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

/**
 * Claims one task and opens its session; the session provisions itself (provision.ts). Checks
 * that need no claim come first, so nothing is created when they fail.
 */
async function claimAndOpen(
  project: Project,
  task: TaskRow,
  profileName: string,
  opts: LaunchOptions,
  shared: LaunchFacts,
  launchId: string | null,
): Promise<Started | { id: string; reason: string; log: string | null; skipped?: boolean }> {
  const store = project.store();
  const config = project.config;
  const root = project.paths.root;
  const attempt = opts.resume ? Math.max(1, task.attempt) : task.attempt + 1;
  const runId = newRunId(task.id, attempt, new Date(), randomBytes(2).toString("hex"));
  const runDir = join(project.paths.runsDir, runId);
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
  const baseCommit = await shared.commitOf(base);
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
    const registered = (await shared.worktrees()).find((w) => w.path === worktree);
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
  const branchExisted = worktreeExisted || (await branchExists(root, branch));

  // Claim: the run row (unique while live) and the task's move to running, in one transaction.
  const claimedAt = new Date().toISOString();
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
        startedAt: claimedAt,
        stage: stageRole(project, task),
        launchId,
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

  const sandboxed = config.sandbox.mode !== "none";
  const launchLog = runPaths(runDir).launchLog;
  try {
    makeRunFolder(runDir);
    writeFileSync(launchLog, `launch ${runId} of ${task.id} (attempt ${attempt}) at ${claimedAt}\n`);
    const identity: RunIdentity = {
      taskId: task.id,
      runId,
      worktree,
      branch,
      attempt,
      runDir,
      promptFile: join(runDir, "prompt.md"),
    };
    const home = sandboxed ? runPaths(runDir).home : (process.env.HOME ?? runPaths(runDir).home);
    writeProvisionSpec({
      runId,
      taskId: task.id,
      attempt,
      profile: profile.name,
      program,
      worktree,
      branch,
      base,
      baseCommit,
      merge,
      worktreeExisted,
      branchExisted,
      repoRoot: root,
      stateDir: project.paths.stateDir,
      runDir,
      session,
      env: runEnvironment(process.env, shared.shimDir, home, identity),
      realHome: process.env.HOME ?? home,
      previousFailure: opts.previousFailure ?? null,
      // A person's retry or resume in the same worktree with the same agent continues its
      // conversation, as an automatic retry does.
      resume: worktreeExisted && previous !== null && previous.profile === profile.name,
      previousRunDir: previous?.runDir ?? null,
      actor: opts.actor ?? "launch",
      claimedAt,
    });
    // Values of passed variables and env-sourced secrets reach the session through tmux's
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
    // Masked secrets' hosts may be signed by a CA of the config's: the supervisor's proxy trusts
    // it from its start (see upstreamCaBundle). A file of public certificates, host-only.
    const bundle = names.includes("NODE_EXTRA_CA_CERTS")
      ? upstreamCaBundle(config.sandbox.upstream_ca ?? [], process.env.NODE_EXTRA_CA_CERTS)
      : null;
    if (bundle !== null) {
      const file = join(runDir, "upstream-ca.pem");
      writeFileSync(file, bundle, { mode: 0o644 });
      carried.NODE_EXTRA_CA_CERTS = file;
    }
    // A session of that name with no live run is an orphan from a crash: never run two.
    if (shared.sessions.has(session)) await shared.tmux.killSession(session).catch(() => undefined);
    opts.onProgress?.(
      `  ${task.id}: session ${session} (agent ${profile.name}${sandboxed ? ", sandboxed" : ", NO SANDBOX"}) provisions itself`,
    );
    await shared.tmux.newSession({
      name: session,
      cwd: worktreeExisted ? worktree : root,
      command: [process.execPath, SUPERVISOR_ENTRY, runDir],
      env: carried,
      logFile: join(runDir, "session.log"),
    });
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
    return { id: task.id, reason: message, log: launchLog };
  }
}

/** Facts every claim of one launch needs, looked up once and shared. */
interface LaunchFacts {
  tmux: Tmux;
  sessions: Set<string>;
  shimDir: string;
  commitOf(rev: string): Promise<string | null>;
  worktrees(): ReturnType<typeof listWorktrees>;
}

async function launchFacts(project: Project): Promise<LaunchFacts> {
  const tmux = tmuxFor(project);
  const commits = new Map<string, Promise<string | null>>();
  let worktrees: ReturnType<typeof listWorktrees> | null = null;
  const sessions = new Set(
    await tmux
      .listSessions()
      .then((l) => l.map((s) => s.name))
      .catch(() => [] as string[]),
  );
  return {
    tmux,
    sessions,
    shimDir: ensureShimDir(project.paths.stateDir),
    commitOf(rev) {
      let c = commits.get(rev);
      if (!c) {
        c = resolveCommit(project.paths.root, rev);
        commits.set(rev, c);
      }
      return c;
    },
    worktrees() {
      worktrees ??= listWorktrees(project.paths.root);
      return worktrees;
    },
  };
}

/**
 * Waits until each started run has provisioned (its agent started) or failed, printing each
 * step as the sessions report it. The sessions work in parallel; this only watches the store.
 */
async function awaitProvisioned(project: Project, result: LaunchResult, opts: LaunchOptions): Promise<void> {
  const pending = new Map(result.started.map((s) => [s.runId, s]));
  const phases = new Map<string, string | null>();
  const total = pending.size;
  const waiting = () => `waiting for ${pending.size} of ${total} agent session(s) to start`;
  const step = (opts.progress ?? silentProgress)("launch.wait", waiting());
  try {
    await watchProvisioning(project, result, opts, pending, phases, () => step.update(waiting()));
  } finally {
    step.end();
  }
}

async function watchProvisioning(
  project: Project,
  result: LaunchResult,
  opts: LaunchOptions,
  pending: Map<string, Started>,
  phases: Map<string, string | null>,
  /** Called each beat: the step's message follows how many are still pending. */
  changed: () => void,
): Promise<void> {
  const store = project.store();
  let lastCheck = Date.now();
  while (pending.size > 0) {
    changed();
    for (const [runId, s] of pending) {
      const run = store.run(runId);
      if (!run) {
        pending.delete(runId);
        continue;
      }
      if (run.phase !== (phases.get(runId) ?? null) && run.phase) {
        opts.onProgress?.(`  ${s.id}: ${run.phase}`);
      }
      phases.set(runId, run.phase);
      if (run.status === "provisioning") continue;
      pending.delete(runId);
      if (run.status === "ended" && run.outcome === "launch-failed") {
        result.started = result.started.filter((x) => x.runId !== runId);
        result.failed.push({
          id: s.id,
          reason: run.detail ?? "launch failed",
          log: runPaths(run.runDir).launchLog,
        });
      }
    }
    if (pending.size === 0) break;
    if (Date.now() - lastCheck > 2000) {
      // A session that died while provisioning (kill -9, a crash) is rolled back by reconcile.
      lastCheck = Date.now();
      const alive = new Set(
        (
          await tmuxFor(project)
            .listSessions()
            .catch(() => [])
        ).map((x) => x.name),
      );
      if ([...pending.values()].some((s) => !alive.has(s.session)))
        await reconcile(project, { repair: true });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
