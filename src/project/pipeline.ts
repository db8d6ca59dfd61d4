/**
 * Roles and pipelines (issue 16), the use-case side: a task's pipeline and stage from the config,
 * and where a person's checkpoint sends it. The gates' host-side checks are verify/stage-gates.ts.
 */
import type { GateRow, TaskRow, TaskStore } from "../adapters/store/index.js";
import type { Config } from "../config/schema.js";
import { type Pipeline, resolvePipeline, type Stage, stageProfile } from "../core/pipeline.js";

type PipelineTask = Pick<TaskRow, "pipeline" | "pauseAfter">;

/** The task's pipeline under this config, or null (it runs as one agent, as without pipelines). */
export function taskPipeline(config: Config, task: PipelineTask): Pipeline | null {
  return resolvePipeline(config, { pipeline: task.pipeline, pauseAfter: task.pauseAfter });
}

/** The stage a task is at (or `index`), or null without a pipeline or past its last stage. */
export function taskStage(
  config: Config,
  task: PipelineTask & Pick<TaskRow, "stage">,
  index?: number,
): Stage | null {
  const p = taskPipeline(config, task);
  return p?.stages[index ?? task.stage] ?? null;
}

/** The profile a launch of this task starts: its stage's, or the part's agent as ever. */
export function launchProfile(config: Config, task: TaskRow): string {
  try {
    const stage = taskStage(config, task);
    if (stage) return stageProfile(stage, task.agent, config.agents.default);
  } catch {
    // a pipeline the config no longer has: provisioning fails the task with the message
  }
  return task.agent ?? config.agents.default;
}

/** The role a task in review paused after (pause_after), or null (no pipeline, or at its end). */
export function pausedAt(config: Config, task: TaskRow): string | null {
  if (task.state !== "review") return null;
  try {
    const p = taskPipeline(config, task);
    return p && task.stage < p.stages.length ? (p.stages[task.stage - 1]?.role ?? null) : null;
  } catch {
    return null;
  }
}

/** "2/3 implementer", "review after test-author", "done", or null without a pipeline. */
export function stageLabel(
  config: Config,
  task: PipelineTask & Pick<TaskRow, "stage" | "state">,
): string | null {
  let p: Pipeline | null;
  try {
    p = taskPipeline(config, task);
  } catch {
    return "pipeline unknown";
  }
  if (!p) return null;
  const stage = p.stages[task.stage];
  if (!stage) return `${p.stages.length}/${p.stages.length} done`;
  if (task.state === "review") return `paused after ${p.stages[task.stage - 1]?.role ?? "?"}`;
  return `${task.stage + 1}/${p.stages.length} ${stage.role}`;
}

/** The start commit of a stage as its latest gate recorded it (for a send-back to it). */
export function stageStartOf(gates: readonly GateRow[], index: number): string | null {
  return gates.filter((g) => g.stage === index).at(-1)?.startCommit ?? null;
}

/**
 * The stage a person's retry or request-changes sends the task back to: the stage it paused
 * after, the last working stage of a finished pipeline, or the stage it failed in.
 */
export function retryStage(
  config: Config,
  store: TaskStore,
  task: TaskRow,
): { index: number; start: string | null } | null {
  let p: Pipeline | null;
  try {
    p = taskPipeline(config, task);
  } catch {
    return null;
  }
  if (!p) return null;
  if (task.state !== "review") return { index: task.stage, start: task.stageStart };
  const gates = store.gates(task.id);
  let index = task.stage - 1;
  // A finished pipeline goes back to its last stage that changes code (not an auditor).
  while (index > 0 && p.stages[index]?.kind === "audit") index--;
  index = Math.max(0, index);
  return { index, start: stageStartOf(gates, index) };
}
