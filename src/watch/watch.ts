/**
 * `launch --watch`: keep conducting until nothing can become ready without the person (see
 * core/outlook.ts: work queued behind a review keeps it up), or the person interrupts.
 * Interrupting leaves running agents running: they live in their own tmux sessions.
 *
 * Event-driven: every change that matters (a run ends, a task becomes ready, a part is queued,
 * a slot frees) is a commit to the store by some Ballador process. The watcher sleeps until the
 * state folder changes (a file event on the database's WAL), confirms with SQLite's
 * data_version (one pragma read) that another process committed, and only then reads what
 * changed (tasks written since its mark, by index) and launches, and only if a ready task has a
 * free slot. What no commit announces (a tmux session killed from outside) is caught by a slow
 * periodic reconcile, the safety net.
 */
import { randomBytes } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import type { TaskRow } from "../adapters/store/index.js";
import { parseDuration } from "../core/duration.js";
import { newLaunchId } from "../core/ids.js";
import { type Outlook, outlook, stopWords } from "../core/outlook.js";
import type { TaskState } from "../core/states.js";
import { announceWatcher, claim, conflictKey, eventKey, Notifier, needsYouKey } from "../notify/index.js";
import { needsYouByTask } from "../observe/index.js";
import type { Project } from "../project/index.js";
import { UserError } from "../project/index.js";
import { type LaunchOptions, type LaunchResult, launch, reconcile } from "../run/index.js";

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

export interface ConductOptions extends LaunchOptions {
  signal?: AbortSignal;
  /** How often the world (tmux sessions, processes) is reconciled when no commit says anything. */
  reconcileMs?: number;
  /** A fallback look at data_version, should a file event be missed (network file systems). */
  pollMs?: number;
}

/** Wakes on any change in one folder, on a timeout, or on abort; never more than one waiter. */
class Waker {
  private watcher: FSWatcher | null = null;
  private wake: (() => void) | null = null;
  private pending = false;

  constructor(dir: string) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.fire());
      this.watcher.on("error", () => this.close());
    } catch {
      this.watcher = null; // no inotify here: the poll alone serves
    }
  }

  private fire(): void {
    if (this.wake) this.wake();
    else this.pending = true;
  }

  /** Resolves at the next change (or at once if one came since the last call), timeout or abort. */
  next(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.wake = null;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

export async function conduct(
  project: Project,
  opts: ConductOptions,
  events: ConductEvents,
): Promise<{ states: Record<string, number>; end: ConductEnd }> {
  const store = project.store();
  const reconcileMs = opts.reconcileMs ?? 10_000;
  const pollMs = opts.pollMs ?? 2000;
  const limit = Math.min(project.config.max_parallel, opts.max ?? Number.POSITIVE_INFINITY);
  const known = new Map<string, { state: TaskState; attempt: number }>();
  const remember = (rows: Iterable<TaskRow>) => {
    for (const t of rows) known.set(t.id, { state: t.state, attempt: t.attempt });
  };
  // The seq first: a change committed between the two reads is then seen twice, never missed.
  let seen = store.lastEventSeq();
  remember(store.tasks({ lean: true }));
  const notifier = new Notifier(project, events.onBell ?? null, events.onProblem);
  const waitKey = (id: string, a: { runId: string; since: string }) => needsYouKey(id, a.runId, a.since);
  let waiting = new Set([...needsYouByTask(project)].map(([id, a]) => waitKey(id, a)));

  // Conflicts already announced (kind, tasks, files), and whether work reached review since the
  // last look: only then can a new textual conflict appear among review branches or the base.
  const announced = new Set<string>();
  let reviewed = false;
  const conflicts = async () => {
    if (!reviewed || !project.config.notify.events.includes("conflict_predicted")) return;
    reviewed = false;
    try {
      const { predictConflicts } = await import("../verify/index.js");
      for (const c of (await predictConflicts(project)).conflicts) {
        if (c.kind !== "textual") continue; // overlapping scopes and files are warnings, not conflicts
        const key = conflictKey(c);
        if (announced.has(key)) continue;
        announced.add(key);
        // A supervisor that saw no watcher may have sent it already (outbox.ts).
        if (!claim(project.paths.stateDir, key)) continue;
        notifier.push({ event: "conflict_predicted", task: c.tasks[0], title: null, detail: c.message });
      }
    } catch (err) {
      events.onProblem?.(`conflict prediction: ${(err as Error).message}`);
    }
  };

  /** Reports what changed since the last look: the tasks with new events, by seq. */
  const report = () => {
    const changed = store.changedSince(seen);
    seen = changed.seq;
    const rows = [...store.leanTasks(changed.ids).values()].sort((a, b) => a.seq - b.seq);
    for (const t of rows) {
      const before = known.get(t.id);
      // A new attempt inside the same session: the person should see it even when the task
      // never looked anything but running between two looks. Said with its attempt, the move
      // back to running is then not said again as a plain state change.
      const retried =
        before !== undefined &&
        before.attempt !== t.attempt &&
        (before.state === "running" || before.state === "verifying");
      if (retried) {
        const cause =
          store
            .events(t.id)
            .filter((e) => e.to === "running")
            .at(-1)
            ?.cause.replace(/^attempt \d+: /, "") ?? "";
        events.onChange(
          t.id,
          before.state,
          "running",
          `attempt ${t.attempt} of ${project.config.max_attempts}${cause ? `: ${cause}` : ""}`,
        );
      }
      if (before?.state !== t.state) {
        if (t.state === "review") reviewed = true;
        if (!(retried && t.state === "running")) events.onChange(t.id, before?.state, t.state, t.reason);
        const kind = NOTIFIED[t.state];
        // Claimed by the key of the state change, so a supervisor that saw no watcher in the
        // moment this one ended does not send it too (see outbox.ts).
        const seq = kind
          ? store
              .events(t.id)
              .filter((e) => e.to === t.state)
              .at(-1)?.seq
          : undefined;
        if (kind && (seq === undefined || claim(project.paths.stateDir, eventKey(t.id, seq))))
          notifier.push({ event: kind, task: t.id, title: t.title, detail: t.reason });
      }
    }
    remember(rows);
    // An agent that began to wait for a person (its run records it; a commit woke us).
    const asks = needsYouByTask(project);
    for (const [id, a] of asks)
      if (!waiting.has(waitKey(id, a)) && claim(project.paths.stateDir, waitKey(id, a)))
        notifier.push({
          event: "needs_you",
          task: id,
          title: store.task(id)?.title ?? null,
          detail: a.asked,
        });
    waiting = new Set([...asks].map(([id, a]) => waitKey(id, a)));
  };

  // One downbeat for every wave: a launch budget counts them all, and once a supervisor finds
  // it spent no wave starts (what runs is stopped by its supervisor; ready tasks stay ready).
  const launchId = opts.launchId ?? newLaunchId(new Date(), randomBytes(3).toString("hex"));
  let spent = false;
  const beat = async (launchOpts: LaunchOptions) => {
    if (spent) return;
    try {
      const result = await launch(project, { ...launchOpts, launchId });
      if (result.started.length > 0 || result.failed.length > 0) events.onLaunch(result);
    } catch (err) {
      if (!(err instanceof UserError && err.code === "budget_spent")) throw err;
      spent = true;
      events.onProblem?.(`${err.message}; conducting goes on for what runs`);
    }
  };

  let last: Outlook | null = null;
  const waker = new Waker(project.paths.stateDir);
  // While this process conducts, supervisors leave their events to it (outbox.ts).
  let withdraw: (() => void) | null = announceWatcher(project.paths.stateDir);
  try {
    // The downbeat: reconcile, start what is ready, with the person's own options.
    let version = store.dataVersion();
    let lastReconcile = Date.now();
    // sync.every: pull request state through gh (a merge on the forge makes dependents ready).
    const syncMs = parseDuration(project.config.sync.every);
    let lastSync = 0;
    // Tasks in review whose pull request is open: with sync on, conducting waits for them too.
    let openPulls = 0;
    /** True when sync changed the store (our own commits do not move data_version). */
    const syncIfDue = async (): Promise<boolean> => {
      if (syncMs <= 0 || Date.now() - lastSync < syncMs) return false;
      lastSync = Date.now();
      try {
        const { sync } = await import("../deliver/index.js");
        const r = await sync(project);
        for (const w of r.warnings) events.onProblem?.(`sync: ${w}`);
        openPulls = r.pulls.filter((e) => e.state === "open" && e.taskState === "review").length;
        return r.merged.length > 0;
      } catch (err) {
        events.onProblem?.(`sync: ${(err as Error).message}`);
        return false;
      }
    };
    await syncIfDue();
    await beat(opts);
    report();
    await conflicts();
    // Done only when nothing can become ready without the person (core/outlook.ts); the whole
    // queue is read only once nothing runs and nothing is ready, the cheap checks first.
    const finished = () => {
      if (store.liveRuns().length > 0 || openPulls > 0) return false;
      if (!spent && (store.stateCounts().ready ?? 0) > 0) return false;
      const tasks = store.tasks({ lean: true }).map((t) => ({ id: t.id, state: t.state, needs: t.needs }));
      last = outlook(tasks, { stack: project.config.stack, canStart: !spent });
      return !last.goesOn;
    };
    let done = finished();
    while (!done && !opts.signal?.aborted) {
      const sinceReconcile = Date.now() - lastReconcile;
      const untilSync = syncMs > 0 ? syncMs - (Date.now() - lastSync) : Number.POSITIVE_INFINITY;
      await waker.next(Math.max(0, Math.min(pollMs, reconcileMs - sinceReconcile, untilSync)), opts.signal);
      if (opts.signal?.aborted) break;
      const synced = await syncIfDue();
      const due = Date.now() - lastReconcile >= reconcileMs;
      const now = store.dataVersion();
      // Our own commits and files other than the store wake us too: nothing to do for them.
      if (!due && !synced && now === version) continue;
      version = now;
      if (due) {
        await reconcile(project, { repair: true });
        lastReconcile = Date.now();
      }
      const ready = store.stateCounts().ready ?? 0;
      if (!spent && ready > 0 && store.liveRuns().length < limit)
        await beat({ ...opts, tasks: [], reconciled: true });
      report();
      await conflicts();
      done = finished();
    }
    // Withdrawn before the last look: whatever a supervisor left to this watcher, it sees now.
    withdraw();
    withdraw = null;
    report();
    await conflicts();
    if (done) {
      const counts = store.stateCounts();
      const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
      const settled = (counts.review ?? 0) + (counts.merged ?? 0) + (counts.abandoned ?? 0);
      if (total > 0 && settled === total)
        notifier.push({ event: "all_done", task: null, title: null, detail: `${total} tasks` });
    }
  } finally {
    withdraw?.();
    waker.close();
    await notifier.close();
  }
  const states: Record<string, number> = {};
  for (const [s, n] of Object.entries(store.stateCounts())) states[s] = n;
  return { states, end: ending(opts.signal?.aborted === true ? null : last) };
}

/** Why conducting ended: what `launch --watch` prints last (and its --json end event). */
export interface ConductEnd {
  /**
   * interrupted: Ctrl-C or SIGTERM; settled: every task merged or abandoned; reviews: only
   * reviews are left, nothing queued; waits-on-you: the rest waits on failed, blocked, stopped or
   * abandoned tasks, or on a spent budget.
   */
  why: "interrupted" | "settled" | "reviews" | "waits-on-you";
  /** For the person, one line each (plain: the face escapes them). */
  words: string[];
  stuck: Outlook["stuck"];
  halted: Outlook["halted"];
  review: string[];
}

function ending(o: Outlook | null): ConductEnd {
  if (!o) return { why: "interrupted", words: [], stuck: [], halted: [], review: [] };
  const rest = o.stuck.length + o.halted.length + o.ready.length + o.waiting.length;
  const why = o.settled ? "settled" : rest === 0 ? "reviews" : "waits-on-you";
  return { why, words: stopWords(o), stuck: o.stuck, halted: o.halted, review: o.review };
}
