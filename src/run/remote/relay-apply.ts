/**
 * Home's side of a remote run's events (spec 0013): each checked line becomes a store write in
 * the run's name, and the end adopts the pushed branch through a quarantine ref. Everything
 * here came from another machine where an agent ran: data, never instructions.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git, isAncestor, objectType, resolveCommit, updateRef } from "../../adapters/git/index.js";
import { recordDenial, runFolder } from "../../adapters/runfolder/index.js";
import { gitSshEnv } from "../../adapters/ssh/index.js";
import type { TaskStore } from "../../adapters/store/index.js";
import type { TaskState } from "../../core/states.js";
import { type Project, verifyCommandFor } from "../../project/index.js";
import { verificationKey } from "../../verify/index.js";
import { remoteFile } from "./attach.js";
import { type RemoteEvent, runRefs } from "./protocol.js";
import { type RunnerEntry, shareOf } from "./ssh.js";

/** What the relay knows of its run while it applies events. */
export interface RelayRun {
  project: Project;
  store: TaskStore;
  runner: RunnerEntry;
  remote: string;
  runId: string;
  taskId: string;
  runDir: string;
  branch: string;
  /** The commit the runner started from (the base, or the task's branch when it existed). */
  startCommit: string;
  baseCommit: string;
  /** The runner's seqs applied so far (kept in relay.json: a reattach sends only what is new). */
  cursor: { event: number; verification: number; note: number; denial?: number };
  say: (line: string) => void;
}

/** The relay's own record in the (host-only) run folder: where the run started, what it applied. */
export function relayFile(runDir: string): string {
  return join(runDir, "relay.json");
}

export function readRelayState(runDir: string): { startCommit: string; cursor: RelayRun["cursor"] } | null {
  if (!existsSync(relayFile(runDir))) return null;
  return JSON.parse(readFileSync(relayFile(runDir), "utf8")) as {
    startCommit: string;
    cursor: RelayRun["cursor"];
  };
}

export function saveRelayState(r: RelayRun): void {
  const tmp = `${relayFile(r.runDir)}.tmp`;
  writeFileSync(tmp, JSON.stringify({ startCommit: r.startCommit, cursor: r.cursor }));
  renameSync(tmp, relayFile(r.runDir));
}

/** Whether an event of the runner's log was applied before (a reattach's replay); marks it applied. */
function fresh(r: RelayRun, kind: keyof RelayRun["cursor"], seq: number): boolean {
  if (seq <= (r.cursor[kind] ?? 0)) return false;
  r.cursor[kind] = seq;
  saveRelayState(r);
  return true;
}

function actor(r: RelayRun): string {
  return `runner:${r.runner.name}:${r.runId}`;
}

/** Moves the home task if it may move that way; a refused move is said, not thrown. */
function move(r: RelayRun, to: TaskState, cause: string, reason: string | null = null): void {
  const task = r.store.task(r.taskId);
  if (!task || task.state === to) return;
  try {
    r.store.transition(r.taskId, to, { cause, actor: actor(r), runId: r.runId, reason });
  } catch (err) {
    r.say(`not moved to ${to}: ${(err as Error).message}`);
  }
}

/** Applies one event short of the end; returns the end when it is one. */
export function applyEvent(r: RelayRun, e: RemoteEvent): Extract<RemoteEvent, { t: "end" }> | null {
  const { store, runId, taskId } = r;
  switch (e.t) {
    case "hello":
      writeFileSync(
        remoteFile(r.runDir),
        `${JSON.stringify({ runner: r.runner.name, socket: e.socket, session: e.session, runDir: e.runDir, sessionLog: e.sessionLog })}\n`,
      );
      r.say(
        `${e.reattached ? "reattached to" : "started on"} runner ${r.runner.name} (session ${e.session})`,
      );
      return null;
    case "phase":
      if (store.run(runId)?.status === "provisioning") store.updateRun(runId, { phase: e.phase ?? null });
      return null;
    case "agent":
      store.markRunStarted(runId);
      r.say(`the agent started on runner ${r.runner.name}`);
      return null;
    case "state":
      if (!fresh(r, "event", e.seq)) return null;
      if (e.state === "verifying") move(r, "verifying", `runner ${r.runner.name}: ${e.cause}`);
      else if (e.state === "running") move(r, "running", `runner ${r.runner.name}: ${e.cause}`);
      return null;
    case "note":
      if (fresh(r, "note", e.seq)) store.addNote(taskId, runId, e.kind, e.text);
      return null;
    case "verify":
      if (!fresh(r, "verification", e.seq)) return null;
      store.addVerification({
        taskId,
        runId,
        commit: e.commit,
        kind: "runner",
        command: e.command,
        passed: e.passed,
        exitCode: e.exitCode,
        ms: e.ms,
        detail: `the runner's clean verification (runner ${r.runner.name})`,
        tail: e.tail,
        key: null,
      });
      return null;
    case "needs":
      store.updateRun(runId, { waitingSince: e.since, waitingFor: e.what });
      return null;
    case "log":
      r.say(`runner: ${e.line}`);
      return null;
    case "denial":
      // Home's record, as a local run's: `sandbox denials`, `show` and the brief read it here.
      if (fresh(r, "denial", e.seq))
        recordDenial(r.runDir, {
          host: e.host,
          port: e.port,
          at: e.at,
          ...(e.secret !== undefined ? { secret: e.secret } : {}),
        });
      return null;
    case "end":
      return e;
  }
}

/**
 * The pushed branch comes home: fetched (objects checked) into a quarantine ref, then adopted
 * only when it is the commit the end names and descends from the commit the run started from;
 * the task branch moves by compare-and-swap. Returns why not, or null when adopted.
 */
export async function adopt(r: RelayRun, commit: string): Promise<string | null> {
  const root = r.project.paths.root;
  const quarantine = `refs/ballador/quarantine/${r.runId}`;
  const fetched = await git(
    [
      "-c",
      "transfer.fsckObjects=true",
      "fetch",
      "-q",
      "--no-tags",
      "--",
      r.remote,
      `+${runRefs(r.runId).result}:${quarantine}`,
    ],
    {
      cwd: root,
      allowFail: true,
      env: gitSshEnv(process.env, { dir: shareOf(r.project), remote: r.remote }),
    },
  );
  if (fetched.code !== 0) return `could not fetch the run's branch: ${fetched.stderr.trim().slice(0, 300)}`;
  try {
    const got = await resolveCommit(root, quarantine);
    if (got !== commit)
      return `the runner said ${commit.slice(0, 10)} but pushed ${got?.slice(0, 10) ?? "nothing"}`;
    if ((await objectType(root, got)) !== "commit") return "what was pushed is not a commit";
    if (!(await isAncestor(root, r.startCommit, got)))
      return `the pushed commit ${got.slice(0, 10)} does not descend from the commit the run started from`;
    const old = await resolveCommit(root, `refs/heads/${r.branch}`);
    if (old === got) return null;
    if (old && !(await isAncestor(root, old, got))) return `the branch ${r.branch} moved at home meanwhile`;
    const moved = await updateRef(
      root,
      `refs/heads/${r.branch}`,
      got,
      old,
      `ballador: adopt ${r.runId} from runner ${r.runner.name}`,
    );
    return moved ? null : `the branch ${r.branch} moved at home meanwhile`;
  } finally {
    await git(["update-ref", "-d", quarantine], { cwd: root, allowFail: true });
  }
}

/** A trusted runner's passing verdict counts at home: recorded with home's own key of the tree. */
export async function trustVerdict(r: RelayRun, commit: string): Promise<void> {
  if (r.runner.trusted_verify !== true) return;
  const passed = r.store
    .verifications(r.taskId)
    .filter((v) => v.runId === r.runId && v.kind === "runner")
    .at(-1);
  if (!passed?.passed || passed.commit !== commit) return;
  const task = r.store.task(r.taskId);
  if (!task) return;
  const config = r.project.config;
  const verify = await verifyCommandFor(r.project, task);
  const key = await verificationKey({
    repoRoot: r.project.paths.root,
    commit,
    projectBase: r.baseCommit,
    verify,
    bootstrap: config.bootstrap,
    copy: config.copy,
    inputs: config.verify_inputs,
  });
  r.store.addVerification({
    taskId: r.taskId,
    runId: r.runId,
    commit,
    kind: "clean",
    command: verify,
    passed: true,
    exitCode: 0,
    ms: passed.ms,
    detail: `verified on runner ${r.runner.name} (trusted_verify)`,
    key,
  });
}

/** A failure reason with the runner named after its kind ("verify: runner b: ..."). */
function placed(reason: string, where: string): string {
  const m = /^(launch|agent|verify|timeout): /.exec(reason);
  return m ? `${m[0]}${where}: ${reason.slice(m[0].length)}` : `agent: ${where}: ${reason}`;
}

/** The run's end at home: the task's final move, the run row ended, the folder marked. */
export function concludeRemote(
  r: RelayRun,
  end: Extract<RemoteEvent, { t: "end" }> | null,
  why: string | null,
): void {
  const where = `runner ${r.runner.name}`;
  const started = r.store.run(r.runId)?.agentStartedAt != null;
  if (why !== null || end === null) {
    move(
      r,
      "failed",
      `${where}: ${why ?? "no end"}`,
      `agent: ${where}: ${why ?? "the run ended without a result"}`,
    );
  } else if (end.state === "review") {
    move(r, "verifying", `${where}: verified there`);
    move(r, "review", `${where}: verified on the runner; merge verifies at home`);
  } else if (end.state === "blocked") {
    move(r, "blocked", `${where}: blocked`, end.reason);
  } else if (end.state !== "stopped" || r.store.task(r.taskId)?.state !== "stopped") {
    const to = end.state === "stopped" ? "stopped" : "failed";
    move(
      r,
      to,
      `${where}: ${end.outcome}`,
      placed(end.reason ?? `agent: the run ended as ${end.state}`, where),
    );
  }
  // Ended before its agent started: a launch that failed, as launch --wait reports it.
  const outcome = !started
    ? "launch-failed"
    : why !== null || end === null
      ? "session-lost"
      : `remote: ${end.outcome}`;
  r.store.endRun(r.runId, { outcome, detail: why ?? end?.reason ?? `on runner ${r.runner.name}` });
  writeFileSync(runFolder(r.runDir).host.ended, `${new Date().toISOString()}\n`);
}
