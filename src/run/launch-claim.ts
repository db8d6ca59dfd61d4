/**
 * One task's start, in stages: check what needs no claim (profile, program, branch, base,
 * worktree), claim it in the store, open its run folder and session (which then provisions
 * itself, provision.ts), and roll back whatever was made when opening fails.
 */

import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findProgram, type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import { isValidBranchName } from "../adapters/git/index.js";
import { makeRunFolder, runFolder, writeProvisionSpec } from "../adapters/runfolder/index.js";
import type { RunRow, TaskRow } from "../adapters/store/index.js";
import { sessionNameFor } from "../adapters/tmux/index.js";
import { newRunId } from "../core/ids.js";
import {
  claimRefusedReason,
  continuesConversation,
  existingWorktreeProblem,
  launchAttempt,
} from "../core/launch-rules.js";
import {
  branchFor,
  CLI_ENTRY,
  isReviewerRun,
  type Project,
  type RunIdentity,
  runEnvironment,
  SUPERVISOR_ENTRY,
  SUPERVISOR_NODE_FLAGS,
  taskStage,
  UserError,
  worktreePathFor,
} from "../project/index.js";
import type { LaunchFacts } from "./launch-facts.js";
import { existingJjWorkspaceProblem, jjLaunchProblem, ownStoreGitRunProblem } from "./launch-jj.js";
import type { LaunchFailure, LaunchOptions, Started } from "./launch-types.js";
import { rollbackFailedLaunch } from "./recover/index.js";
import { prepareRelaySsh } from "./remote/ssh.js";
import { carriedNames } from "./run-spec.js";
import { upstreamCaBundle } from "./sandboxing.js";
import { projectVcs } from "./vcs-names.js";

/** A claim's outcome: started, failed, or skipped (another launcher has it: not this task's failure). */
export type ClaimOutcome = Started | (LaunchFailure & { skipped?: boolean });

/** Where and as what the run will live: named before anything is checked or made. */
interface RunPlace {
  attempt: number;
  runId: string;
  runDir: string;
  branch: string;
  worktree: string;
  session: string;
  /** The runner the run lives on (spec 0013); null: this machine. */
  runner: string | null;
}

/** What the checks before the claim found: everything the run folder and session are made from. */
interface Checked {
  profile: ResolvedProfile;
  program: string;
  base: string;
  baseCommit: string;
  merge: string[];
  worktreeExisted: boolean;
  branchExisted: boolean;
  /** The task's last run of an agent (not a reviewer), when its conversation may continue. */
  previous: RunRow | null;
}

/**
 * Claims one task and opens its session; the session provisions itself (provision.ts). Checks
 * that need no claim come first, so nothing is created when they fail.
 */
export async function claimAndOpen(
  project: Project,
  task: TaskRow,
  profileName: string,
  opts: LaunchOptions,
  shared: LaunchFacts,
  where: { launchId: string | null; runner: string | null },
): Promise<ClaimOutcome> {
  const { launchId } = where;
  const place = runPlace(project, task, opts, where.runner);
  const checked = await checkBeforeClaim(project, task, profileName, place, opts, shared);
  if (typeof checked === "string") return failLaunch(project, task, place, opts, checked);
  const claimedAt = new Date().toISOString();
  const run = claim(project, task, place, checked, opts, launchId, claimedAt);
  if ("skipped" in run) return run;
  try {
    return await openSession({ project, task, place, checked, opts, shared, claimedAt });
  } catch (err) {
    return rollBack(project, run, err);
  }
}

function runPlace(project: Project, task: TaskRow, opts: LaunchOptions, runner: string | null): RunPlace {
  const attempt = opts.attempt ?? launchAttempt(opts.resume === true, task.attempt);
  const runId = newRunId(task.id, attempt, new Date(), randomBytes(2).toString("hex"));
  return {
    attempt,
    runId,
    runDir: join(project.paths.runsDir, runId),
    branch: branchFor(project.config, task.id),
    worktree: worktreePathFor(project.config, project.paths.root, task.id),
    session: sessionNameFor(task.id),
    runner,
  };
}

/** A resume that cannot start leaves the task as it was; a fresh launch fails it truthfully. */
function failLaunch(
  project: Project,
  task: TaskRow,
  place: RunPlace,
  opts: LaunchOptions,
  reason: string,
): LaunchFailure {
  if (opts.resume) throw new UserError(`task ${task.id}: ${reason}`);
  project.store().transition(task.id, "failed", {
    cause: "launch failed",
    actor: opts.actor ?? "launch",
    reason: `launch: ${reason}`,
    expectFrom: [task.state],
    attempt: place.attempt,
  });
  return { id: task.id, reason, log: null };
}

/** The checks that need no claim: a string is why the task cannot start. */
async function checkBeforeClaim(
  project: Project,
  task: TaskRow,
  profileName: string,
  place: RunPlace,
  opts: LaunchOptions,
  shared: LaunchFacts,
): Promise<Checked | string> {
  const root = project.paths.root;
  let profile: ResolvedProfile;
  try {
    profile = resolveProfile(project.config, profileName);
  } catch (err) {
    return (err as Error).message;
  }
  // A runner finds the agent on its own PATH (its check says whether it has it).
  const program = place.runner
    ? (profile.command[0] as string)
    : findProgram(profile.command[0] as string, root);
  if (!program)
    return `agent binary "${profile.command[0]}" for profile ${profile.name} not found on PATH; install it or fix the profile (ballador doctor)`;
  if (!(await isValidBranchName(place.branch)))
    return `"${place.branch}" is not a valid branch name; check branch_prefix`;
  const { base, merge } = await chooseBase(project, task, opts.base);
  const baseCommit = await shared.commitOf(base);
  if (!baseCommit)
    return `base "${base}" does not resolve to a commit; set base in .ballador/config.yaml or pass --base`;
  // A remote run's worktree is the runner's: none is made here.
  const worktreeExisted = place.runner === null && existsSync(place.worktree);
  const previous = opts.continueConversation
    ? (project
        .store()
        .runsOf(task.id)
        .filter((r) => !isReviewerRun(r))
        .at(-1) ?? null)
    : null;
  const jjRun = place.runner === null && projectVcs(project) === "jj";
  const jjProblem = jjRun ? jjLaunchProblem(project) : ownStoreGitRunProblem(project, place.runner !== null);
  if (jjProblem) return jjProblem;
  const worktreeProblem = place.runner
    ? null
    : jjRun && worktreeExisted
      ? await existingJjWorkspaceProblem(project, task.id, place.worktree)
      : await checkWorktree(task, place, worktreeExisted, opts, shared);
  if (worktreeProblem) return worktreeProblem;
  const branchExisted = worktreeExisted || (await shared.branchExists(place.branch));
  return { profile, program, base, baseCommit, merge, worktreeExisted, branchExisted, previous };
}

/** An existing worktree must be this task's; a resume needs one. */
async function checkWorktree(
  task: TaskRow,
  place: RunPlace,
  worktreeExisted: boolean,
  opts: LaunchOptions,
  shared: LaunchFacts,
): Promise<string | null> {
  if (worktreeExisted) {
    const registered = (await shared.worktrees()).find((w) => w.path === place.worktree);
    return existingWorktreeProblem(place.worktree, place.branch, registered);
  }
  if (opts.resume) {
    throw new UserError(
      `task ${task.id}: its worktree ${place.worktree} is gone, so there is nothing to resume; use "ballador retry ${task.id}"`,
    );
  }
  return null;
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

/** The role of the stage a launch starts, or null (no pipeline, or one the config lacks). */
function stageRole(project: Project, task: TaskRow): string | null {
  try {
    return taskStage(project.config, task)?.role ?? null;
  } catch {
    return null;
  }
}

/**
 * The claim: the run row (unique while live) and the task's move to running, in one
 * transaction. A refusal means another launcher claimed it first (one live run per task).
 */
function claim(
  project: Project,
  task: TaskRow,
  place: RunPlace,
  checked: Checked,
  opts: LaunchOptions,
  launchId: string | null,
  claimedAt: string,
): RunRow | (LaunchFailure & { skipped: true }) {
  const store = project.store();
  const { runId, attempt, branch } = place;
  try {
    return store.tx(() => {
      const r = store.createRun({
        id: runId,
        taskId: task.id,
        attempt,
        profile: checked.profile.name,
        status: "provisioning",
        worktree: place.worktree,
        branch,
        base: checked.base,
        session: place.session,
        runDir: place.runDir,
        supervisorPid: process.pid,
        createdWorktree: !checked.worktreeExisted,
        createdBranch: !checked.branchExisted,
        startedAt: claimedAt,
        stage: stageRole(project, task),
        launchId,
        runner: place.runner,
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
    return { id: task.id, reason: claimRefusedReason((err as Error).message), log: null, skipped: true };
  }
}

/** A claimed run being opened: everything the run folder and the session are made from. */
interface Opening {
  project: Project;
  task: TaskRow;
  place: RunPlace;
  checked: Checked;
  opts: LaunchOptions;
  shared: LaunchFacts;
  claimedAt: string;
}

/** Makes the run folder, writes what provisioning reads, and opens the session that provisions. */
async function openSession(o: Opening): Promise<Started> {
  const { project, task, checked, opts, shared } = o;
  const { runId, runDir, session, worktree, branch, attempt } = o.place;
  const sandboxed = project.config.sandbox.mode !== "none";
  makeRunFolder(runDir);
  writeFileSync(
    runFolder(runDir).host.launchLog,
    `launch ${runId} of ${task.id} (attempt ${attempt}) at ${o.claimedAt}\n`,
  );
  writeSpec(o, sandboxed);
  const carried = carriedEnvironment(project, checked.profile, runDir);
  // The relay reaches the runner with the person's ssh: their agent and Ballador's ssh settings.
  if (o.place.runner)
    for (const name of [
      "SSH_AUTH_SOCK",
      "BALLADOR_SSH_CONFIG",
      "BALLADOR_SSH_SHARE",
      "GIT_SSH_COMMAND",
      "BALLADOR_RUNNER_BALLADOR",
    ]) {
      const v = process.env[name];
      if (v !== undefined) carried[name] = v;
    }
  // A session of that name with no live run is an orphan from a crash: never run two.
  if (shared.sessions.has(session)) await shared.tmux.killSession(session).catch(() => undefined);
  const runner = o.place.runner;
  if (runner) prepareRelaySsh(project, runDir, runner, Object.keys(checked.profile.secrets).length);
  opts.onProgress?.(
    runner
      ? `  ${task.id}: session ${session} relays it to runner ${runner} (agent ${checked.profile.name}${sandboxed ? ", sandboxed there" : ", NO SANDBOX"})`
      : `  ${task.id}: session ${session} (agent ${checked.profile.name}${sandboxed ? ", sandboxed" : ", NO SANDBOX"}) provisions itself`,
  );
  await shared.tmux.newSession({
    name: session,
    cwd: checked.worktreeExisted ? worktree : project.paths.root,
    // A remote run's session holds the relay (spec 0013): the supervisor runs on the runner.
    command: runner
      ? [process.execPath, CLI_ENTRY, "__runner-serve", "relay", runDir]
      : [shared.supervisorNode, ...SUPERVISOR_NODE_FLAGS, SUPERVISOR_ENTRY, runDir],
    env: carried,
    logFile: runFolder(runDir).host.sessionLog,
  });
  return { id: task.id, runId, profile: checked.profile.name, branch, worktree, session, attempt, runner };
}

/** The provision spec: what the session's supervisor reads to provision the run. */
function writeSpec(o: Opening, sandboxed: boolean): void {
  const { project, task, checked, opts } = o;
  const { runId, runDir, worktree, branch, attempt, session } = o.place;
  const identity: RunIdentity = {
    taskId: task.id,
    runId,
    worktree,
    branch,
    attempt,
    runDir,
    promptFile: runFolder(runDir).host.prompt,
  };
  const runHome = runFolder(runDir).agent.home;
  const home = sandboxed ? runHome : (process.env.HOME ?? runHome);
  const { profile, previous, worktreeExisted } = checked;
  writeProvisionSpec({
    runId,
    taskId: task.id,
    attempt,
    profile: profile.name,
    program: checked.program,
    worktree,
    branch,
    base: checked.base,
    baseCommit: checked.baseCommit,
    merge: checked.merge,
    worktreeExisted,
    branchExisted: checked.branchExisted,
    repoRoot: project.paths.root,
    stateDir: project.paths.stateDir,
    runDir,
    session,
    env: runEnvironment(process.env, o.shared.shimDir, home, identity),
    realHome: process.env.HOME ?? home,
    previousFailure: opts.previousFailure ?? null,
    // On a runner, its worktree and HOME are the runner's: it continues there when it can.
    resume: o.place.runner
      ? previous?.runner === o.place.runner && previous.profile === profile.name
      : continuesConversation(worktreeExisted, previous?.profile ?? null, profile.name),
    previousRunDir: previous?.runDir ?? null,
    actor: opts.actor ?? "launch",
    claimedAt: o.claimedAt,
  });
}

/**
 * Values of passed variables and env-sourced secrets reach the session through tmux's memory,
 * never through a file.
 */
function carriedEnvironment(
  project: Project,
  profile: ResolvedProfile,
  runDir: string,
): Record<string, string> {
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
    ? upstreamCaBundle(project.config.sandbox.upstream_ca ?? [], process.env.NODE_EXTRA_CA_CERTS)
    : null;
  if (bundle !== null) {
    const file = join(runDir, "upstream-ca.pem");
    writeFileSync(file, bundle, { mode: 0o644 });
    carried.NODE_EXTRA_CA_CERTS = file;
  }
  return carried;
}

/** Opening failed after the claim: the launch log says why, and what was made is undone. */
async function rollBack(project: Project, run: RunRow, err: unknown): Promise<LaunchFailure> {
  const message = err instanceof Error ? err.message : String(err);
  await rollbackFailedLaunch(project, run, message);
  return { id: run.taskId, reason: message, log: runFolder(run.runDir).host.launchLog };
}
