/**
 * `launch --watch`: keep conducting. Each beat reconciles, starts what became ready, and
 * reports what changed, until nothing is running or ready, or the person interrupts.
 * Interrupting leaves running agents running: they live in their own tmux sessions.
 */
import type { TaskState } from "../core/states.js";
import { type LaunchOptions, type LaunchResult, launch } from "./launch.js";
import { needsYouByTask } from "./needs-you.js";
import { Notifier } from "./notify.js";
import type { Project } from "./project.js";

export interface ConductEvents {
  onLaunch(result: LaunchResult): void;
  onChange(id: string, from: TaskState | undefined, to: TaskState, reason: string | null): void;
  /** notify.bell: the face rings its terminal's bell with this (escaped) text. */
  onBell?(text: string): void;
  /** A notification channel that failed. */
  onProblem?(text: string): void;
}

const NOTIFIED: Partial<Record<TaskState, "review" | "failed" | "blocked">> = {
  review: "review",
  failed: "failed",
  blocked: "blocked",
};

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
  const notifier = new Notifier(project, events.onBell ?? null, events.onProblem);
  let waiting = new Set(needsYouByTask(project).keys());
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
      if (before !== t.state) {
        events.onChange(t.id, before, t.state, t.reason);
        const kind = NOTIFIED[t.state];
        if (kind) notifier.push({ event: kind, task: t.id, title: t.title, detail: t.reason });
      }
    }
    const asks = needsYouByTask(project);
    for (const [id, a] of asks)
      if (!waiting.has(id))
        notifier.push({
          event: "needs_you",
          task: id,
          title: tasks.find((t) => t.id === id)?.title ?? null,
          detail: a.asked,
        });
    waiting = new Set(asks.keys());
    previous = new Map(tasks.map((t) => [t.id, t.state]));
    attempts = new Map(tasks.map((t) => [t.id, t.attempt]));
    const live = store.liveRuns().length;
    const ready = tasks.filter((t) => t.state === "ready").length;
    if (live === 0 && ready === 0) {
      if (tasks.length > 0 && tasks.every((t) => ["review", "merged", "abandoned"].includes(t.state)))
        notifier.push({ event: "all_done", task: null, title: null, detail: `${tasks.length} tasks` });
      break;
    }
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
  await notifier.close();
  const states: Record<string, number> = {};
  for (const t of store.tasks({ lean: true })) states[t.state] = (states[t.state] ?? 0) + 1;
  return { states };
}
