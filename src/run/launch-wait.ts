/**
 * `launch --wait`: watches the store until each started run has provisioned (its agent started)
 * or failed, printing each step as the sessions report it. The sessions work in parallel; this
 * only watches.
 */
import { runFolder } from "../adapters/runfolder/index.js";
import { silentProgress } from "../core/progress.js";
import type { Project } from "../project/index.js";
import { tmuxFor } from "./launch-facts.js";
import type { LaunchOptions, LaunchResult, Started } from "./launch-types.js";
import { reconcile } from "./recover/index.js";

export async function awaitProvisioned(
  project: Project,
  result: LaunchResult,
  opts: LaunchOptions,
): Promise<void> {
  const pending = new Map(result.started.map((s) => [s.runId, s]));
  const phases = new Map<string, string | null>();
  const total = pending.size;
  const waiting = () => `waiting for ${pending.size} of ${total} agent session(s) to start`;
  const step = (opts.progress ?? silentProgress)("launch.wait", waiting());
  try {
    await watchProvisioning(project, result, opts, pending, phases, () => step.update(waiting()));
  } finally {
    step.end();
  }
}

async function watchProvisioning(
  project: Project,
  result: LaunchResult,
  opts: LaunchOptions,
  pending: Map<string, Started>,
  phases: Map<string, string | null>,
  /** Called each beat: the step's message follows how many are still pending. */
  changed: () => void,
): Promise<void> {
  let lastCheck = Date.now();
  while (pending.size > 0) {
    changed();
    noteProvisioned(project, result, opts, pending, phases);
    if (pending.size === 0) break;
    if (Date.now() - lastCheck > 2000) {
      lastCheck = Date.now();
      await reconcileDeadSessions(project, pending);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One look at the store: new phases are printed, runs past provisioning leave `pending`. */
function noteProvisioned(
  project: Project,
  result: LaunchResult,
  opts: LaunchOptions,
  pending: Map<string, Started>,
  phases: Map<string, string | null>,
): void {
  const store = project.store();
  for (const [runId, s] of pending) {
    const run = store.run(runId);
    if (!run) {
      pending.delete(runId);
      continue;
    }
    if (run.phase !== (phases.get(runId) ?? null) && run.phase) {
      opts.onProgress?.(`  ${s.id}: ${run.phase}`);
    }
    phases.set(runId, run.phase);
    if (run.status === "provisioning") continue;
    pending.delete(runId);
    if (run.status === "ended" && run.outcome === "launch-failed") {
      result.started = result.started.filter((x) => x.runId !== runId);
      result.failed.push({
        id: s.id,
        reason: run.detail ?? "launch failed",
        log: runFolder(run.runDir).host.launchLog,
      });
    }
  }
}

/** A session that died while provisioning (kill -9, a crash) is rolled back by reconcile. */
async function reconcileDeadSessions(project: Project, pending: Map<string, Started>): Promise<void> {
  const alive = new Set(
    (
      await tmuxFor(project)
        .listSessions()
        .catch(() => [])
    ).map((x) => x.name),
  );
  if ([...pending.values()].some((s) => !alive.has(s.session))) await reconcile(project, { repair: true });
}
