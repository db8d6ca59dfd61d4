import { costOf, sumUsage, totalTokens, usageText } from "../core/usage.js";
import { type Project, sandboxWeakenedLine } from "../project/reading/index.js";
import { sandboxEventCounts } from "./denials.js";
import { type StatusRow, status } from "./read.js";

export interface StatusReport {
  /**
   * denials: requests the allowlist refused; standIns: times a masked secret's stand-in was sent
   * toward a host it is not for (nothing refused, nothing leaked: shown apart so it reads as
   * what happened). Both of the latest run; `sandbox denials TASK` has the hosts.
   */
  tasks: Array<StatusRow & { denials: number; standIns: number }>;
  counts: Record<string, number>;
  sandbox: "bwrap" | "none";
  /** Set while the config switches most of the sandbox off on purpose (issue 29): shown in red. */
  sandboxWarning: string | null;
  /** Where the store and the world (sessions, worktrees, processes) disagree. */
  disagreements: string[];
  /** The latest launch that had a budget: what its runs spent (their agents' own records). */
  launch: LaunchSpend | null;
}

export interface LaunchSpend {
  id: string;
  startedAt: string;
  budget: { tokens?: number; usd?: number };
  /** "1.2k tokens, $0.40" of its runs together, or null while none kept records. */
  text: string | null;
  tokens: number;
  usd: number | null;
  /** Why no more of it may run, once a supervisor found its budget passed. */
  spent: string | null;
}

function launchSpend(project: Project): LaunchSpend | null {
  const store = project.store();
  const l = store.latestBudgetedLaunch();
  if (!l?.budget) return null;
  const usages = store.launchUsages(l.id).map((r) => r.usage);
  const all = usages.length > 0 ? sumUsage(usages) : null;
  const cost = all ? costOf(all.byModel, project.config.prices ?? {}) : null;
  return {
    id: l.id,
    startedAt: l.startedAt,
    budget: l.budget,
    text: all && cost ? usageText(all, cost) : null,
    tokens: all ? totalTokens(all) : 0,
    usd: cost?.usd ?? null,
    spent: l.spentReason,
  };
}

export async function statusReport(project: Project): Promise<StatusReport> {
  const rows = status(project);
  const events = sandboxEventCounts(project, rows);
  // The rows are this call's own: completed in place, not copied (10,000 objects fewer).
  const tasks = rows as StatusReport["tasks"];
  for (const t of tasks) {
    const e = events.get(t.id);
    t.denials = e?.denied ?? 0;
    t.standIns = e?.standIns ?? 0;
  }
  const counts: Record<string, number> = {};
  for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  // Status observes and reports; the next command that acts repairs.
  // run/recover/ alone, not run/'s door, and only here: `next` (same door) loads none of it.
  const { reconcile } = await import("../run/recover/index.js");
  const { disagreements } = await reconcile(project, { repair: false });
  return {
    tasks,
    counts,
    sandbox: project.config.sandbox.mode,
    sandboxWarning: sandboxWeakenedLine(project.config, project.paths.root),
    disagreements,
    launch: launchSpend(project),
  };
}
