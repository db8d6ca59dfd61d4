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

/**
 * Conducts until nothing can become ready without the person, or the signal aborts: the
 * downbeat, then one watch round per wake, then a last look once the watcher has withdrawn.
 */
export async function conduct(
  project: Project,
  opts: ConductOptions,
  events: ConductEvents,
): Promise<{ states: Record<string, number>; end: ConductEnd }> {
  const store = project.store();
  const session = new WatchSession(project, opts, events);
  try {
    let done = await session.downbeat();
    while (!done && !opts.signal?.aborted) {
      const round = await session.round();
      if (round === "aborted") break;
      done = round === "done";
    }
    await session.lastLook(done);
  } finally {
    await session.close();
  }
  const states: Record<string, number> = {};
  for (const [s, n] of Object.entries(store.stateCounts())) states[s] = n;
  return { states, end: ending(opts.signal?.aborted === true ? null : session.last) };
}

/** One `launch --watch`: what it has seen and said, and its stages of a round. */
class WatchSession {
  private readonly store: ReturnType<Project["store"]>;
  private readonly reconcileMs: number;
  private readonly pollMs: number;
  private readonly limit: number;
  private readonly known = new Map<string, { state: TaskState; attempt: number }>();
  /** The store's event seq up to which changes were reported. */
  private seen: number;
  private readonly notifier: Notifier;
  /** The needs-you asks already known (keys), so each is pushed once. */
  private waiting: Set<string>;
  /**
   * Conflicts already announced (kind, tasks, files), and whether work reached review since the
   * last look: only then can a new textual conflict appear among review branches or the base.
   */
  private readonly announced = new Set<string>();
  private reviewed = false;
  /**
   * One downbeat for every wave: a launch budget counts them all, and once a supervisor finds
   * it spent no wave starts (what runs is stopped by its supervisor; ready tasks stay ready).
   */
  private readonly launchId: string;
  private spent = false;
  /** The outlook of the last look that found conducting finished (or not). */
  last: Outlook | null = null;
  private readonly waker: Waker;
  /** While this process conducts, supervisors leave their events to it (outbox.ts). */
  private withdraw: (() => void) | null;
  private version = 0;
  private lastReconcile = 0;
  /** sync.every: pull request state through gh (a merge on the forge makes dependents ready). */
  private syncMs = 0;
  private lastSync = 0;
  /** Tasks in review whose pull request is open: with sync on, conducting waits for them too. */
  private openPulls = 0;
  /** sources.every with trackers configured: their issues become parts (issue 33). */
  private sourcesMs = 0;
  private lastSources = 0;

  constructor(
    private readonly project: Project,
    private readonly opts: ConductOptions,
    private readonly events: ConductEvents,
  ) {
    this.store = project.store();
    this.reconcileMs = opts.reconcileMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 2000;
    this.limit = Math.min(project.config.max_parallel, opts.max ?? Number.POSITIVE_INFINITY);
    // The seq first: a change committed between the two reads is then seen twice, never missed.
    this.seen = this.store.lastEventSeq();
    this.remember(this.store.tasks({ lean: true }));
    this.notifier = new Notifier(project, events.onBell ?? null, events.onProblem);
    this.waiting = new Set([...needsYouByTask(project)].map(([id, a]) => waitKey(id, a)));
    this.launchId = opts.launchId ?? newLaunchId(new Date(), randomBytes(3).toString("hex"));
    this.waker = new Waker(project.paths.stateDir);
    this.withdraw = announceWatcher(project.paths.stateDir);
  }

  /** The downbeat: reconcile, start what is ready, with the person's own options. True: finished. */
  async downbeat(): Promise<boolean> {
    this.version = this.store.dataVersion();
    this.lastReconcile = Date.now();
    this.syncMs = parseDuration(this.project.config.sync.every);
    const sources = this.project.config.sources;
    this.sourcesMs = Object.keys(sources.trackers).length > 0 ? parseDuration(sources.every) : 0;
    await this.sourcesIfDue();
    await this.syncIfDue();
    await this.beat(this.opts);
    this.report();
    await this.conflicts();
    return this.finished();
  }

  /**
   * One round: sleep until the store changes (or a reconcile or sync is due), then reconcile,
   * start what became ready, say what changed, and look whether conducting is finished.
   */
  async round(): Promise<"aborted" | "idle" | "goes-on" | "done"> {
    const { opts, store } = this;
    const sinceReconcile = Date.now() - this.lastReconcile;
    const until = (ms: number, last: number) =>
      ms > 0 ? ms - (Date.now() - last) : Number.POSITIVE_INFINITY;
    await this.waker.next(
      Math.max(
        0,
        Math.min(
          this.pollMs,
          this.reconcileMs - sinceReconcile,
          until(this.syncMs, this.lastSync),
          until(this.sourcesMs, this.lastSources),
        ),
      ),
      opts.signal,
    );
    if (opts.signal?.aborted) return "aborted";
    const imported = await this.sourcesIfDue();
    const synced = (await this.syncIfDue()) || imported;
    const due = Date.now() - this.lastReconcile >= this.reconcileMs;
    const now = store.dataVersion();
    // Our own commits and files other than the store wake us too: nothing to do for them.
    if (!due && !synced && now === this.version) return "idle";
    this.version = now;
    if (due) {
      await reconcile(this.project, { repair: true });
      this.lastReconcile = Date.now();
    }
    const ready = store.stateCounts().ready ?? 0;
    // max_parallel bounds this machine's runs; with runners, the launch itself sees their slots.
    const local = store.liveRuns().filter((r) => r.runner === null).length;
    const runners = (this.project.config.runners ?? []).length > 0;
    if (!this.spent && ready > 0 && (local < this.limit || runners))
      await this.beat({ ...opts, tasks: [], reconciled: true });
    this.report();
    await this.conflicts();
    return this.finished() ? "done" : "goes-on";
  }

  /** Withdrawn before the last look: whatever a supervisor left to this watcher, it sees now. */
  async lastLook(done: boolean): Promise<void> {
    this.withdraw?.();
    this.withdraw = null;
    // The states reached since the last sync reach the tracker before conducting ends.
    if (this.sourcesMs > 0) {
      this.lastSources = 0;
      await this.sourcesIfDue();
    }
    this.report();
    await this.conflicts();
    if (!done) return;
    const counts = this.store.stateCounts();
    const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    const settled = (counts.review ?? 0) + (counts.merged ?? 0) + (counts.abandoned ?? 0);
    if (total > 0 && settled === total)
      this.notifier.push({ event: "all_done", task: null, title: null, detail: `${total} tasks` });
  }

  async close(): Promise<void> {
    this.withdraw?.();
    this.waker.close();
    await this.notifier.close();
  }

  private remember(rows: Iterable<TaskRow>): void {
    for (const t of rows) this.known.set(t.id, { state: t.state, attempt: t.attempt });
  }

  /** True when sync changed the store (our own commits do not move data_version). */
  private async syncIfDue(): Promise<boolean> {
    if (this.syncMs <= 0 || Date.now() - this.lastSync < this.syncMs) return false;
    this.lastSync = Date.now();
    try {
      const { sync } = await import("../deliver/index.js");
      const r = await sync(this.project);
      for (const w of r.warnings) this.events.onProblem?.(`sync: ${w}`);
      this.openPulls = r.pulls.filter((e) => e.state === "open" && e.taskState === "review").length;
      return r.merged.length > 0;
    } catch (err) {
      this.events.onProblem?.(`sync: ${(err as Error).message}`);
      return false;
    }
  }

  /** Every source's sync when due; true when it queued, updated or abandoned tasks. */
  private async sourcesIfDue(): Promise<boolean> {
    if (this.sourcesMs <= 0 || Date.now() - this.lastSources < this.sourcesMs) return false;
    this.lastSources = Date.now();
    const { syncAllSources } = await import("../plan/index.js");
    let changed = false;
    for (const s of await syncAllSources(this.project)) {
      if (s.error) this.events.onProblem?.(`source ${s.source}: ${s.error}`);
      for (const w of s.result?.writes.failed ?? [])
        this.events.onProblem?.(`source ${s.source}: ${w.task} ${w.state} not written yet: ${w.error}`);
      const r = s.result;
      if (r && r.inserted.length + r.updated.length + r.abandoned.length > 0) changed = true;
    }
    return changed;
  }

  /** A launch wave; a spent budget stops the waves, not the conducting. */
  private async beat(launchOpts: LaunchOptions): Promise<void> {
    if (this.spent) return;
    try {
      const result = await launch(this.project, { ...launchOpts, launchId: this.launchId });
      if (result.started.length > 0 || result.failed.length > 0) this.events.onLaunch(result);
    } catch (err) {
      if (!(err instanceof UserError && err.code === "budget_spent")) throw err;
      this.spent = true;
      this.events.onProblem?.(`${err.message}; conducting goes on for what runs`);
    }
  }

  /**
   * Done only when nothing can become ready without the person (core/outlook.ts); the whole
   * queue is read only once nothing runs and nothing is ready, the cheap checks first.
   */
  private finished(): boolean {
    const store = this.store;
    if (store.liveRuns().length > 0 || this.openPulls > 0) return false;
    if (!this.spent && (store.stateCounts().ready ?? 0) > 0) return false;
    const tasks = store.tasks({ lean: true }).map((t) => ({ id: t.id, state: t.state, needs: t.needs }));
    this.last = outlook(tasks, { stack: this.project.config.stack, canStart: !this.spent });
    return !this.last.goesOn;
  }

  /** Reports what changed since the last look: the tasks with new events, by seq; then new asks. */
  private report(): void {
    const changed = this.store.changedSince(this.seen);
    this.seen = changed.seq;
    const rows = [...this.store.leanTasks(changed.ids).values()].sort((a, b) => a.seq - b.seq);
    for (const t of rows) this.reportTask(t);
    this.remember(rows);
    this.reportAsks();
  }

  private reportTask(t: TaskRow): void {
    const store = this.store;
    const before = this.known.get(t.id);
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
      this.events.onChange(
        t.id,
        before.state,
        "running",
        `attempt ${t.attempt} of ${this.project.config.max_attempts}${cause ? `: ${cause}` : ""}`,
      );
    }
    if (before?.state === t.state) return;
    if (t.state === "review") this.reviewed = true;
    if (!(retried && t.state === "running")) this.events.onChange(t.id, before?.state, t.state, t.reason);
    const kind = NOTIFIED[t.state];
    // Claimed by the key of the state change, so a supervisor that saw no watcher in the
    // moment this one ended does not send it too (see outbox.ts).
    const seq = kind
      ? store
          .events(t.id)
          .filter((e) => e.to === t.state)
          .at(-1)?.seq
      : undefined;
    if (kind && (seq === undefined || claim(this.project.paths.stateDir, eventKey(t.id, seq))))
      this.notifier.push({ event: kind, task: t.id, title: t.title, detail: t.reason });
  }

  /** An agent that began to wait for a person (its run records it; a commit woke us). */
  private reportAsks(): void {
    const asks = needsYouByTask(this.project);
    for (const [id, a] of asks)
      if (!this.waiting.has(waitKey(id, a)) && claim(this.project.paths.stateDir, waitKey(id, a)))
        this.notifier.push({
          event: "needs_you",
          task: id,
          title: this.store.task(id)?.title ?? null,
          detail: a.asked,
        });
    this.waiting = new Set([...asks].map(([id, a]) => waitKey(id, a)));
  }

  /** Textual conflicts among review branches and the base, each announced once (when asked for). */
  private async conflicts(): Promise<void> {
    const project = this.project;
    if (!this.reviewed || !project.config.notify.events.includes("conflict_predicted")) return;
    this.reviewed = false;
    try {
      const { predictConflicts } = await import("../verify/index.js");
      for (const c of (await predictConflicts(project)).conflicts) {
        if (c.kind !== "textual") continue; // overlapping scopes and files are warnings, not conflicts
        const key = conflictKey(c);
        if (this.announced.has(key)) continue;
        this.announced.add(key);
        // A supervisor that saw no watcher may have sent it already (outbox.ts).
        if (!claim(project.paths.stateDir, key)) continue;
        this.notifier.push({ event: "conflict_predicted", task: c.tasks[0], title: null, detail: c.message });
      }
    } catch (err) {
      this.events.onProblem?.(`conflict prediction: ${(err as Error).message}`);
    }
  }
}

function waitKey(id: string, a: { runId: string; since: string }): string {
  return needsYouKey(id, a.runId, a.since);
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
