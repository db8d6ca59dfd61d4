/**
 * `launch --watch`: keep conducting. Each beat reconciles, starts what became ready, and
 * reports what changed, until nothing is running or ready, or the person interrupts.
 * Interrupting leaves running agents running: they live in their own tmux sessions.
 */
import type { TaskState } from "../core/states.js";
import { type LaunchOptions, type LaunchResult, launch } from "./launch.js";
import type { Project } from "./project.js";

export interface ConductEvents {
  onLaunch(result: LaunchResult): void;
  onChange(id: string, from: TaskState | undefined, to: TaskState, reason: string | null): void;
}

export async function conduct(
  project: Project,
  opts: LaunchOptions & { intervalMs?: number; signal?: AbortSignal },
  events: ConductEvents,
): Promise<{ states: Record<string, number> }> {
  const store = project.store();
  const interval = opts.intervalMs ?? 1000;
  let previous = new Map(store.tasks({ lean: true }).map((t) => [t.id, t.state]));
  let attempts = new Map(store.tasks({ lean: true }).map((t) => [t.id, t.attempt]));
  let first = true;
  for (;;) {
    if (opts.signal?.aborted) break;
    const result = await launch(project, first ? opts : { ...opts, tasks: [] });
    first = false;
    if (result.started.length > 0 || result.failed.length > 0) events.onLaunch(result);
    const tasks = store.tasks({ lean: true });
    for (const t of tasks) {
      const before = previous.get(t.id);
      const was = attempts.get(t.id);
      // A new attempt inside the same session: the person should see it even when the task
      // never looked anything but running between two beats.
      if (was !== undefined && was !== t.attempt && (before === "running" || before === "verifying")) {
        const cause =
          store
            .events(t.id)
            .filter((e) => e.to === "running")
            .at(-1)
            ?.cause.replace(/^attempt \d+: /, "") ?? "";
        events.onChange(
          t.id,
          before,
          "running",
          `attempt ${t.attempt} of ${project.config.max_attempts}${cause ? `: ${cause}` : ""}`,
        );
      }
      if (before !== t.state) events.onChange(t.id, before, t.state, t.reason);
    }
    previous = new Map(tasks.map((t) => [t.id, t.state]));
    attempts = new Map(tasks.map((t) => [t.id, t.attempt]));
    const live = store.liveRuns().length;
    const ready = tasks.filter((t) => t.state === "ready").length;
    if (live === 0 && ready === 0) break;
    // Ready tasks that cannot start (no slot, no profile) wait for a run to end.
    await new Promise<void>((resolve) => {
      // One listener per beat, removed when the beat ends: none pile up on the signal.
      const done = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, interval);
      opts.signal?.addEventListener("abort", done, { once: true });
    });
  }
  const states: Record<string, number> = {};
  for (const t of store.tasks({ lean: true })) states[t.state] = (states[t.state] ?? 0) + 1;
  return { states };
}
