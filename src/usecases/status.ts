import { denialCounts } from "./denials.js";
import type { Project } from "./project.js";
import { type StatusRow, status } from "./read.js";
import { reconcile } from "./reconcile.js";

export interface StatusReport {
  tasks: Array<StatusRow & { denials: number }>;
  counts: Record<string, number>;
  sandbox: "bwrap" | "none";
  /** Where the store and the world (sessions, worktrees, processes) disagree. */
  disagreements: string[];
}

export async function statusReport(project: Project): Promise<StatusReport> {
  const rows = status(project);
  const denials = denialCounts(project, rows);
  const tasks = rows.map((t) => ({ ...t, denials: denials.get(t.id) ?? 0 }));
  const counts: Record<string, number> = {};
  for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  // Status observes and reports; the next command that acts repairs.
  const { disagreements } = await reconcile(project, { repair: false });
  return { tasks, counts, sandbox: project.config.sandbox.mode, disagreements };
}
