/**
 * The launcher's decisions, pure: which states a launch may start, the scheduler's profile
 * slots, what the base lacks of the tasks' specs and parts, and the checks of a claim (its
 * attempt number, the worktree it finds, why another launcher won). The launcher (run/launch*)
 * gathers the facts and acts on the answers.
 */
import type { ProfileSlots } from "./schedule.js";

/** The states a launch starts from: a resume continues a stopped, blocked or failed task. */
export function launchableStates(resume: boolean): string[] {
  return resume ? ["stopped", "blocked", "failed"] : ["ready"];
}

/** Why a named task is not started; `waitsOn`: the unmerged dependencies of a queued task. */
export function notLaunchableMessage(
  id: string,
  state: string,
  launchable: readonly string[],
  waitsOn: readonly string[],
): string {
  const waits = state === "queued" ? `; it waits on ${waitsOn.join(", ")}` : "";
  return `task ${id} is ${state}, not ${launchable.join(" or ")}${waits}`;
}

/** Each configured profile's slots for the scheduler: its limits and how many runs it has live. */
export function profileSlots(
  profiles: Readonly<Record<string, { enabled?: boolean; max_sessions?: number } | undefined>>,
  liveProfiles: readonly string[],
): ProfileSlots[] {
  return Object.keys(profiles).map((name) => {
    const p = profiles[name];
    return {
      name,
      enabled: p?.enabled ?? true,
      maxSessions: p?.max_sessions ?? null,
      running: liveProfiles.filter((r) => r === name).length,
    };
  });
}

export interface BaseFiles {
  id: string;
  spec: string | null;
  partPath: string | null;
}

/** The files of these tasks the base must hold, each with its size limit. */
export function baseFileLimits(
  tasks: readonly BaseFiles[],
  limits: { part: number; spec: number },
): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tasks) {
    if (t.partPath) out.set(t.partPath, limits.part);
    if (t.spec) out.set(t.spec, limits.spec);
  }
  return out;
}

/**
 * What the base's problems with these files mean: a spec it lacks refuses the launch (one line
 * per problem, with every task it concerns); a part it lacks is only a warning, since the agent
 * gets the part's text in its prompt.
 */
export function baseFileFindings(
  tasks: readonly BaseFiles[],
  problems: ReadonlyMap<string, string | null>,
  base: string,
): { missingSpecs: string[]; warnings: string[] } {
  const missing = new Map<string, string[]>();
  const warnings: string[] = [];
  for (const task of tasks) {
    const specProblem = task.spec ? problems.get(task.spec) : null;
    if (specProblem) missing.set(specProblem, [...(missing.get(specProblem) ?? []), task.id]);
    if (task.partPath && problems.get(task.partPath))
      warnings.push(
        `${task.partPath} (part ${task.id}) is not committed on ${base}; the agent gets its text in the prompt, but not the file (commit .ballador/)`,
      );
  }
  return {
    missingSpecs: [...missing].map(([why, ids]) => `${why} (spec of ${ids.join(", ")})`),
    warnings,
  };
}

/** The attempt a launch starts: a resume continues the last one (at least the first). */
export function launchAttempt(resume: boolean, lastAttempt: number): number {
  return resume ? Math.max(1, lastAttempt) : lastAttempt + 1;
}

/**
 * Why an existing worktree path cannot hold this task's run, or null: it must be a worktree of
 * this repository (`registered`), on the task's branch.
 */
export function existingWorktreeProblem(
  worktree: string,
  branch: string,
  registered: { branch: string | null } | undefined,
): string | null {
  if (!registered) return `${worktree} exists but is not a git worktree of this repository; move it away`;
  if (registered.branch !== `refs/heads/${branch}` && registered.branch !== branch)
    return `${worktree} is a worktree on ${registered.branch ?? "a detached HEAD"}, not ${branch}`;
  return null;
}

/** A claim the store refused: another launcher's live run of the task (UNIQUE), or what it said. */
export function claimRefusedReason(message: string): string {
  return `not started here: ${message.includes("UNIQUE") ? "another launcher started it first" : message}`;
}

/**
 * A person's retry or resume in the same worktree with the same agent continues its
 * conversation, as an automatic retry does.
 */
export function continuesConversation(
  worktreeExisted: boolean,
  previousProfile: string | null,
  profile: string,
): boolean {
  return worktreeExisted && previousProfile !== null && previousProfile === profile;
}
