/**
 * Writes to the tracker: notifications of Ballador's states, never the claim itself (the store's
 * one-live-run-per-task transaction is the claim). Each sync looks at the committed state of
 * every imported task and queues the write that state calls for, keyed by task and state, in
 * the store's tracker outbox (so it is queued once, whoever syncs); then sends what is pending,
 * in order. A failure is recorded and retried at the next sync, never fatal. Each write sent
 * becomes a note on the task, so `show` and the brief say what the tracker was told.
 */
import type { TaskRow } from "../../adapters/store/index.js";
import { type Tracker, TrackerError, type WriteState } from "../../adapters/trackers/index.js";
import { cleanBlock, cleanLine } from "../../core/sources.js";
import type { TaskState } from "../../core/states.js";
import type { Project } from "../../project/index.js";
import { instanceId, sourceConfig } from "./tracker.js";

/** Give up on a write after this many failures (it stays in show with its last error). */
const MAX_ATTEMPTS = 20;

const STATE_WRITE: Partial<Record<TaskState, WriteState>> = {
  running: "running",
  verifying: "running",
  review: "review",
  merged: "merged",
  blocked: "blocked",
  failed: "failed",
};

function textFor(project: Project, task: TaskRow, state: WriteState, pr: string | null): string {
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
  return `${who}: task ${task.id} is ${state}${task.reason ? `: ${cleanLine(task.reason, 500)}` : "."}`;
}

/** Queues what the tasks' committed states call for (each key once, ever). */
function queueWrites(project: Project, name: string): void {
  const cfg = sourceConfig(project, name);
  const store = project.store();
  for (const item of store.sourceItems(name)) {
    if (item.gone !== null) continue;
    const task = store.task(item.taskId);
    if (!task) continue;
    const base = { taskId: task.id, source: name, ref: item.ref };
    if (cfg.claim !== false)
      store.queueSourceWrite({
        ...base,
        key: `${task.id}:claimed`,
        state: "claimed",
        payload: JSON.stringify({ text: "", url: null, close: false }),
      });
    const state = STATE_WRITE[task.state];
    if (!state) continue;
    const pr =
      state === "review" || state === "merged"
        ? (store
            .artifacts(task.id)
            .filter((a) => a.kind === "pull-request")
            .at(-1)?.value ?? null)
        : null;
    const payload = {
      text: textFor(project, task, state, pr),
      url: pr,
      close: state === "merged" && (cfg.close_on ?? "merged") === "merged",
    };
    store.queueSourceWrite({ ...base, key: `${task.id}:${state}`, state, payload: JSON.stringify(payload) });
  }
}

export async function sendWrites(
  project: Project,
  name: string,
  tracker: Tracker,
): Promise<{
  sent: Array<{ task: string; state: string }>;
  failed: Array<{ task: string; state: string; error: string }>;
}> {
  queueWrites(project, name);
  const store = project.store();
  const sent: Array<{ task: string; state: string }> = [];
  const failed: Array<{ task: string; state: string; error: string }> = [];
  for (const w of store.pendingSourceWrites(name)) {
    // Another sync (launch --watch and a person's source sync) may be sending it right now.
    if (w.attempts >= MAX_ATTEMPTS || !store.leaseSourceWrite(w.key, 120_000)) continue;
    const payload = JSON.parse(w.payload) as { text: string; url: string | null; close: boolean };
    try {
      await tracker.mark(w.ref, { state: w.state as WriteState, instance: instanceId(project), ...payload });
      store.sourceWriteDone(w.key, null);
      const key = store.sourceItem(w.taskId)?.key ?? w.ref;
      store.addNote(
        w.taskId,
        null,
        "system",
        `source ${name}: told issue ${key}: ${w.state}${payload.close ? " (closed)" : ""}`,
      );
      sent.push({ task: w.taskId, state: w.state });
    } catch (err) {
      const error = cleanLine(
        err instanceof TrackerError || err instanceof Error ? err.message : String(err),
        500,
      );
      store.sourceWriteDone(w.key, error);
      failed.push({ task: w.taskId, state: w.state, error });
    }
  }
  return { sent, failed };
}
