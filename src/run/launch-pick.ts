/**
 * The launch's first stages, before anything is claimed: which tasks are candidates, which of
 * them start now (the scheduler's plan), and the checks that refuse the whole launch (a base
 * that names nothing, a spent budget, specs the base lacks, model endpoints out of the
 * sandbox's reach) or only warn (parts the base lacks, overlapping scopes).
 */
import { type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import { committedProblems, resolveCommit } from "../adapters/git/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import {
  baseFileFindings,
  baseFileLimits,
  launchableStates,
  notLaunchableMessage,
  profileSlots,
} from "../core/launch-rules.js";
import { type Assignment, type Deferred, planLaunch } from "../core/schedule.js";
import {
  launchProfile,
  PART_MAX_BYTES,
  type Project,
  requireTask,
  SPEC_MAX_BYTES,
  UserError,
} from "../project/index.js";
import { scopeWarnings } from "../verify/index.js";
import type { LaunchOptions } from "./launch-types.js";
import { modelEndpointProblems } from "./model-endpoint.js";
import { wantedPlace } from "./remote/place.js";

/** A base that names nothing is the config's fault: said before anything is written (issue 29). */
export async function requireBase(project: Project, opts: LaunchOptions): Promise<void> {
  if (!opts.base && !(await resolveCommit(project.paths.root, project.config.base)))
    throw new UserError(
      `${project.paths.configFile}: base: "${project.config.base}" is not a branch or commit of this repository; set base: to the branch the agents' worktrees start from (git branch --list shows them), or pass --base`,
      1,
      [],
      "invalid_config",
    );
}

/**
 * The tasks a launch may start: the named ones (each in a launchable state, or refused), else
 * every ready one. Lean rows decide what starts; full rows are read only for those (fullRows).
 */
export function pickCandidates(project: Project, opts: LaunchOptions): TaskRow[] {
  const store = project.store();
  if (!opts.tasks || opts.tasks.length === 0) return store.tasks({ states: ["ready"], lean: true });
  const launchable = launchableStates(opts.resume === true);
  return opts.tasks.map((id) => {
    // Unknown ids get the same message as every other command.
    const t = requireTask(project, id);
    if (!launchable.includes(t.state)) {
      const waitsOn = t.state === "queued" ? t.needs.filter((d) => store.task(d)?.state !== "merged") : [];
      throw new UserError(notLaunchableMessage(id, t.state, launchable, waitsOn), 4, [], "wrong_state");
    }
    return t;
  });
}

/** Which candidates start now, within the free slots and each profile's limits. */
export function planStart(
  project: Project,
  candidates: readonly TaskRow[],
  opts: LaunchOptions,
): { start: Assignment[]; deferred: Deferred[] } {
  const config = project.config;
  const live = project.store().liveRuns();
  // max_parallel is this machine's: a run on a runner takes one of that runner's max_sessions.
  const local = live.filter((r) => r.runner === null).length;
  const limit = Math.min(config.max_parallel, opts.max ?? Number.POSITIVE_INFINITY);
  return planLaunch(
    candidates.map((t) => ({
      id: t.id,
      priority: t.priority,
      seq: t.seq,
      // A pipeline's stage names its own profile (issue 16).
      agent: launchProfile(config, t),
      remote: wantedPlace(project, t, opts.on) !== "local",
    })),
    {
      freeSlots: Math.max(0, limit - local),
      ...(opts.max !== undefined ? { maxStarts: opts.max } : {}),
      profiles: profileSlots(
        config.agents.profiles,
        live.map((r) => r.profile),
      ),
    },
  );
}

/** A downbeat whose budget is spent starts nothing more (launch --watch's later waves). */
export function refuseSpentLaunch(project: Project, opts: LaunchOptions, starting: number): void {
  const spent = opts.launchId ? project.store().launch(opts.launchId) : null;
  if (spent?.spentAt && starting > 0) {
    throw new UserError(
      `refusing to launch: this launch's budget is spent (${spent.spentReason ?? "over budget"}); raise budget.launch in .ballador/config.yaml, or start a new launch`,
      4,
      [],
      "budget_spent",
    );
  }
}

/** The full rows of the tasks that start; one removed meanwhile (a re-queue) leaves `start`. */
export function fullRows(project: Project, start: Assignment[]): Map<string, TaskRow> {
  const byId = new Map<string, TaskRow>();
  for (const a of [...start]) {
    const full = project.store().task(a.id);
    if (full) byId.set(a.id, full);
    else start.splice(start.indexOf(a), 1);
  }
  return byId;
}

/**
 * The checks that refuse the whole launch, each with the line that fixes it; what they only
 * warn about goes to `warnings`.
 */
export async function refuseUnstartable(
  project: Project,
  start: readonly Assignment[],
  tasks: readonly TaskRow[],
  warnings: string[],
): Promise<void> {
  const config = project.config;
  // The worktree is cut from the base: a spec not committed there never reaches the agent.
  // One git call for every spec and part of this launch, not three per file.
  const problems = await committedProblems(
    project.paths.root,
    config.base,
    baseFileLimits(tasks, { part: PART_MAX_BYTES, spec: SPEC_MAX_BYTES }),
  );
  const onBase = baseFileFindings(tasks, problems, config.base);
  warnings.push(...onBase.warnings);
  const endpoints = endpointProblems(project, start, warnings);
  if (endpoints.length > 0) {
    throw new UserError(
      "refusing to launch: an agent's model endpoint is out of the sandbox's reach:",
      4,
      endpoints,
      "endpoint_not_allowed",
    );
  }
  if (onBase.missingSpecs.length > 0) {
    throw new UserError(
      `refusing to launch: the agents' worktrees start from ${config.base}, which lacks their spec. Commit it first (git add ${config.specs_dir} .ballador && git commit):`,
      4,
      onBase.missingSpecs,
    );
  }
}

/**
 * A base URL (a local gateway, a fake, Ollama) the sandbox would refuse: the agent would retry
 * for minutes with nothing recorded. Refused, with the line that fixes it; a variable the
 * profile does not pass is only a warning.
 */
function endpointProblems(project: Project, start: readonly Assignment[], warnings: string[]): string[] {
  const endpoints: string[] = [];
  for (const name of new Set(start.map((a) => a.profile))) {
    let profile: ResolvedProfile;
    try {
      profile = resolveProfile(project.config, name);
    } catch {
      continue; // provision reports an unknown profile on the task itself
    }
    for (const e of modelEndpointProblems(project.config, profile, process.env)) {
      const line = `profile ${name}: ${e.problem}; fix: ${e.fix}`;
      if (e.kind === "not-passed") warnings.push(line);
      else if (!endpoints.includes(line)) endpoints.push(line);
    }
  }
  return endpoints;
}

/** Overlapping declared scopes with running or in-review tasks, or each other: warnings, once each. */
export function overlapWarnings(
  project: Project,
  start: readonly Assignment[],
  byId: ReadonlyMap<string, TaskRow>,
  warnings: string[],
): void {
  const busy = start.length > 0 ? project.store().tasks({ states: ["running", "verifying", "review"] }) : [];
  for (const a of start) {
    const task = byId.get(a.id) as TaskRow;
    const others = [...busy, ...start.filter((x) => x.id !== a.id).map((x) => byId.get(x.id) as TaskRow)];
    for (const w of scopeWarnings(task, others)) if (!warnings.includes(w.message)) warnings.push(w.message);
  }
}
