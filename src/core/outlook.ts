/**
 * Can anything still become ready? The question `launch --watch` asks before it stops. Pure.
 *
 * The conductor stays up while work can still start or run without a new command from the
 * person other than the journey's own next step, a merge:
 * - a task runs, verifies or is ready (and the launch may still start tasks);
 * - a queued task waits only on tasks that are on their way: running, verifying, ready, in review
 *   (its merge makes the dependent ready), or queued the same way.
 * A failed, blocked or stopped task moves again only when the person retries or resumes it (which
 * they can always do), and an abandoned one never merges: whatever waits on them is stuck. When
 * only stuck work, reviews with nothing behind them, and finished tasks are left, the conductor
 * stops and says which, with what the person could do. A review with nothing queued behind it
 * keeps no conductor up: request-changes and retry restart their agents by themselves, and a
 * merge then makes nothing ready.
 */
import { topologicalOrder } from "./graph.js";
import { satisfiesDependency, type TaskState } from "./states.js";

export interface OutlookTask {
  id: string;
  state: TaskState;
  needs: readonly string[];
}

/** What a stuck task waits on: a failed, blocked, stopped or abandoned task, or one not in the queue. */
export interface Blocker {
  id: string;
  state: TaskState | "missing";
}

export interface Outlook {
  /** True while something may still start or run without the person's retry, resume or queue. */
  goesOn: boolean;
  /** Running or verifying. */
  active: string[];
  ready: string[];
  /** Queued tasks on their way: a merge (or work under way) brings them to ready. */
  waiting: string[];
  /** Queued tasks that wait, directly or through other queued tasks, on blockers. */
  stuck: Array<{ id: string; on: Blocker[] }>;
  review: string[];
  /** Failed, blocked and stopped tasks: the person's retry or resume moves them. */
  halted: Blocker[];
  /** Every task is merged or abandoned (or there is none). */
  settled: boolean;
}

const HALTED: ReadonlySet<TaskState> = new Set(["failed", "blocked", "stopped", "abandoned"]);

/**
 * `stack`: a dependency in review already satisfies its dependents. `canStart`: false once the
 * launch's budget is spent, so ready tasks (and what a merge would make ready) start no more.
 */
export function outlook(tasks: readonly OutlookTask[], opts: { stack: boolean; canStart: boolean }): Outlook {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const blockersOf = queuedBlockers(tasks, byId, opts.stack);
  const o: Outlook = {
    goesOn: false,
    active: [],
    ready: [],
    waiting: [],
    stuck: [],
    review: [],
    halted: [],
    settled: true,
  };
  for (const t of tasks) {
    if (t.state !== "merged" && t.state !== "abandoned") o.settled = false;
    if (t.state === "running" || t.state === "verifying") o.active.push(t.id);
    else if (t.state === "ready") o.ready.push(t.id);
    else if (t.state === "review") o.review.push(t.id);
    else if (t.state === "queued") {
      const on = blockersOf.get(t.id) ?? [];
      if (on.length === 0) o.waiting.push(t.id);
      else o.stuck.push({ id: t.id, on });
    } else if (HALTED.has(t.state) && t.state !== "abandoned") o.halted.push({ id: t.id, state: t.state });
  }
  o.goesOn = o.active.length > 0 || (opts.canStart && (o.ready.length > 0 || o.waiting.length > 0));
  return o;
}

/**
 * Each queued task's blockers (empty: on its way), walking the queued tasks in dependency order
 * (iteratively: a 10,000-long chain must not overflow the stack). A queued task left out of that
 * order sits in a cycle, which the queue's validation refuses: it can never become ready.
 */
function queuedBlockers(
  tasks: readonly OutlookTask[],
  byId: ReadonlyMap<string, OutlookTask>,
  stack: boolean,
): Map<string, Blocker[]> {
  const queued = tasks.filter((t) => t.state === "queued");
  const out = new Map<string, Blocker[]>();
  for (const id of topologicalOrder(queued)) {
    const found = new Map<string, Blocker>();
    for (const need of (byId.get(id) as OutlookTask).needs) {
      const dep = byId.get(need);
      if (!dep) found.set(need, { id: need, state: "missing" });
      else if (satisfiesDependency(dep.state, stack)) continue;
      else if (HALTED.has(dep.state)) found.set(dep.id, { id: dep.id, state: dep.state });
      else if (dep.state === "queued") for (const b of out.get(dep.id) ?? []) found.set(b.id, b);
    }
    out.set(id, [...found.values()]);
  }
  for (const t of queued) if (!out.has(t.id)) out.set(t.id, [{ id: t.id, state: "queued" }]);
  return out;
}

const WHAT_TO_DO: Record<Blocker["state"], (id: string) => string> = {
  failed: (id) => `failed: ballador retry ${id}`,
  blocked: (id) => `blocked: ballador show ${id}, then ballador resume ${id}`,
  stopped: (id) => `stopped: ballador resume ${id}`,
  abandoned: () => "abandoned: it will never merge",
  missing: () => "not in the queue",
  // A cycle, which validation refuses: named for completeness.
  queued: () => "queued in a dependency cycle",
  ready: () => "ready",
  running: () => "running",
  verifying: () => "verifying",
  review: () => "in review",
  merged: () => "merged",
};

function names(ids: readonly string[], max = 8): string {
  return ids.length <= max ? ids.join(", ") : `${ids.slice(0, max).join(", ")} and ${ids.length - max} more`;
}

/**
 * Why the conductor stops, for the person: one line saying which way it ended, then what is
 * left and what they could do. Plain text: the caller escapes it for a terminal.
 */
export function stopWords(o: Outlook): string[] {
  if (o.settled) return ["Nothing more can become ready: every task is merged or abandoned."];
  const review = `in review: ${names(o.review)} (ballador review <id>, then merge or request-changes)`;
  const stuckOrHalted = o.stuck.length > 0 || o.halted.length > 0;
  if (!stuckOrHalted && o.ready.length === 0 && o.waiting.length === 0)
    return [`Nothing more can become ready: nothing is queued; ${review}.`];
  const lines = ["Nothing more can become ready without you:"];
  const named = new Set<string>();
  for (const s of o.stuck.slice(0, 12)) {
    const on = s.on.map((b) => `${b.id} (${WHAT_TO_DO[b.state](b.id)})`);
    lines.push(`  ${s.id} waits on ${on.join(", ")}`);
    for (const b of s.on) named.add(b.id);
  }
  if (o.stuck.length > 12) lines.push(`  and ${o.stuck.length - 12} more queued tasks wait on those`);
  const halted = o.halted.filter((x) => !named.has(x.id));
  for (const h of halted.slice(0, 12)) lines.push(`  ${h.id} ${WHAT_TO_DO[h.state](h.id)}`);
  if (halted.length > 12) lines.push(`  and ${halted.length - 12} more failed, blocked or stopped tasks`);
  if (o.ready.length > 0) lines.push(`  ready, but this launch's budget is spent: ${names(o.ready)}`);
  if (o.waiting.length > 0) lines.push(`  queued, but this launch's budget is spent: ${names(o.waiting)}`);
  if (o.review.length > 0) lines.push(`  ${review}`);
  return lines;
}
