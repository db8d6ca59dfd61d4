/**
 * What a task's runs cost (from the agents' own records: claims) and what its budget has left.
 * A budget counts the runs since a person last started the task (a launch, a resume; a retry or
 * request-changes launches): the supervisor's automatic retries count against it, a person's
 * deliberate new start begins a new count.
 */
import type { RunRow, TaskStore } from "../adapters/store/index.js";
import { type Cost, costOf, type Price, type RunUsage, sumUsage, usageText } from "../core/usage.js";

/** The runs a budget counts: from the one a person's launch or resume started, on. */
export function budgetRuns(store: TaskStore, taskId: string): RunRow[] {
  const runs = store.runsOf(taskId);
  const start = store
    .events(taskId)
    .filter((e) => e.to === "running" && (e.cause === "launched" || e.cause === "resumed") && e.runId)
    .at(-1);
  const i = start ? runs.findIndex((r) => r.id === start.runId) : -1;
  return i < 0 ? runs : runs.slice(i);
}

export interface TaskCost {
  /** Every run's recorded usage together, or null when no run has records. */
  usage: RunUsage | null;
  cost: Cost | null;
  /** "12.3k tokens, $0.42 (the agent's own records)", or null. */
  text: string | null;
}

export function costOfRuns(runs: readonly RunRow[], prices: Readonly<Record<string, Price>>): TaskCost {
  return costOfUsages(
    runs.map((r) => r.usage).filter((u): u is RunUsage => u !== null),
    prices,
  );
}

function costOfUsages(recorded: readonly RunUsage[], prices: Readonly<Record<string, Price>>): TaskCost {
  if (recorded.length === 0) return { usage: null, cost: null, text: null };
  const usage = sumUsage(recorded);
  const cost = costOf(usage.byModel, prices);
  return { usage, cost, text: usageText(usage, cost) };
}

/** Per task: its runs' usage and cost (every run, reviewer runs included: they cost too). */
export function costByTask(store: TaskStore, prices: Readonly<Record<string, Price>>): Map<string, TaskCost> {
  // Only the runs that kept records, two columns each: status at 20,000 ended runs reads no more.
  const byTask = new Map<string, RunUsage[]>();
  for (const { taskId, usage } of store.usages()) {
    const list = byTask.get(taskId);
    if (list) list.push(usage);
    else byTask.set(taskId, [usage]);
  }
  const out = new Map<string, TaskCost>();
  for (const [id, usages] of byTask) out.set(id, costOfUsages(usages, prices));
  return out;
}
