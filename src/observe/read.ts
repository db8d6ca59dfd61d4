/** Reading the queue: status, next, graph and show. No writes. */
import type {
  ArtifactRow,
  EventRow,
  GateRow,
  NoteRow,
  RunRow,
  TaskRow,
  VerificationRow,
} from "../adapters/store/index.js";
import { flakyCommits } from "../core/check-output.js";
import { drawDot, drawMermaid, drawTree } from "../core/graph.js";
import { type PartVerifyOverride, partVerifyOverride } from "../core/part-verify.js";
import { type SecretsSummary, summarizeSecrets } from "../core/secrets.js";
import { satisfiesDependency } from "../core/states.js";
import { verifiedByNothing } from "../core/unverified.js";
import { totalTokens } from "../core/usage.js";
import {
  costByTask,
  costOfRuns,
  type Project,
  requireTask,
  stageLabel,
  type TaskCost,
} from "../project/reading/index.js";
import { type NeedsYou, needsYouByTask } from "./needs-you.js";

export interface StatusRow {
  id: string;
  title: string;
  state: string;
  reason: string | null;
  agent: string;
  attempt: number;
  since: string;
  branch: string | null;
  /** While its session provisions itself: the step (worktree, copy, bootstrap, ...). */
  phase: string | null;
  /** The runner its live run lives on (spec 0013); null: this machine, or no live run. */
  runner: string | null;
  /** Its agent waits for a person: since when and what it asked (agent's words). */
  needsYou: NeedsYou | null;
  /** What its runs used, from the agents' own records (a claim), or null when none kept any. */
  cost: CostSummary | null;
  /** A pipeline's stage ("2/3 implementer", "paused after test-author"); null without one. */
  stage: string | null;
  /** Every stage's latest gate result, in pipeline order (issue 16); empty without a pipeline. */
  gates: StageGate[];
  /** The part's own verify command when it is not the project's (a person's choice to review). */
  partVerify: PartVerifyOverride | null;
  /** Its newest verification ran no verify command: nothing checked its work. */
  unverified: boolean;
}

/** A task's usage as shown: tokens of every kind together, USD when every model has a price. */
export interface CostSummary {
  tokens: number;
  usd: number | null;
  /** Models without a price in the config. */
  unpriced: string[];
  /** "12.3k tokens, $0.42". */
  text: string;
  source: "the agent's own records";
}

function summary(c: TaskCost): CostSummary | null {
  if (!c.usage || !c.cost || !c.text) return null;
  return {
    tokens: totalTokens(c.usage),
    usd: c.cost.usd,
    unpriced: c.cost.unpriced,
    text: c.text,
    source: "the agent's own records",
  };
}

export interface StageGate {
  stage: number;
  role: string;
  passed: boolean;
  summary: string;
}

/** The latest gate result of each stage of every task that has any, in one query per task. */
function latestGates(project: Project, ids: readonly string[]): Map<string, StageGate[]> {
  const store = project.store();
  const out = new Map<string, StageGate[]>();
  for (const id of ids) {
    const byStage = new Map<number, StageGate>();
    for (const g of store.gates(id))
      byStage.set(g.stage, { stage: g.stage, role: g.role, passed: g.passed, summary: g.summary });
    if (byStage.size > 0)
      out.set(
        id,
        [...byStage.values()].sort((a, b) => a.stage - b.stage),
      );
  }
  return out;
}

/** The runner of each task whose live run is on another machine (a few rows: the live runs). */
export function liveRunners(project: Project): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of project.store().liveRuns()) if (r.runner) out.set(r.taskId, r.runner);
  return out;
}

/** Tasks whose live run is still provisioning, with its step (a few rows: the live runs). */
export function provisioningPhases(project: Project): Map<string, string> {
  const phases = new Map<string, string>();
  for (const r of project.store().liveRuns())
    if (r.status === "provisioning") phases.set(r.taskId, r.phase ?? "starting");
  return phases;
}

export function status(project: Project): StatusRow[] {
  const def = project.config.agents.default;
  const phases = provisioningPhases(project);
  const runners = liveRunners(project);
  const waiting = needsYouByTask(project);
  const costs = costByTask(project.store(), project.config.prices ?? {});
  const tasks = project.store().statusTasks();
  const labels = new Map<string, string>();
  for (const t of tasks) {
    const label = stageLabel(project.config, t);
    if (label) labels.set(t.id, label);
  }
  const unverified = project.store().unverifiedTaskIds();
  const gates = latestGates(project, [...labels.keys()]);
  const verify = project.config.verify;
  return tasks.map((t) => ({
    id: t.id,
    title: t.title,
    state: t.state,
    reason: t.reason,
    agent: t.agent ?? def,
    attempt: t.attempt,
    since: t.stateChangedAt,
    branch: t.branch,
    phase: phases.get(t.id) ?? null,
    runner: runners.get(t.id) ?? null,
    needsYou: waiting.get(t.id) ?? null,
    cost: ((c) => (c ? summary(c) : null))(costs.get(t.id)),
    stage: labels.get(t.id) ?? null,
    gates: gates.get(t.id) ?? [],
    partVerify: partVerifyOverride(t.verify, verify),
    unverified: unverified.has(t.id),
  }));
}

export interface NextReport {
  ready: Array<{ id: string; title: string; priority: number; agent: string }>;
  running: Array<{
    id: string;
    title: string;
    state: string;
    since: string;
    phase: string | null;
    /** A pipeline's stage (issue 16), or null. */
    stage: string | null;
    /** The runner it lives on (spec 0013), or null: this machine. */
    runner: string | null;
  }>;
  /** Running tasks whose agent waits for a person (also listed in running). */
  needsYou: Array<{ id: string; title: string } & NeedsYou>;
  waiting: Array<{ id: string; title: string; on: Array<{ id: string; state: string }> }>;
  /** unverified: nothing checked it (no verify command); merge asks for --unverified. */
  review: Array<{ id: string; title: string; since: string; stage: string | null; unverified: boolean }>;
  stuck: Array<{ id: string; title: string; state: string; reason: string | null }>;
  /** How many ready and waiting tasks the limit left out of those lists (0: complete). */
  more: { ready: number; waiting: number };
}

export interface NextOptions {
  /** Most entries of the two long lists (ready, waiting); the rest are counted in `more`. */
  limit?: number;
}

/**
 * The report reads only what it shows: the active states in full (few), the ready and waiting
 * lists up to the limit, and the dependencies those name; never the whole queue.
 */
export function next(project: Project, opts: NextOptions = {}): NextReport {
  const store = project.store();
  const limit = opts.limit ?? -1;
  const stack = project.config.stack;
  const def = project.config.agents.default;
  const report: NextReport = {
    ready: [],
    running: [],
    needsYou: [],
    waiting: [],
    review: [],
    stuck: [],
    more: { ready: 0, waiting: 0 },
  };
  const phases = provisioningPhases(project);
  const runners = liveRunners(project);
  const waiting = needsYouByTask(project);
  const ready = store.tasksPage(["ready"], "launch", limit);
  for (const t of ready.tasks)
    report.ready.push({ id: t.id, title: t.title, priority: t.priority, agent: t.agent ?? def });
  report.more.ready = ready.total - ready.tasks.length;
  const active = store.tasks({
    states: ["running", "verifying", "review", "blocked", "failed", "stopped"],
    lean: true,
  });
  for (const t of active) {
    if (t.state === "running" || t.state === "verifying") {
      report.running.push({
        id: t.id,
        title: t.title,
        state: t.state,
        since: t.stateChangedAt,
        phase: phases.get(t.id) ?? null,
        stage: stageLabel(project.config, t),
        runner: runners.get(t.id) ?? null,
      });
      const asks = waiting.get(t.id);
      if (asks) report.needsYou.push({ id: t.id, title: t.title, ...asks });
    } else if (t.state !== "review") {
      report.stuck.push({ id: t.id, title: t.title, state: t.state, reason: t.reason });
    }
  }
  const queued = store.tasksPage(["queued"], "queue", limit);
  report.more.waiting = queued.total - queued.tasks.length;
  const deps = store.leanTasks([...new Set(queued.tasks.flatMap((t) => t.needs))]);
  for (const t of queued.tasks) {
    const on = t.needs
      .map((d) => ({ id: d, state: deps.get(d)?.state ?? "missing" }))
      .filter((d) => d.state === "missing" || !satisfiesDependency(d.state as TaskRow["state"], stack));
    report.waiting.push({ id: t.id, title: t.title, on });
  }
  // Review order looks down each reviewed task's dependencies: looked up as needed, once each.
  const known = new Map<string, Reviewable | undefined>(active.map((t) => [t.id, t]));
  const lookup = {
    get(id: string): Reviewable | undefined {
      if (!known.has(id)) known.set(id, store.leanTasks([id]).get(id));
      return known.get(id);
    },
  };
  const unverified = active.some((t) => t.state === "review") ? store.unverifiedTaskIds() : new Set<string>();
  for (const t of reviewOrder(active, lookup))
    report.review.push({
      id: t.id,
      title: t.title,
      since: t.stateChangedAt,
      stage: stageLabel(project.config, t),
      unverified: unverified.has(t.id),
    });
  return report;
}

type Reviewable = Pick<TaskRow, "id" | "state" | "needs" | "stateChangedAt">;

/** Tasks in review, what others wait on first (dependency order), then the oldest. */
export function reviewOrder<T extends Reviewable>(
  tasks: readonly T[],
  byId: { get(id: string): Reviewable | undefined } = new Map(tasks.map((t) => [t.id, t])),
): T[] {
  const reviews = tasks.filter((t) => t.state === "review");
  const depth = (t: Reviewable, seen = new Set<string>()): number => {
    if (seen.has(t.id)) return 0;
    seen.add(t.id);
    return t.needs.reduce((m, d) => {
      const dep = byId.get(d);
      return dep && dep.state !== "merged" ? Math.max(m, 1 + depth(dep, seen)) : m;
    }, 0);
  };
  return reviews.sort((a, b) => depth(a) - depth(b) || a.stateChangedAt.localeCompare(b.stateChangedAt));
}

export type GraphFormat = "tree" | "mermaid" | "dot";

export function graph(project: Project, format: GraphFormat): string {
  const nodes = project
    .store()
    .tasks({ lean: true })
    .map((t) => ({
      id: t.id,
      needs: t.needs,
      title: t.title,
      state: t.state,
      stage: stageLabel(project.config, t),
    }));
  if (format === "mermaid") return drawMermaid(nodes);
  if (format === "dot") return drawDot(nodes);
  return drawTree(nodes);
}

export interface ShowReport {
  task: TaskRow;
  events: EventRow[];
  runs: RunRow[];
  notes: NoteRow[];
  dependents: string[];
  /** What delivery produced: pull request URLs, merge commits. */
  artifacts: ArtifactRow[];
  /** Every run's usage together (each run's is in runs[].usage); null when none kept records. */
  cost: CostSummary | null;
  /** A pipeline's stage (issue 16), or null. */
  stage: string | null;
  /** Every gate result of its pipeline's stages, oldest first. */
  gates: GateRow[];
  /**
   * Per profile the task runs with (its agent, then any other its runs used): the secrets it
   * masks, for which hosts, and the ones it passes. Names only, never values.
   */
  secrets: Array<{ profile: string } & SecretsSummary>;
  /** Every verification, oldest first; a failed one of Ballador's carries the end of its output and its log. */
  verifications: VerificationRow[];
  /** Commits that both passed and failed Ballador's own verification (core/check-output.ts). */
  flaky: string[];
  /** The part's own verify command when it is not the project's. */
  partVerify: PartVerifyOverride | null;
  /** Its newest verification ran no verify command: nothing checked its work. */
  unverified: boolean;
}

export function show(project: Project, id: string): ShowReport {
  const store = project.store();
  const task = requireTask(project, id);
  const dependents = store.dependentsOf(id);
  const runs = store.runsOf(id);
  const verifications = store.verifications(id);
  return {
    task,
    events: store.events(id),
    runs,
    notes: store.notes(id),
    dependents,
    artifacts: store.artifacts(id),
    cost: summary(costOfRuns(store.runsOf(id), project.config.prices ?? {})),
    stage: stageLabel(project.config, task),
    gates: store.gates(id),
    secrets: profileSecrets(project, [
      task.agent ?? project.config.agents.default,
      ...runs.map((r) => r.profile),
    ]),
    verifications,
    flaky: flakyCommits(verifications),
    partVerify: partVerifyOverride(task.verify, project.config.verify),
    unverified: verifiedByNothing(store.verifications(id)),
  };
}

function profileSecrets(project: Project, names: readonly string[]): ShowReport["secrets"] {
  return [...new Set(names)].flatMap((profile) => {
    const secrets = project.config.agents.profiles[profile]?.secrets ?? {};
    return Object.keys(secrets).length > 0 ? [{ profile, ...summarizeSecrets(secrets) }] : [];
  });
}

export interface ConductorReport extends NextReport {
  conflicts: Array<{ kind: string; tasks: string[]; files: string[]; message: string }>;
  mergeOrder: string[];
}

/** `next` as the conductor's one screen: review order follows the suggested merge order. */
/** The states whose tasks have a branch that conflict prediction compares (verify/conflicts.ts). */
const IN_PLAY = ["running", "verifying", "review"] as const;

export async function nextWithConflicts(project: Project, opts: NextOptions = {}): Promise<ConductorReport> {
  const report = next(project, opts);
  // Nothing in play, nothing to predict: verify/ (the brief, conflicts) is not even loaded.
  const inPlay = project.store().tasks({ states: IN_PLAY, lean: true }).length > 0;
  const prediction = inPlay
    ? await (await import("../verify/index.js")).predictConflicts(project)
    : { conflicts: [], mergeOrder: [] };
  const rank = new Map(prediction.mergeOrder.map((id, i) => [id, i]));
  report.review.sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0));
  return {
    ...report,
    conflicts: prediction.conflicts.map((c) => ({
      kind: c.kind,
      tasks: [...c.tasks],
      files: c.files,
      message: c.message,
    })),
    mergeOrder: prediction.mergeOrder,
  };
}
