/**
 * Roles and pipelines (issue 16), the use-case side: a task's pipeline and stage from the config,
 * the host-side facts its gates judge (which files a stage changed, whether the test author's
 * files are as it left them), and the person's checkpoint (`ballador approve TASK`). Every fact
 * comes from the repository's object store through the hardened git helpers, never from a file
 * of the agent's worktree.
 */
import { changedFiles, entriesAt } from "../adapters/git/index.js";
import type { GateRow, TaskRow, TaskStore } from "../adapters/store/index.js";
import type { Config } from "../config/schema.js";
import {
  type GateCheck,
  type Pipeline,
  pathsCheck,
  protectedCheck,
  resolvePipeline,
  type Stage,
  stageProfile,
  testAuthorChecks,
  testsUnchangedCheck,
  verifyInputsCheck,
} from "../core/pipeline.js";
import { baseVerifyInputs, verifyInputChanges } from "./verify-inputs.js";

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
export function stageLabel(config: Config, task: TaskRow): string | null {
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

/** Files a stage changed: from the commit it started from to the branch's commit. */
export async function changedInStage(repo: string, start: string | null, head: string): Promise<string[]> {
  if (!start || start === head) return [];
  return changedFiles(repo, start, head);
}

/** The test author's files as its last passing gate recorded them (what later stages must keep). */
export function testAuthorFiles(gates: readonly GateRow[], stages: readonly Stage[]): GateRow["files"] {
  const authors = new Set(stages.filter((s) => s.kind === "tests").map((s) => s.index));
  const last = gates.filter((g) => g.passed && authors.has(g.stage)).at(-1);
  return last?.files ?? [];
}

/**
 * The host-side checks of a stage's gate (before any verification runs): the files it changed
 * and, for later stages, the test author's files. Verification (pass, or for the test author
 * fail) is the caller's, on a clean checkout.
 */
export async function stageChecks(input: {
  repo: string;
  config: Config;
  stage: Stage;
  stages: readonly Stage[];
  start: string | null;
  head: string;
  gates: readonly GateRow[];
  /** The verify command and the base that decides its inputs (absent: no verify-input check). */
  verify?: { command: string | null; base: string };
}): Promise<{ checks: GateCheck[]; changed: string[]; files: GateRow["files"] }> {
  const { repo, config, stage, head } = input;
  const changed = await changedInStage(repo, input.start, head);
  const checks: GateCheck[] = [];
  let files: GateRow["files"] = [];
  if (stage.kind === "tests") {
    checks.push(...testAuthorChecks(changed, config.tests, stage.paths ?? config.tests));
    // What the implementer must keep: every file of the test author's change, as it is now.
    const now = await entriesAt(repo, head, changed);
    files = changed.map((path) => ({ path, blob: now.get(path) ?? null }));
  } else {
    const kept = testAuthorFiles(input.gates, input.stages);
    const now = await entriesAt(
      repo,
      head,
      kept.map((f) => f.path),
    );
    if (kept.length > 0 || stage.kind === "build") checks.push(protectedCheck(kept, now));
    if (stage.kind === "refactor") checks.push(testsUnchangedCheck(changed, config.tests));
    if (input.verify?.command && input.start && input.start !== head) {
      const inputs = await baseVerifyInputs(
        repo,
        input.verify.base,
        input.verify.command,
        config.verify_inputs,
        config.bootstrap,
      );
      checks.push(verifyInputsCheck((await verifyInputChanges(repo, input.start, head, inputs)).labels));
    }
    if (stage.paths) checks.push(pathsCheck(changed, stage.paths));
  }
  return { checks, changed, files };
}

/** The start commit of a stage as its latest gate recorded it (for a send-back to it). */
export function stageStartOf(gates: readonly GateRow[], index: number): string | null {
  return gates.filter((g) => g.stage === index).at(-1)?.startCommit ?? null;
}

/**
 * The files a stage's clean verification takes as the branch has them even when they are verify
 * inputs: the test author's (its own stage's changes; for later stages what its passing gate
 * recorded, which their gates pin byte for byte). A conftest.py the test author wrote is part of
 * its tests; the whole task's change to it still reaches the person ("Changes how tests run").
 */
export async function stageKeptFiles(
  repo: string,
  kind: Stage["kind"],
  start: string | null,
  head: string,
  gates: readonly GateRow[],
): Promise<string[]> {
  if (kind === "tests") return changedInStage(repo, start, head);
  const last = gates.filter((g) => g.passed && g.files.length > 0).at(-1);
  return (last?.files ?? []).map((f) => f.path);
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
