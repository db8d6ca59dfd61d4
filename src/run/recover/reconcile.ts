/**
 * Reconciling the store with the world after a crash. Observed facts (tmux sessions, processes,
 * worktrees) are compared with recorded claims (live runs, task states); what is certain is
 * repaired, the rest is reported.
 *
 * The repairs (rollback, a lost session's end, jj workspaces, a dead merge's leftovers) are
 * loaded when one is due, not with this module: `status` reconciles at every call and never
 * repairs, and their code (git, jj, run folders, the project's whole door) was most of what it
 * loaded (spec 0017).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../../adapters/process/shell.js";
import type { RunRow } from "../../adapters/store/index.js";
import { type SessionInfo, Tmux, TmuxMissingError } from "../../adapters/tmux/index.js";
import type { Project } from "../../project/index.js";

export interface ReconcileReport {
  repaired: string[];
  disagreements: string[];
}

async function sessionsOf(project: Project, liveRuns: number): Promise<SessionInfo[] | null> {
  const tmux = new Tmux({ socket: project.config.tmux_socket });
  // No live run and no server socket: no session to find, and no tmux process to ask (what
  // `status` pays on an idle queue). With live runs tmux is asked, so a missing tmux stays null.
  if (liveRuns === 0 && !existsSync(tmux.socketPath())) return [];
  try {
    return await tmux.listSessions();
  } catch (err) {
    if (err instanceof TmuxMissingError) return null;
    throw err;
  }
}

/**
 * A remote run: its runner is asked. Loaded only then: it brings the protocol's schemas (zod,
 * 95 files), which `status` and `next` would otherwise load at every call (spec 0006).
 */
async function reconcileRemote(
  project: Project,
  run: RunRow,
  relayAlive: boolean,
  opts: { repair: boolean },
  report: ReconcileReport,
): Promise<void> {
  const { reconcileRemoteRun } = await import("../remote/reconcile-remote.js");
  const line = await reconcileRemoteRun(project, run, relayAlive, opts.repair);
  if (line) (opts.repair ? report.repaired : report.disagreements).push(line);
}

async function rollBackInterrupted(project: Project, run: RunRow): Promise<string> {
  const { rollbackProvisioning } = await import("./rollback.js");
  const steps = await rollbackProvisioning(
    project,
    run,
    "launch: interrupted (the process provisioning it died)",
    "provisioning was interrupted",
  );
  return `${run.taskId}: interrupted launch rolled back${steps.length ? ` (${steps.join(", ")})` : ""}`;
}

/** A merge leaves its folder under merges/ while it runs: none there, none to look at. */
async function deadMerges(project: Project, opts: { repair: boolean }): Promise<string[]> {
  if (!existsSync(join(project.paths.stateDir, "merges"))) return [];
  const { reconcileMerges } = await import("../../project/index.js");
  return reconcileMerges(project.paths.root, project.paths.stateDir, opts.repair);
}

export async function reconcile(project: Project, opts: { repair: boolean }): Promise<ReconcileReport> {
  const store = project.store();
  const report: ReconcileReport = { repaired: [], disagreements: [] };
  (opts.repair ? report.repaired : report.disagreements).push(...(await deadMerges(project, opts)));
  const live = store.liveRuns();
  const sessions = await sessionsOf(project, live.length);
  const sessionNames = new Set((sessions ?? []).map((s) => s.name));

  for (const run of live) {
    if (run.runner) {
      // A remote run (spec 0013): its runner is asked, never guessed at from here.
      if (sessions !== null) await reconcileRemote(project, run, sessionNames.has(run.session), opts, report);
      continue;
    }
    if (run.status === "provisioning") {
      // Another launcher may be at work right now; only a dead launcher leaves a half-made run.
      if (run.supervisorPid !== process.pid && isAlive(run.supervisorPid)) continue;
      if (sessionNames.has(run.session)) continue; // the supervisor started; launch just did not record it
      if (!opts.repair) {
        report.disagreements.push(
          `run ${run.id} of ${run.taskId} was interrupted while provisioning (process ${run.supervisorPid} is gone)`,
        );
        continue;
      }
      report.repaired.push(await rollBackInterrupted(project, run));
      continue;
    }
    if (sessions === null || sessionNames.has(run.session)) continue;
    // The session is gone but the run never ended: its supervisor died with it.
    const what = `${run.taskId}: session ${run.session} of run ${run.id} is gone but the run never reported an end`;
    if (!opts.repair) {
      report.disagreements.push(`${what} (a run without a session)`);
      continue;
    }
    const { markLost } = await import("./lost.js");
    await markLost(project, run);
    report.repaired.push(`${what}; marked failed (agent)`);
  }

  const stillLive = store.liveRuns();
  const liveSessions = new Set(stillLive.map((r) => r.session));
  const stray = (sessions ?? []).filter((s) => !liveSessions.has(s.name));
  // Only the stray sessions' own runs are looked up (by index): linear in sessions, not in runs.
  const lastEnd = store.lastEndedBySession(stray.map((s) => s.name));
  for (const s of stray) {
    // Just ended runs close their session a moment later; give them a few seconds.
    if (Date.now() - (lastEnd.get(s.name) ?? 0) < 10_000) continue;
    report.disagreements.push(
      `tmux session ${s.name} has no live run (a session without a run); "ballador cleanup" closes it`,
    );
  }

  const liveTasks = new Set(store.liveRuns().map((r) => r.taskId));
  for (const t of store.tasks({ states: ["running", "verifying"], lean: true })) {
    if (t.state !== "running" && t.state !== "verifying") continue;
    if (liveTasks.has(t.id)) continue;
    if (!opts.repair) {
      report.disagreements.push(`${t.id} is ${t.state} but has no live run`);
      continue;
    }
    store.transition(t.id, "failed", {
      cause: "reconcile: no live run",
      actor: "reconcile",
      reason: "agent: the run ended without a result (crash)",
    });
    report.repaired.push(`${t.id}: was ${t.state} with no live run; marked failed`);
  }
  if (opts.repair) {
    const { reconcileJjWorkspaces } = await import("./jj-workspaces.js");
    report.repaired.push(...(await reconcileJjWorkspaces(project)));
  }
  return report;
}
