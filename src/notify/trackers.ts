/**
 * Task sources' side of notify (issue 33): which tracker a source names, this Ballador's name
 * in claim markers, and the sending of the tracker outbox. A state change of an imported task
 * queues its write in the store's transaction (adapters/store/sources.ts); the process that made
 * the change sends it right after (watchTrackerWrites), and whatever fails is retried by the
 * next process that sends (a command that changes a state, a sync, launch --watch). Light on
 * purpose: the trackers' adapters load only when something is sent.
 */
import type { Tracker } from "../adapters/trackers/index.js";
import type { SourceConfig } from "../config/schema.js";
import type { Project } from "../project/index.js";
import type { WritesSent } from "./tracker-names.js";

export { instanceId, parseRemote, sourceConfig, type WritesSent } from "./tracker-names.js";

export async function openTracker(project: Project, name: string, cfg: SourceConfig): Promise<Tracker> {
  const m = await import("./tracker-open.js");
  return m.openTrackerNow(project, name, cfg);
}

/** Queues what the tasks' states call for (the claim, and any state not queued yet), then sends. */
export async function sendTrackerWrites(
  project: Project,
  name: string,
  tracker: Tracker,
): Promise<WritesSent> {
  const m = await import("./tracker-writes.js");
  m.queueStateWrites(project, name);
  return m.sendWrites(project, name, tracker);
}

/** Sends every pending write of every configured source; never throws (failures are kept). */
export async function flushTrackerWrites(project: Project): Promise<Array<WritesSent & { source: string }>> {
  const m = await import("./tracker-writes.js");
  return m.flushWrites(project);
}

const flushing = new Set<Promise<unknown>>();

/**
 * From now on, a state change this process makes to an imported task is told to its tracker
 * at once (after the store commits), one send at a time. `say` hears what could not be sent.
 */
export function watchTrackerWrites(project: Project, say: (text: string) => void = () => {}): void {
  if (Object.keys(project.config.sources.trackers).length === 0) return;
  let running: Promise<unknown> | null = null;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    again = false;
    const p = flushTrackerWrites(project)
      .then((all) => {
        for (const s of all)
          for (const f of s.failed)
            say(`source ${s.source}: not told yet (retried later): ${f.task} ${f.state}: ${f.error}`);
      })
      .catch((err: unknown) => say(`source writes: ${(err as Error).message}`))
      .finally(() => {
        flushing.delete(p);
        running = null;
        if (again) run();
      });
    running = p;
    flushing.add(p);
  };
  project.store().onSourceWriteQueued(run);
}

/** Resolves when every send this process began has ended (before it closes its store). */
export async function settleTrackerWrites(): Promise<void> {
  // A send may queue the next one as it ends; setImmediate lets a just-committed change signal.
  for (;;) {
    await new Promise((r) => setImmediate(r));
    if (flushing.size === 0) return;
    await Promise.all([...flushing]);
  }
}
