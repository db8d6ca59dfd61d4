/** `ballador sandbox denials`: what the allowlist refused, per run, and the config lines that would allow it. */
import { readDenials } from "../adapters/runfolder/index.js";
import { type Project, requireTask } from "../project/reading/index.js";

export interface DenialReport {
  runs: Array<{
    task: string;
    run: string;
    profile: string;
    /** `secret`: not a refusal; a masked secret's stand-in went toward a host it is not for. */
    denials: Array<{ host: string; port: number | null; at: string; count: number; secret?: string }>;
  }>;
  /** Hosts denied, with the lines that would allow them globally or for the profile alone. */
  suggestions: Array<{ host: string; profiles: string[]; global: string; perProfile: string[] }>;
}

export function denialReport(project: Project, taskId?: string): DenialReport {
  const store = project.store();
  if (taskId) requireTask(project, taskId);
  const runs = taskId ? store.runsOf(taskId) : store.allRuns();
  const report: DenialReport = { runs: [], suggestions: [] };
  const byHost = new Map<string, Set<string>>();
  for (const run of runs) {
    const denials = readDenials(run.runDir);
    if (denials.length === 0) continue;
    const grouped = new Map<
      string,
      { host: string; port: number | null; at: string; count: number; secret?: string }
    >();
    for (const d of denials) {
      const key = `${d.host}:${d.port ?? ""}:${d.secret ?? ""}`;
      const g = grouped.get(key);
      if (g) g.count++;
      else grouped.set(key, { ...d, count: 1 });
      // A stand-in that went elsewhere is no host to allow.
      if (d.secret) continue;
      const profiles = byHost.get(d.host) ?? new Set<string>();
      profiles.add(run.profile);
      byHost.set(d.host, profiles);
    }
    report.runs.push({ task: run.taskId, run: run.id, profile: run.profile, denials: [...grouped.values()] });
  }
  for (const [host, profiles] of byHost) {
    report.suggestions.push({
      host,
      profiles: [...profiles],
      global: `sandbox.allow_hosts: add "${host}"`,
      perProfile: [...profiles].map((p) => `agents.profiles.${p}.allow_hosts: add "${host}"`),
    });
  }
  return report;
}

/**
 * Per task (its latest run): requests the allowlist refused, and stand-ins of masked secrets sent
 * toward a host they are not for (not refused: the host got only the stand-in). For status, which
 * has the tasks already.
 */
export function sandboxEventCounts(
  project: Project,
  tasks: ReadonlyArray<{ id: string; attempt: number }>,
): Map<string, { denied: number; standIns: number }> {
  const out = new Map<string, { denied: number; standIns: number }>();
  const store = project.store();
  for (const t of tasks) {
    if (t.attempt === 0) continue;
    const run = store.latestRun(t.id);
    if (!run) continue;
    const all = readDenials(run.runDir);
    const standIns = all.filter((d) => d.secret).length;
    if (all.length > 0) out.set(t.id, { denied: all.length - standIns, standIns });
  }
  return out;
}

/** Both kinds together, one count per task (the dashboard's Denied column). */
export function denialCounts(
  project: Project,
  tasks: ReadonlyArray<{ id: string; attempt: number }>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, c] of sandboxEventCounts(project, tasks)) out.set(id, c.denied + c.standIns);
  return out;
}
