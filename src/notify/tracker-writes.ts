/**
 * Sending the tracker outbox: notifications of Ballador's states, never the claim itself (the
 * store's one-live-run-per-task transaction is the claim). A state change queues its write in
 * its own transaction (adapters/store/sources.ts); a sync also queues the claim of each issue it
 * imported and, for a state changed before this existed, the write the state calls for. Pending
 * writes go out oldest first, a task's in the order its states came (a later one waits while an
 * earlier one is unsent), each leased to one sender. A failure is recorded and retried by the
 * next sender, never fatal. Each write sent becomes a note on the task, so `show` and the brief
 * say what the tracker was told.
 */
import type { SourceWrite, TaskRow } from "../adapters/store/index.js";
import type { Tracker, TrackerWrite, WriteState } from "../adapters/trackers/index.js";
import { cleanBlock, cleanLine, STATE_WRITE } from "../core/sources.js";
import type { Project } from "../project/index.js";
import { instanceId, sourceConfig, type WritesSent } from "./tracker-names.js";
import { openTrackerNow } from "./tracker-open.js";

/** Give up on a write after this many failures (it stays in show with its last error). */
const MAX_ATTEMPTS = 20;
/** How long a sender holds a write: one that died lets it go after this. */
const LEASE_MS = 120_000;

function textFor(
  project: Project,
  task: TaskRow,
  state: WriteState,
  pr: string | null,
  reason: string | null,
) {
  const who = `Ballador (${instanceId(project)})`;
  if (state === "claimed" || state === "running") return "";
  if (state === "review") {
    const summary = [...project.store().notes(task.id)].reverse().find((n) => n.kind === "summary")?.text;
    const quoted = summary
      ? `\n\nThe agent's summary, in its own words:\n\n${cleanBlock(summary, 1500)
          .text.trim()
          .split("\n")
          .map((l) => `> ${l}`)
          .join("\n")}`
      : "";
    return `${who}: task ${task.id} is ready for review.${pr ? `\n\nPull request: ${pr}` : ""}${quoted}`;
  }
  if (state === "merged") return `${who}: task ${task.id} is merged.${pr ? ` Pull request: ${pr}` : ""}`;
  return `${who}: task ${task.id} is ${state}${reason ? `: ${cleanLine(reason, 500)}` : "."}`;
}

/**
 * What the tracker is told, made when it is sent (the pull request or summary may have come
 * since the state changed); the reason is the one recorded with the state change. A row queued
 * by an older Ballador carries its words already.
 */
function writeOf(project: Project, w: SourceWrite): Omit<TrackerWrite, "instance"> {
  const payload = JSON.parse(w.payload) as {
    reason?: string | null;
    text?: string;
    url?: string | null;
    close?: boolean;
  };
  const state = w.state as WriteState;
  if (payload.text !== undefined)
    return { state, text: payload.text, url: payload.url ?? null, close: payload.close === true };
  const store = project.store();
  const task = store.task(w.taskId);
  const pr =
    state === "review" || state === "merged"
      ? (store
          .artifacts(w.taskId)
          .filter((a) => a.kind === "pull-request")
          .at(-1)?.value ?? null)
      : null;
  const cfg = project.config.sources.trackers[w.source];
  return {
    state,
    text: task ? textFor(project, task, state, pr, payload.reason ?? null) : "",
    url: pr,
    close: state === "merged" && (cfg?.close_on ?? "merged") === "merged",
  };
}

/**
 * Queues the claim of each imported issue, and the write of a state that has none yet (a state
 * changed before its task was linked, or by a Ballador that did not queue at the change).
 */
export function queueStateWrites(project: Project, name: string): void {
  const cfg = sourceConfig(project, name);
  const store = project.store();
  for (const item of store.sourceItems(name)) {
    if (item.gone !== null) continue;
    const task = store.task(item.taskId);
    if (!task) continue;
    const base = { taskId: task.id, source: name, ref: item.ref };
    if (cfg.claim !== false)
      store.queueSourceWrite({ ...base, key: `${task.id}:claimed`, state: "claimed", payload: "{}" });
    const state = STATE_WRITE[task.state];
    // Abandoned is told when a person (not the tracker) abandons: at the change only.
    if (!state || state === "abandoned") continue;
    store.queueSourceWrite({
      ...base,
      key: `${task.id}:${state}`,
      state,
      payload: JSON.stringify({ reason: task.reason }),
    });
  }
}

/** One write to the tracker; true when sent. */
async function sendOne(project: Project, name: string, tracker: Tracker, w: SourceWrite, out: WritesSent) {
  const store = project.store();
  const write = writeOf(project, w);
  try {
    await tracker.mark(w.ref, { ...write, instance: instanceId(project) });
    store.sourceWriteDone(w.key, null);
    const key = store.sourceItem(w.taskId)?.key ?? w.ref;
    store.addNote(
      w.taskId,
      null,
      "system",
      `source ${name}: told issue ${key}: ${w.state}${write.close ? " (closed)" : ""}`,
    );
    out.sent.push({ task: w.taskId, state: w.state });
    return true;
  } catch (err) {
    const error = cleanLine(err instanceof Error ? err.message : String(err), 500);
    store.sourceWriteDone(w.key, error);
    out.failed.push({ task: w.taskId, state: w.state, error });
    return false;
  }
}

/**
 * Sends a source's pending writes, oldest first, a task's in order; then looks again, for
 * writes queued meanwhile (a supervisor's, while this sender held the one before it).
 */
export async function sendWrites(project: Project, name: string, tracker: Tracker): Promise<WritesSent> {
  const store = project.store();
  const out: WritesSent = { sent: [], failed: [] };
  const tried = new Set<string>();
  /** Tasks whose write failed here: their later ones wait, so the tracker sees states in order. */
  const failedTasks = new Set<string>();
  for (let pass = 0; pass < 5; pass++) {
    const held = new Set(failedTasks);
    let progressed = false;
    for (const w of store.pendingSourceWrites(name)) {
      if (tried.has(w.key) || held.has(w.taskId)) continue;
      if (w.attempts >= MAX_ATTEMPTS) continue;
      // Another process (launch --watch, a supervisor, a person's command) may be sending it now.
      if (!store.leaseSourceWrite(w.key, LEASE_MS)) {
        held.add(w.taskId);
        continue;
      }
      tried.add(w.key);
      progressed = true;
      if (!(await sendOne(project, name, tracker, w, out))) {
        failedTasks.add(w.taskId);
        held.add(w.taskId);
      }
    }
    if (!progressed) break;
  }
  return out;
}

/** Every configured source with writes pending: its tracker opened and the writes sent. */
export async function flushWrites(project: Project): Promise<Array<WritesSent & { source: string }>> {
  const out: Array<WritesSent & { source: string }> = [];
  const store = project.store();
  for (const name of store.sourcesWithPendingWrites(MAX_ATTEMPTS)) {
    const cfg = project.config.sources.trackers[name];
    if (!cfg) continue; // a source removed from the config: its writes wait for it
    try {
      const tracker = await openTrackerNow(project, name, cfg);
      out.push({ source: name, ...(await sendWrites(project, name, tracker)) });
    } catch (err) {
      const error = cleanLine((err as Error).message, 500);
      out.push({ source: name, sent: [], failed: [{ task: "*", state: "*", error }] });
    }
  }
  return out;
}
