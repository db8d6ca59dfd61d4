/** What a person does to a task after launch: stop, resume, retry, abandon, logs, attach, cleanup. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveCommit } from "../adapters/git/index.js";
import { killGroup } from "../adapters/process/shell.js";
import { runFolder } from "../adapters/runfolder/index.js";
import type { RunRow, TaskRow } from "../adapters/store/index.js";
import { sessionNameFor } from "../adapters/tmux/index.js";
import { tailMarkdown, trimOutput } from "../core/check-output.js";
import type { TaskState } from "../core/states.js";
import {
  branchFor,
  isReviewerRun,
  launchProfile,
  type Project,
  requireTask,
  retryStage,
  taskPipeline,
  UserError,
  worktreePathFor,
} from "../project/index.js";
import { type LaunchResult, launch, tmuxFor } from "./launch.js";
import { reconcile } from "./recover/index.js";
import { remoteAttachArgs, stopRemote } from "./remote/attach.js";
import { refuseUnplaceable, wantedPlace } from "./remote/place.js";
import { runnerProblem } from "./remote/usable.js";
import { takeInRunWork } from "./run-steps.js";

async function endLiveRun(project: Project, task: TaskRow, outcome: string): Promise<RunRow | null> {
  const store = project.store();
  const run = store.liveRuns().find((r) => r.taskId === task.id) ?? null;
  if (!run) return null;
  // The state changed first: the supervisor sees a stopped task and records nothing over it.
  killGroup(run.agentPid ?? undefined, "SIGTERM");
  await tmuxFor(project).killSession(run.session);
  // A remote run's agent is on its runner (spec 0013): stopped there by the runner's Ballador.
  const remote = await stopRemote(project, run);
  if (remote) store.addNote(task.id, run.id, "system", remote);
  // The work done so far is kept (objects and commits, checked as after any step).
  for (const v of await takeInRunWork(project.paths.root, run.runDir, run.id)) {
    store.addNote(task.id, run.id, "system", `sandbox: ${v}`);
  }
  store.endRun(run.id, { outcome, detail: `${outcome} by a person` });
  return run;
}

export async function stop(
  project: Project,
  id: string,
  actor = "cli",
): Promise<{ id: string; worktree: string | null }> {
  await reconcile(project, { repair: true });
  const task = requireTask(project, id);
  if (task.state !== "running" && task.state !== "verifying") {
    throw new UserError(
      `task ${id} is ${task.state}; only a running task can be stopped`,
      4,
      [],
      "wrong_state",
    );
  }
  project.store().transition(id, "stopped", { cause: "stopped by a person", actor });
  const run = await endLiveRun(project, task, "stopped");
  return { id, worktree: run?.worktree ?? null };
}

export async function resume(project: Project, id: string, actor = "cli"): Promise<LaunchResult> {
  const task = requireTask(project, id);
  if (!["stopped", "blocked", "failed"].includes(task.state)) {
    throw new UserError(
      `task ${id} is ${task.state}; resume continues a stopped, blocked or failed task`,
      4,
      [],
      "wrong_state",
    );
  }
  const worktree = worktreePathFor(project.config, project.paths.root, id);
  // A run on a runner has no worktree here: it resumes there, from the branch that came home.
  if (wantedPlace(project, task, undefined) === "local" && !existsSync(worktree)) {
    throw new UserError(
      `task ${id}: its worktree ${worktree} is gone, so there is nothing to resume; use "ballador retry ${id}"`,
    );
  }
  const last = project
    .store()
    .runsOf(id)
    .filter((r) => !isReviewerRun(r))
    .at(-1);
  const why = task.reason ?? last?.detail ?? last?.outcome ?? null;
  return launch(project, {
    tasks: [id],
    resume: true,
    actor,
    wait: true,
    continueConversation: true,
    previousFailure: `Your previous session was ${task.state === "stopped" ? "stopped by a person" : `ended (${task.state})`}${why ? `: ${why}` : ""}. Pick up where you left off.`,
  });
}

export interface RetryResult {
  id: string;
  /** The person's requested changes recorded for the next attempt, if any. */
  message: string | null;
  launched: LaunchResult | null;
}

/** The states a new attempt (retry, request-changes, feedback) starts from. */
export const RETRYABLE: readonly string[] = ["failed", "blocked", "stopped", "review"];

export async function retry(
  project: Project,
  id: string,
  opts: {
    launch: boolean;
    actor?: string;
    message?: string | null;
    verb?: string;
    /** Review comments of the pull request, quoted (formatPrFeedback), sent back with or without words. */
    prReview?: string | null;
    /** update: Ballador's instructions to bring the base in (conflicts, or a failed verification). */
    update?: string | null;
    /** The state change's cause, when the verb's own words say it better. */
    cause?: string;
    /** Records what goes with the words (which comments were sent), with them, before the state changes. */
    onRecord?: () => void;
  },
): Promise<RetryResult> {
  await reconcile(project, { repair: true });
  const task = requireTask(project, id);
  const verb = opts.verb ?? "retry";
  if (!RETRYABLE.includes(task.state)) {
    throw new UserError(
      verb === "retry"
        ? `task ${id} is ${task.state}; retry starts a new attempt of a failed, blocked, stopped or reviewed task`
        : `task ${id} is ${task.state}; ${verb} sends back a task in review (or a failed, blocked or stopped one)`,
      4,
      [],
      "wrong_state",
    );
  }
  const store = project.store();
  // A new attempt follows its work to its runner: one that cannot take it refuses before anything is written.
  if (opts.launch) refuseUnplaceable(project, task, launchProfile(project.config, task), runnerProblem);
  const message = opts.message ?? null;
  const prReview = opts.prReview ?? null;
  const update = opts.update ?? null;
  // In a pipeline the new attempt is of the stage the person sends it back to (issue 16).
  const back = retryStage(project.config, store, task);
  if (back) store.setStage(id, back.index, back.start);
  // In review the work passed: what the person asks is the feedback, not a failure.
  const why =
    (message || prReview || update) && task.state === "review" ? null : failureFeedback(project, id);
  const last = store
    .runsOf(id)
    .filter((r) => !isReviewerRun(r))
    .at(-1);
  // Recorded before the state changes, so a crash in between loses nothing the person wrote.
  if (message) store.addNote(id, last?.id ?? null, "request", message);
  if (prReview) store.addNote(id, last?.id ?? null, "pr-review", prReview);
  if (update) store.addNote(id, last?.id ?? null, "update", update);
  opts.onRecord?.();
  store.transition(id, "ready", {
    cause:
      opts.cause ??
      (update
        ? "update: the base does not merge cleanly; sent to the agent"
        : prReview
          ? "pull request review sent back by a person"
          : message
            ? "changes requested by a person"
            : "retry requested"),
    actor: opts.actor ?? "cli",
  });
  if (!opts.launch) return { id, message, launched: null };
  return {
    id,
    message,
    launched: await launch(project, {
      tasks: [id],
      actor: opts.actor ?? "cli",
      previousFailure: why,
      continueConversation: true,
      wait: true,
    }),
  };
}

/**
 * What the next attempt needs to know about the last one, as an automatic retry tells it: the
 * reason, the end of the clean verification's output, and a reviewer's requested changes.
 */
export function failureFeedback(project: Project, id: string): string | null {
  const store = project.store();
  const task = requireTask(project, id);
  const runs = store.runsOf(id);
  const last = runs.filter((r) => !isReviewerRun(r)).at(-1);
  const parts: string[] = [];
  const reason = task.reason ?? last?.detail ?? null;
  if (reason) parts.push(reason);
  // The last run's failed clean verification, as kept when it ran (bounded and escaped).
  const kept = last
    ? store
        .verifications(id)
        .filter((v) => v.runId === last.id && v.kind === "clean" && !v.passed)
        .at(-1)
    : undefined;
  const verify = last ? runFolder(last.runDir).host.verifyLog : null;
  if (kept?.tail) {
    parts.push(`The end of the verification output:\n\n${tailMarkdown(kept.tail, kept.log)}`);
  } else if (verify && existsSync(verify) && /verify/.test(reason ?? "")) {
    parts.push(
      `The end of the verification output:\n\n${tailMarkdown(trimOutput(readFileSync(verify, "utf8"), 30), verify)}`,
    );
  }
  const review = store
    .notes(id)
    .filter((n) => n.kind === "system" && n.text.startsWith("reviewer: changes requested"))
    .at(-1);
  if (
    review &&
    last &&
    review.runId !== null &&
    runs.findIndex((r) => r.id === review.runId) > runs.indexOf(last) - 2
  ) {
    parts.push(
      `The reviewer's words: ${review.text.replace(/^reviewer: changes requested by [^:]*: ?/, "")}`,
    );
  }
  if (task.state === "review")
    parts.unshift("The person asked for another attempt after reviewing your work.");
  return parts.length ? parts.join("\n\n") : null;
}

/** `cause`: why, when not a person's decision (a task source's issue closed upstream). */
export async function abandon(
  project: Project,
  id: string,
  actor = "cli",
  cause = "abandoned by a person",
): Promise<{ id: string }> {
  await reconcile(project, { repair: true });
  const task = requireTask(project, id);
  if (task.state === "merged" || task.state === "abandoned")
    throw new UserError(`task ${id} is already ${task.state}`, 4, [], "wrong_state");
  project.store().transition(id, "abandoned", { cause, actor });
  await endLiveRun(project, task, "abandoned");
  return { id };
}

export function logFile(project: Project, id: string): { run: RunRow; file: string } {
  requireTask(project, id);
  const run = project.store().latestRun(id);
  if (!run) throw new UserError(`task ${id} has never run; there are no logs yet`);
  // Attempts started inside a session (retries, the reviewer) write to the log of the run that
  // opened the session: the newest log there is is the current session's.
  const withLog = project
    .store()
    .runsOf(id)
    .reverse()
    .find((r) => existsSync(runFolder(r.runDir).host.sessionLog));
  return { run, file: join((withLog ?? run).runDir, "session.log") };
}

export function readLog(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

export function attachArgs(
  project: Project,
  id: string,
): { args: string[]; live: boolean; state: TaskState; ran: boolean } {
  const task = requireTask(project, id);
  const store = project.store();
  const run = store.liveRuns().find((r) => r.taskId === id);
  const session = run?.session ?? sessionNameFor(task.id);
  // A remote run's agent is on its runner: attach goes there (the home session is its relay).
  const remote = run ? remoteAttachArgs(project, run) : null;
  return {
    args: remote ?? tmuxFor(project).attachArgs(session),
    live: run !== undefined,
    state: task.state,
    ran: run !== undefined || store.runsOf(id).length > 0,
  };
}

/**
 * `ballador approve TASK` (a person, outside any run): the task paused after a stage for the
 * person's check; the pipeline continues with the next stage.
 */
export async function approve(
  project: Project,
  id: string,
  opts: { launch: boolean; actor?: string },
): Promise<{ id: string; stage: string; launched: LaunchResult | null }> {
  await reconcile(project, { repair: true });
  const task = requireTask(project, id);
  const p = (() => {
    try {
      return taskPipeline(project.config, task);
    } catch (err) {
      throw new UserError(`task ${id}: ${(err as Error).message}`, 4);
    }
  })();
  const next = p?.stages[task.stage];
  if (!p || task.state !== "review" || !next || task.stage === 0) {
    throw new UserError(
      !p
        ? `task ${id} has no pipeline: approve continues a pipeline paused for your check (merge it with ballador merge ${id})`
        : task.state !== "review" || !next
          ? `task ${id} is ${task.state === "review" ? "at the end of its pipeline" : task.state}; approve continues a pipeline paused after a stage (pause_after)`
          : `task ${id} has not started its pipeline`,
      4,
      [],
      "wrong_state",
    );
  }
  const store = project.store();
  const done = p.stages[task.stage - 1]?.role ?? "?";
  // The next stage starts from the branch as the person approved it.
  const head = await resolveCommit(
    project.paths.root,
    `refs/heads/${task.branch ?? branchFor(project.config, id)}`,
  );
  store.setStage(id, task.stage, head);
  store.transition(id, "ready", {
    cause: `approved by a person after ${done}: the pipeline continues with ${next.role}`,
    actor: opts.actor ?? "cli",
    expectFrom: ["review"],
  });
  if (!opts.launch) return { id, stage: next.role, launched: null };
  return {
    id,
    stage: next.role,
    launched: await launch(project, { tasks: [id], actor: opts.actor ?? "cli", wait: true }),
  };
}
