/**
 * Where each run of a launch lives (spec 0013): `launch --on NAME|any|local` or the part's
 * `runner:`. A named runner that is not in the config, or not usable, refuses the launch with
 * the reason; `any` spreads over the runners by free slots (max_sessions less their live runs);
 * nothing ever falls back to this machine by itself.
 */
import { resolveProfile } from "../../adapters/agents/profiles.js";
import type { TaskRow } from "../../adapters/store/index.js";
import type { Deferred } from "../../core/schedule.js";
import type { SecretSpec } from "../../core/secrets.js";
import { isReviewerRun, type Project, UserError } from "../../project/index.js";
import { remoteSecretsProblem } from "./masking-rules.js";
import { type RunnerEntry, remoteOf, runnerNamed, runnersOf } from "./ssh.js";

/** Why a runner may not take runs now (its last check failed, ...), or null when it may. */
export type RunnerProblem = (project: Project, runner: RunnerEntry, profile?: string) => string | null;

/**
 * Where a task's run goes: the launch's --on, else the part's runner, else (a retry, a resume,
 * request-changes) the runner of its last run, else local. A new attempt follows its work to the
 * runner it was on; going elsewhere is the person's choice (`launch TASK --on NAME`), never ours.
 */
export function wantedPlace(project: Project, task: TaskRow, on: string | undefined): string {
  if (on ?? task.runner) return (on ?? task.runner) as string;
  if (task.attempt === 0) return "local";
  const last = project
    .store()
    .runsOf(task.id)
    .filter((r) => !isReviewerRun(r))
    .at(-1);
  return last?.runner ?? "local";
}

/**
 * Refuses, before anything is written, a new attempt whose runner cannot take it (retry and
 * request-changes record the person's words and move the task first: a refusal must come first).
 */
export function refuseUnplaceable(
  project: Project,
  task: TaskRow,
  profile: string,
  problem: RunnerProblem,
): void {
  const want = wantedPlace(project, task, undefined);
  if (want === "local" || want === "any") return;
  refuseSecrets(project, task.id, profile, namedRunner(project, want, problem, profile));
}

function refuse(message: string): never {
  throw new UserError(`refusing to launch: ${message}`, 4, [], "runner_refused");
}

/** A run whose secrets cannot go to this runner (a passed value, secrets_at: runner) stays home, said. */
function refuseSecrets(project: Project, taskId: string, profile: string, runner: RunnerEntry): void {
  let specs: Record<string, SecretSpec>;
  try {
    specs = resolveProfile(project.config, profile).secrets;
  } catch {
    return; // an unknown profile is the claim's to report, on the task itself
  }
  const why = remoteSecretsProblem(project.config, runner, profile, specs);
  if (why !== null) refuse(`${taskId}: ${why}`);
}

/** The runner named, checked; refuses the whole launch when it cannot be used. */
function namedRunner(project: Project, name: string, problem: RunnerProblem, profile: string): RunnerEntry {
  const runner = runnerNamed(project.config, name);
  if (!runner) {
    const known = runnersOf(project.config).map((r) => r.name);
    refuse(
      `no runner "${name}" in ${project.paths.configFile} (runners: ${known.length ? known.join(", ") : "none"}); add it with "ballador runner add ${name} --ssh user@host"`,
    );
  }
  if (!remoteOf(project.config))
    refuse(
      `runner ${name} needs runners_remote: in ${project.paths.configFile} (a bare repository both sides reach over SSH)`,
    );
  const why = problem(project, runner, profile);
  if (why !== null)
    refuse(`runner ${name} is not usable: ${why}; fix it and run "ballador runner check ${name}"`);
  return runner;
}

/**
 * Each task's runner (null: this machine), in the launch's order. A task whose runner has no
 * free slot waits (deferred), as a task waits for a local slot.
 */
export function placeRuns(
  project: Project,
  tasks: ReadonlyArray<{ task: TaskRow; profile: string }>,
  on: string | undefined,
  problem: RunnerProblem,
): { places: Map<string, string | null>; deferred: Deferred[] } {
  const live = project.store().liveRuns();
  const used = new Map<string, number>();
  for (const r of live) if (r.runner) used.set(r.runner, (used.get(r.runner) ?? 0) + 1);
  const free = (r: RunnerEntry) => r.max_sessions - (used.get(r.name) ?? 0);
  const places = new Map<string, string | null>();
  const deferred: Deferred[] = [];
  for (const { task, profile } of tasks) {
    const want = wantedPlace(project, task, on);
    if (want === "local") {
      places.set(task.id, null);
      continue;
    }
    const runner =
      want === "any"
        ? anyRunner(project, problem, free, profile)
        : namedRunner(project, want, problem, profile);
    if (runner) refuseSecrets(project, task.id, profile, runner);
    if (!runner || free(runner) <= 0) {
      deferred.push({
        id: task.id,
        why: runner
          ? `runner ${runner.name} is full (max_sessions ${runner.max_sessions})`
          : "every runner is full",
      });
      continue;
    }
    used.set(runner.name, (used.get(runner.name) ?? 0) + 1);
    places.set(task.id, runner.name);
  }
  return { places, deferred };
}

/** `any`: the usable runner with the most free slots (null when all are full). */
function anyRunner(
  project: Project,
  problem: RunnerProblem,
  free: (r: RunnerEntry) => number,
  profile: string,
): RunnerEntry | null {
  const all = runnersOf(project.config);
  if (all.length === 0)
    refuse(
      `--on any: no runners in ${project.paths.configFile}; add one with "ballador runner add NAME --ssh user@host"`,
    );
  const usable = all.filter((r) => problem(project, r, profile) === null);
  if (usable.length === 0)
    refuse(
      `--on any: no runner is usable (${all.map((r) => `${r.name}: ${problem(project, r, profile)}`).join("; ")})`,
    );
  if (!remoteOf(project.config)) refuse(`runners need runners_remote: in ${project.paths.configFile}`);
  const best = [...usable].sort((a, b) => free(b) - free(a))[0] as RunnerEntry;
  return free(best) > 0 ? best : null;
}
