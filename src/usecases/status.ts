import type { Project } from "./project.js";
import { type StatusRow, status } from "./read.js";

export interface StatusReport {
  tasks: StatusRow[];
  counts: Record<string, number>;
  sandbox: "bwrap" | "none";
  /** Where the store and the world (sessions, worktrees, processes) disagree. */
  disagreements: string[];
}

export async function statusReport(project: Project): Promise<StatusReport> {
  const tasks = status(project);
  const counts: Record<string, number> = {};
  for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return { tasks, counts, sandbox: project.config.sandbox.mode, disagreements: [] };
}
