/**
 * A run's cost while it runs: its usage from the agent's own session records in its HOME
 * (Claude Code's, Codex's, Gemini CLI's, OpenCode's: UsageReader),
 * read every USAGE_MS, recorded on the run when it changed, and held against two budgets:
 * the task's (the earlier runs of its count plus this one; see cost.ts) and the launch's (every
 * run the same downbeat started, its retries included, as their supervisors last recorded them,
 * plus this one). The records are claims: a forged record can make a run look cheaper, never
 * break the count. Reviewer runs are recorded and counted, never stopped.
 */
import { UsageReader } from "../adapters/agents/usage.js";
import type { RunSpec } from "../adapters/runfolder/index.js";
import type { TaskStore } from "../adapters/store/index.js";
import { type Budget, costOf, overBudget, type RunUsage, sumUsage, totalTokens } from "../core/usage.js";
import { budgetRuns, costOfRuns } from "../project/index.js";

/** How often the agent's session records are read (re-read only when they grew). */
const USAGE_MS = 2000;

export interface OverBudget {
  scope: "task" | "launch";
  reason: string;
}

const hasLimit = (b: Budget | null | undefined): b is Budget =>
  b !== null && b !== undefined && (b.tokens !== undefined || b.usd !== undefined);

/** Why the run's launch may not go on (its budget was found spent), or null. */
export function launchSpent(store: TaskStore, runId: string): string | null {
  const id = store.run(runId)?.launchId;
  const launch = id ? store.launch(id) : null;
  return launch?.spentAt ? (launch.spentReason ?? "its budget is spent") : null;
}

export class RunCost {
  private readonly reader: UsageReader;
  private readonly before: RunUsage | null;
  private readonly launchId: string | null;
  private readonly launchBudget: Budget | null;
  private last = 0;
  private recorded = -1;
  private current: RunUsage | null = null;

  constructor(
    private readonly store: TaskStore,
    private readonly spec: RunSpec,
    home: string,
  ) {
    this.reader = new UsageReader(home, spec.worktree, new Date().toISOString());
    const earlier = budgetRuns(store, spec.taskId).filter((r) => r.id !== spec.runId);
    this.before = costOfRuns(earlier, spec.prices ?? {}).usage;
    this.launchId = store.run(spec.runId)?.launchId ?? null;
    const launch = this.launchId ? store.launch(this.launchId) : null;
    this.launchBudget = hasLimit(launch?.budget) ? (launch?.budget ?? null) : null;
  }

  /** Why a budget is passed, or null. */
  tick(): OverBudget | null {
    if (Date.now() - this.last < USAGE_MS) return null;
    this.last = Date.now();
    this.read();
    if (this.spec.role === "reviewer") return null;
    const prices = this.spec.prices ?? {};
    if (this.current && hasLimit(this.spec.budget)) {
      const all = sumUsage(this.before ? [this.before, this.current] : [this.current]);
      const over = overBudget(all, costOf(all.byModel, prices), this.spec.budget);
      if (over) return { scope: "task", reason: over };
    }
    if (this.launchId && this.launchBudget) {
      // Another supervisor of the launch may have found it spent (this run may have spent nothing).
      const spent = launchSpent(this.store, this.spec.runId);
      if (spent) return { scope: "launch", reason: spent };
      const others = this.store
        .launchUsages(this.launchId)
        .filter((r) => r.runId !== this.spec.runId)
        .map((r) => r.usage);
      const all = sumUsage(this.current ? [...others, this.current] : others);
      const over = overBudget(all, costOf(all.byModel, prices), this.launchBudget, `launch ${this.launchId}`);
      if (over) {
        this.store.markLaunchSpent(this.launchId, over);
        return { scope: "launch", reason: launchSpent(this.store, this.spec.runId) ?? over };
      }
    }
    return null;
  }

  /** The last look, after the agent ended (OpenCode's database read as it is now). */
  async record(): Promise<void> {
    let u: RunUsage | null = null;
    try {
      u = await this.reader.readFinal();
    } catch {
      u = null;
    }
    this.keep(u);
  }

  private read(): void {
    let u: RunUsage | null = null;
    try {
      u = this.reader.read();
    } catch {
      u = null; // the records are the agent's: unreadable is no reason to stop supervising
    }
    this.keep(u);
  }

  private keep(u: RunUsage | null): void {
    if (!u) return;
    this.current = u;
    const n = totalTokens(u);
    if (n !== this.recorded) {
      this.store.updateRun(this.spec.runId, { usage: u });
      this.recorded = n;
    }
  }
}
