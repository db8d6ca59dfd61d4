import { sandboxEventCounts } from "./denials.js";
import type { Project } from "./project.js";
import { type StatusRow, status } from "./read.js";
import { reconcile } from "./reconcile.js";

export interface StatusReport {
  /**
   * denials: requests the allowlist refused; standIns: times a masked secret's stand-in was sent
   * toward a host it is not for (nothing refused, nothing leaked: shown apart so it reads as
   * what happened). Both of the latest run; `sandbox denials TASK` has the hosts.
   */
  tasks: Array<StatusRow & { denials: number; standIns: number }>;
  counts: Record<string, number>;
  sandbox: "bwrap" | "none";
  /** Where the store and the world (sessions, worktrees, processes) disagree. */
  disagreements: string[];
}

export async function statusReport(project: Project): Promise<StatusReport> {
  const rows = status(project);
  const events = sandboxEventCounts(project, rows);
  const tasks = rows.map((t) => ({
    ...t,
    denials: events.get(t.id)?.denied ?? 0,
    standIns: events.get(t.id)?.standIns ?? 0,
  }));
  const counts: Record<string, number> = {};
  for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  // Status observes and reports; the next command that acts repairs.
  const { disagreements } = await reconcile(project, { repair: false });
  return { tasks, counts, sandbox: project.config.sandbox.mode, disagreements };
}
