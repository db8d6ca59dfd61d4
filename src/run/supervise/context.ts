/**
 * What every stage of a supervised attempt works with (issue 30): the project as the run
 * planned it (its config is the run's plan, its store the supervisor's), the store, the run
 * spec and its folder's paths by whose they are. The supervisor's loop makes it once; no stage
 * below opens the project or derives a path from a run folder itself.
 */
import { writeFileSync } from "node:fs";
import { type RunFolder, type RunSpec, runFolder } from "../../adapters/runfolder/index.js";
import type { TaskRow, TaskStore, TransitionOptions } from "../../adapters/store/index.js";
import type { Pipeline } from "../../core/pipeline.js";
import type { TaskState } from "../../core/states.js";
import { type Project, taskPipeline } from "../../project/index.js";
import { sessionSay } from "../live-session.js";

export interface RunContext {
  /** The project with the run's plan for its config and the supervisor's store. */
  project: Project;
  store: TaskStore;
  spec: RunSpec;
  paths: RunFolder;
  /** Who the store's events name: this run's supervisor. */
  actor: string;
}

/**
 * The project as the run planned it: the config its run spec carries (a run file written before
 * plans existed: the config as it now stands) and the supervisor's one store.
 */
export function plannedProject(opened: Project, store: TaskStore, spec: RunSpec): Project {
  const config = spec.plan?.config ?? opened.config;
  return {
    paths: opened.paths,
    config,
    loaded: { ...opened.loaded, config },
    store: () => store,
    // The store is the supervisor's to close, at its end.
    close: () => {},
  };
}

export function runContext(project: Project, store: TaskStore, spec: RunSpec): RunContext {
  return { project, store, spec, paths: runFolder(spec.runDir), actor: `supervisor:${spec.runId}` };
}

/** The same run's context for another run spec of the session (a reviewer's, the next attempt's). */
export function forSpec(ctx: RunContext, spec: RunSpec): RunContext {
  return runContext(ctx.project, ctx.store, spec);
}

export function say(text: string): void {
  sessionSay(text);
}

/** Moves the run's task in the run's name (its supervisor, this run). */
export function moveTask(
  ctx: RunContext,
  to: TaskState,
  cause: string,
  more: Omit<TransitionOptions, "cause" | "actor" | "runId"> = {},
): void {
  ctx.store.transition(ctx.spec.taskId, to, { cause, actor: ctx.actor, runId: ctx.spec.runId, ...more });
}

/** The run is over: reconcile leaves a run folder with this mark alone. */
export function markEnded(paths: RunFolder): void {
  writeFileSync(paths.host.ended, `${new Date().toISOString()}\n`);
}

/** The task's pipeline as the run planned it (older run files: as the config now says). */
export function runPipeline(ctx: RunContext, task: TaskRow): Pipeline | null {
  return ctx.spec.plan ? ctx.spec.plan.pipeline : taskPipeline(ctx.project.config, task);
}
