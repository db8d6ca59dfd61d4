/** Needs you, as the read commands show it: the live runs whose agent waits for a person. */
import type { Project } from "../project/reading/index.js";

export interface NeedsYou {
  /** The run that waits. */
  runId: string;
  /** Since when it waits (ISO time). */
  since: string;
  /** What it asked: the agent's words, bounded; escape before a terminal. */
  asked: string;
  /** When Ballador typed the unattended nudge, if it did. */
  nudgedAt: string | null;
}

/** task id -> what its live run waits for (a few rows: the live runs). */
export function needsYouByTask(project: Project): Map<string, NeedsYou> {
  const out = new Map<string, NeedsYou>();
  for (const r of project.store().liveRuns())
    if (r.waitingSince)
      out.set(r.taskId, {
        runId: r.id,
        since: r.waitingSince,
        asked: r.waitingFor ?? "",
        nudgedAt: r.nudgedAt,
      });
  return out;
}
