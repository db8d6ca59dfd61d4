/**
 * Reconciling a remote run whose relay is gone (spec 0013: home killed, the relay killed, its
 * session closed): the runner is asked over SSH. A run that ended there is adopted as the relay
 * would have; one still running gets its relay reopened (it reattaches: nothing runs twice); a
 * runner that cannot be asked, or does not know the run, fails it with the reason. A rerun
 * elsewhere is never started from here.
 */
import { z } from "zod";
import { isAlive } from "../../adapters/process/shell.js";
import { runFolder } from "../../adapters/runfolder/index.js";
import type { RunRow } from "../../adapters/store/index.js";
import { CLI_ENTRY, type Project } from "../../project/index.js";
import { tmuxFor } from "../launch-facts.js";
import { RemoteEventSchema } from "./protocol.js";
import { finishRemote, relayRunFor } from "./relay.js";
import { runnerNamed, sshRun } from "./ssh.js";

const StatusSchema = z.object({
  run: z.string().max(200),
  known: z.boolean(),
  live: z.boolean().optional(),
  state: z.string().max(40).nullable().optional(),
  end: RemoteEventSchema.optional(),
});

/** The environment a reopened relay needs to reach the runner as the first one did. */
const CARRIED = [
  "SSH_AUTH_SOCK",
  "BALLADOR_SSH_CONFIG",
  "BALLADOR_SSH_SHARE",
  "GIT_SSH_COMMAND",
  "BALLADOR_RUNNER_BALLADOR",
];

/** Ends the run; fails its task unless a person moved it meanwhile (as recover/end-run does). */
function lose(project: Project, run: RunRow, why: string): string {
  const store = project.store();
  store.endRun(run.id, { outcome: "session-lost", detail: why });
  const task = store.task(run.taskId);
  if (task && (task.state === "running" || task.state === "verifying"))
    store.transition(run.taskId, "failed", {
      cause: "reconcile: remote run lost",
      actor: "reconcile",
      reason: `agent: ${why}`,
      runId: run.id,
      detail: why,
    });
  return `${run.taskId}: ${why}; marked failed`;
}

/**
 * One remote run without its home session. Returns what was repaired (or, without `repair`,
 * the disagreement), or null when nothing is wrong.
 */
export async function reconcileRemoteRun(
  project: Project,
  run: RunRow,
  sessionAlive: boolean,
  repair: boolean,
): Promise<string | null> {
  if (sessionAlive) return null;
  if (run.supervisorPid !== process.pid && isAlive(run.supervisorPid)) return null;
  const where = `runner ${run.runner}`;
  if (!repair) return `${run.taskId}: run ${run.id} on ${where} has no relay at home (its session is gone)`;
  const runner = runnerNamed(project.config, run.runner as string);
  if (!runner)
    return lose(project, run, `${where} is no longer in the config; its run ${run.id} cannot be asked`);
  const asked = await sshRun(runner, ["__runner-serve", "status", runner.root, run.id], {
    timeoutMs: 60_000,
  });
  const last = asked.stdout.trim().split("\n").at(-1) ?? "";
  let parsed: z.infer<typeof StatusSchema> | null = null;
  try {
    const r = StatusSchema.safeParse(JSON.parse(last));
    parsed = r.success ? r.data : null;
  } catch {
    parsed = null;
  }
  if (asked.code !== 0 || !parsed)
    return lose(
      project,
      run,
      `${where} could not be asked about run ${run.id} (${asked.stderr.trim().split("\n").at(-1)?.slice(0, 300) || `exit ${asked.code}`})`,
    );
  if (!parsed.known) return lose(project, run, `${where} never started run ${run.id}`);
  if (parsed.live) {
    await reopenRelay(project, run);
    return `${run.taskId}: run ${run.id} still runs on ${where}; its relay reopened at home`;
  }
  const end = parsed.end?.t === "end" ? parsed.end : null;
  const r = relayRunFor(project, run.runDir, null);
  if (typeof r === "string") return lose(project, run, r);
  const problem = await finishRemote(r, end, end ? null : `${where} ended run ${run.id} without an end`);
  return `${run.taskId}: run ${run.id} ended on ${where} while home was away; ${problem ? `failed: ${problem}` : `adopted (${end?.state})`}`;
}

/** The relay's session again: it re-sends the order, and the runner reattaches. */
async function reopenRelay(project: Project, run: RunRow): Promise<void> {
  const env: Record<string, string> = {
    BALLADOR_RUN_DIR: run.runDir,
    BALLADOR_STATE_DIR: project.paths.stateDir,
  };
  for (const name of CARRIED) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  // The old relay's pid is dead: this process holds the run until the new relay records its own.
  project.store().updateRun(run.id, { supervisorPid: process.pid });
  await tmuxFor(project).newSession({
    name: run.session,
    cwd: project.paths.root,
    command: [process.execPath, CLI_ENTRY, "__runner-serve", "relay", run.runDir],
    env,
    logFile: runFolder(run.runDir).host.sessionLog,
  });
}
