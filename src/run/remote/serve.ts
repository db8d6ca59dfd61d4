/**
 * `ballador __runner-serve run` (spec 0013): the runner's side of one remote run. It starts the
 * run (or finds it again), watches the runner's throwaway store and writes what happens as JSON
 * lines on stdout, and at the end pushes the task's branch to the one ref home reads.
 * `runner-serve status` answers whether a run is still live there, and its end.
 */
import { existsSync, readFileSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { git, resolveCommit } from "../../adapters/git/index.js";
import { readDenials, runFolder } from "../../adapters/runfolder/index.js";
import { sessionNameFor } from "../../adapters/tmux/index.js";
import type { TaskState } from "../../core/states.js";
import { branchFor, openProject, type Project } from "../../project/index.js";
import { VERSION } from "../../version.js";
import { stop } from "../lifecycle.js";
import { reconcile } from "../recover/index.js";
import { type RemoteEvent, type RunOrder, RunOrderSchema, runRefs } from "./protocol.js";
import { repoOf } from "./serve-continue.js";
import { RUNNER_SOCKET, runnerGitEnv, runnerRunDir, startOrFind } from "./serve-prepare.js";

const LIVE: readonly TaskState[] = ["queued", "ready", "running", "verifying"];

/** What the watcher has already said, so each fact goes out once. */
interface Cursor {
  event: number;
  verification: number;
  note: number;
  denial: number;
  phase: string | null | undefined;
  agent: boolean;
  needs: string | null;
}

export function parseOrder(text: string): RunOrder {
  const r = RunOrderSchema.safeParse(JSON.parse(text));
  if (!r.success)
    throw new Error(`invalid run order: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`);
  return r.data;
}

/** How often the store is looked at with no change seen, and how long a burst of writes is let settle. */
const LOOK_MS = 250;
const SETTLE_MS = 15;

/**
 * The next look at the store: after LOOK_MS, or soon after its folder changes (a write by the
 * run's supervisor: the agent's start goes home when it happens, not at the next tick).
 */
function storeWatcher(dir: string): { next(): Promise<void>; close(): void } {
  let dirty = false;
  let wake: (() => void) | null = null;
  let watcher: ReturnType<typeof watch> | null = null;
  try {
    watcher = watch(dir, () => {
      dirty = true;
      wake?.();
    });
    watcher.on("error", () => undefined);
  } catch {
    // No inotify here: the timer alone, as before.
  }
  return {
    next: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = null;
          dirty = false;
          resolve();
        };
        // Once: a stream of writes must not put the look off for ever.
        const soon = () => {
          wake = null;
          clearTimeout(timer);
          timer = setTimeout(done, SETTLE_MS);
        };
        let timer = setTimeout(done, LOOK_MS);
        if (dirty) soon();
        else wake = soon;
      }),
    close: () => watcher?.close(),
  };
}

/** Serves one order: streams events until the run ends there, then pushes and says its end. */
export async function serveRun(
  orderText: string | Promise<string>,
  emit: (e: RemoteEvent) => void,
): Promise<void> {
  const order = parseOrder(await orderText);
  const run = await startOrFind(order);
  const store = run.project.store();
  const first = store.runsOf(order.taskId).at(-1);
  emit({
    t: "hello",
    version: VERSION,
    socket: RUNNER_SOCKET,
    session: sessionNameFor(order.taskId),
    runDir: run.dir,
    sessionLog: first ? runFolder(first.runDir).host.sessionLog : join(run.dir, "none"),
    reattached: run.reattached,
  });
  if (run.note) emit({ t: "log", line: run.note.slice(0, 2000) });
  // A continued run shares the earlier run's store: what that one sent is not sent again.
  const cursor: Cursor = {
    event: Math.max(order.cursor.event, run.since.event),
    verification: Math.max(order.cursor.verification, run.since.verification),
    note: Math.max(order.cursor.note, run.since.note),
    denial: order.cursor.denial ?? 0,
    phase: undefined,
    agent: false,
    needs: null,
  };
  let last = Date.now();
  const looks = storeWatcher(run.project.paths.stateDir);
  try {
    for (;;) {
      const over = watchOnce(run.project, order.taskId, cursor, emit);
      if (over) break;
      // The runner's own safety net, every 5 s: a supervisor killed here ends its run as failed.
      if (Date.now() - last >= 20 * LOOK_MS) {
        last = Date.now();
        await reconcile(run.project, { repair: true }).catch(() => undefined);
      }
      await looks.next();
    }
  } finally {
    looks.close();
  }
  emit(await finish(run.project, order));
  run.project.close();
}

/** One look at the throwaway store: new facts out; true once the run is over. */
function watchOnce(project: Project, taskId: string, c: Cursor, emit: (e: RemoteEvent) => void): boolean {
  const store = project.store();
  const task = store.task(taskId);
  if (!task) return true;
  const run = store.runsOf(taskId).at(-1) ?? null;
  if (run && run.phase !== c.phase && run.status === "provisioning") {
    c.phase = run.phase;
    emit({ t: "phase", phase: run.phase });
  }
  if (run?.agentStartedAt && !c.agent) {
    c.agent = true;
    emit({ t: "agent", at: run.agentStartedAt });
  }
  const waiting = run?.waitingSince ?? null;
  if (waiting !== c.needs) {
    c.needs = waiting;
    emit({ t: "needs", since: waiting, what: run?.waitingFor?.slice(0, 2000) ?? null });
  }
  for (const n of store.notes(taskId).filter((n) => n.seq > c.note)) {
    c.note = n.seq;
    if (n.kind === "note" || n.kind === "summary" || n.kind === "blocked" || n.kind === "system")
      emit({ t: "note", seq: n.seq, kind: n.kind, text: n.text.slice(0, 8000) });
  }
  for (const v of store.verifications(taskId).filter((v) => v.seq > c.verification)) {
    c.verification = v.seq;
    if (v.kind !== "clean") continue;
    const tail = v.tail?.slice(-8000) ?? null;
    emit({
      t: "verify",
      seq: v.seq,
      commit: v.commit,
      command: v.command,
      passed: v.passed,
      exitCode: v.exitCode,
      ms: v.ms,
      tail,
    });
  }
  if (run) sendDenials(run.runDir, c, emit);
  for (const e of store.events(taskId).filter((e) => e.seq > c.event)) {
    c.event = e.seq;
    if (e.to === "queued" || e.to === "ready") continue;
    const reason = e.to === task.state ? task.reason : null;
    emit({
      t: "state",
      seq: e.seq,
      state: e.to,
      cause: e.cause.slice(0, 500),
      reason: reason?.slice(0, 4000) ?? null,
    });
  }
  return !LIVE.includes(task.state) && store.liveRuns().every((r) => r.taskId !== taskId);
}

/** The runner's proxy's denials go home, each once (its seq is its line in denials.jsonl). */
function sendDenials(runDir: string, c: Cursor, emit: (e: RemoteEvent) => void): void {
  const all = readDenials(runDir);
  for (let i = c.denial; i < all.length; i++) {
    const d = all[i];
    c.denial = i + 1;
    if (!d || typeof d.host !== "string") continue;
    emit({
      t: "denial",
      seq: i + 1,
      host: d.host.slice(0, 255),
      port: typeof d.port === "number" ? d.port : null,
      at: String(d.at).slice(0, 40),
      ...(typeof d.secret === "string" ? { secret: d.secret } : {}),
    });
  }
}

/** The run is over here: the branch goes to its one ref (Ballador's push, never the agent's). */
async function finish(project: Project, order: RunOrder): Promise<RemoteEvent> {
  const store = project.store();
  const task = store.task(order.taskId);
  const last = store.runsOf(order.taskId).at(-1);
  const branch = branchFor(project.config, order.taskId);
  const commit = await resolveCommit(project.paths.root, `refs/heads/${branch}`);
  let pushed: string | null = null;
  if (commit) {
    const ref = runRefs(order.runId).result;
    await git(["push", "-q", "--no-verify", "--", order.remote, `+${commit}:${ref}`], {
      cwd: project.paths.root,
      env: await runnerGitEnv(order),
    });
    pushed = commit;
  }
  const end: RemoteEvent = {
    t: "end",
    state: task?.state ?? "failed",
    reason: task?.reason?.slice(0, 4000) ?? (task ? null : "the runner lost the task"),
    outcome: (last?.outcome ?? "ended").slice(0, 200),
    commit: pushed,
  };
  writeFileSync(join(runnerRunDir(order.root, order.runId), "end.json"), JSON.stringify(end));
  return end;
}

/** `runner-serve status`: live, ended (with its end), or unknown on this runner. */
export async function runStatus(root: string, runId: string): Promise<Record<string, unknown>> {
  const dir = runnerRunDir(root, runId);
  if (!existsSync(join(dir, "order.json"))) return { run: runId, known: false };
  const endFile = join(dir, "end.json");
  if (existsSync(endFile))
    return { run: runId, known: true, live: false, end: JSON.parse(readFileSync(endFile, "utf8")) };
  const project = await openProject(repoOf(dir));
  try {
    await reconcile(project, { repair: true });
    const order = JSON.parse(readFileSync(join(dir, "order.json"), "utf8")) as { taskId: string };
    const task = project.store().task(order.taskId);
    const live =
      task !== null &&
      (LIVE.includes(task.state) ||
        project
          .store()
          .liveRuns()
          .some((r) => r.taskId === task.id));
    if (live) return { run: runId, known: true, live, state: task?.state ?? null };
    // Over, but the runner-serve that would have pushed it is gone: its end is made now.
    const full = { ...(JSON.parse(readFileSync(join(dir, "order.json"), "utf8")) as RunOrder), root };
    return { run: runId, known: true, live: false, end: await finish(project, full) };
  } finally {
    project.close();
  }
}

/** `runner-serve stop`: the person stopped the task at home; its run here stops the same way. */
export async function stopRun(root: string, runId: string): Promise<void> {
  const dir = runnerRunDir(root, runId);
  const order = JSON.parse(readFileSync(join(dir, "order.json"), "utf8")) as { taskId: string };
  const project = await openProject(repoOf(dir));
  try {
    await stop(project, order.taskId, "runner");
  } finally {
    project.close();
  }
}
