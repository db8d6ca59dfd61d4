/** Reading the queue: status, next, graph and show. No writes. */
import type { ArtifactRow, EventRow, NoteRow, RunRow, TaskRow } from "../adapters/store/index.js";
import { drawDot, drawMermaid, drawTree } from "../core/graph.js";
import { launchOrder } from "../core/schedule.js";
import { type SecretsSummary, summarizeSecrets } from "../core/secrets.js";
import { satisfiesDependency } from "../core/states.js";
import { type NeedsYou, needsYouByTask } from "./needs-you.js";
import { type Project, requireTask } from "./project.js";

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
  /** Its agent waits for a person: since when and what it asked (agent's words). */
  needsYou: NeedsYou | null;
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
  const waiting = needsYouByTask(project);
  return project
    .store()
    .tasks({ lean: true })
    .map((t) => ({
      id: t.id,
      title: t.title,
      state: t.state,
      reason: t.reason,
      agent: t.agent ?? def,
      attempt: t.attempt,
      since: t.stateChangedAt,
      branch: t.branch,
      phase: phases.get(t.id) ?? null,
      needsYou: waiting.get(t.id) ?? null,
    }));
}

export interface NextReport {
  ready: Array<{ id: string; title: string; priority: number; agent: string }>;
  running: Array<{ id: string; title: string; state: string; since: string; phase: string | null }>;
  /** Running tasks whose agent waits for a person (also listed in running). */
  needsYou: Array<{ id: string; title: string } & NeedsYou>;
  waiting: Array<{ id: string; title: string; on: Array<{ id: string; state: string }> }>;
  review: Array<{ id: string; title: string; since: string }>;
  stuck: Array<{ id: string; title: string; state: string; reason: string | null }>;
}

export function next(project: Project): NextReport {
  const tasks = project.store().tasks({ lean: true });
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const stack = project.config.stack;
  const def = project.config.agents.default;
  const report: NextReport = { ready: [], running: [], needsYou: [], waiting: [], review: [], stuck: [] };
  const phases = provisioningPhases(project);
  const waiting = needsYouByTask(project);
  for (const t of launchOrder(tasks.filter((x) => x.state === "ready"))) {
    report.ready.push({ id: t.id, title: t.title, priority: t.priority, agent: t.agent ?? def });
  }
  for (const t of tasks) {
    if (t.state === "running" || t.state === "verifying") {
      report.running.push({
        id: t.id,
        title: t.title,
        state: t.state,
        since: t.stateChangedAt,
        phase: phases.get(t.id) ?? null,
      });
      const asks = waiting.get(t.id);
      if (asks) report.needsYou.push({ id: t.id, title: t.title, ...asks });
    } else if (t.state === "queued") {
      const on = t.needs
        .map((d) => ({ id: d, state: byId.get(d)?.state ?? "missing" }))
        .filter((d) => d.state === "missing" || !satisfiesDependency(d.state as TaskRow["state"], stack));
      report.waiting.push({ id: t.id, title: t.title, on });
    } else if (t.state === "blocked" || t.state === "failed" || t.state === "stopped") {
      report.stuck.push({ id: t.id, title: t.title, state: t.state, reason: t.reason });
    }
  }
  for (const t of reviewOrder(tasks, byId))
    report.review.push({ id: t.id, title: t.title, since: t.stateChangedAt });
  return report;
}

type Reviewable = Pick<TaskRow, "id" | "state" | "needs" | "stateChangedAt">;

/** Tasks in review, what others wait on first (dependency order), then the oldest. */
export function reviewOrder<T extends Reviewable>(
  tasks: readonly T[],
  byId: ReadonlyMap<string, Reviewable> = new Map(tasks.map((t) => [t.id, t])),
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
    .map((t) => ({ id: t.id, needs: t.needs, title: t.title, state: t.state }));
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
  /**
   * Per profile the task runs with (its agent, then any other its runs used): the secrets it
   * masks, for which hosts, and the ones it passes. Names only, never values.
   */
  secrets: Array<{ profile: string } & SecretsSummary>;
}

export function show(project: Project, id: string): ShowReport {
  const store = project.store();
  const task = requireTask(project, id);
  const dependents = store.dependentsOf(id);
  const runs = store.runsOf(id);
  return {
    task,
    events: store.events(id),
    runs,
    notes: store.notes(id),
    dependents,
    artifacts: store.artifacts(id),
    secrets: profileSecrets(project, [
      task.agent ?? project.config.agents.default,
      ...runs.map((r) => r.profile),
    ]),
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
export async function nextWithConflicts(project: Project): Promise<ConductorReport> {
  const report = next(project);
  const { predictConflicts } = await import("./conflicts.js");
  const prediction = await predictConflicts(project);
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
