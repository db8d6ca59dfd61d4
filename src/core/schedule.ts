/**
 * Scheduling decisions, pure: which ready tasks start now, and in what order.
 * Order: higher priority first, then queue order. Slots: the global limit, then each profile's.
 */

export interface Candidate {
  id: string;
  priority: number;
  seq: number;
  /** Profile name, or "any" (route to the enabled profile with the most free sessions). */
  agent: string;
  /** Goes to a runner (spec 0013): its runner's max_sessions bounds it, not home's max_parallel. */
  remote?: boolean;
}

export interface ProfileSlots {
  name: string;
  enabled: boolean;
  /** null: no per-profile limit. */
  maxSessions: number | null;
  running: number;
}

export interface Assignment {
  id: string;
  profile: string;
}

export interface Deferred {
  id: string;
  why: string;
}

export function launchOrder<T extends Pick<Candidate, "priority" | "seq">>(tasks: readonly T[]): T[] {
  return [...tasks].sort((a, b) => b.priority - a.priority || a.seq - b.seq);
}

export function planLaunch(
  ready: readonly Candidate[],
  opts: {
    /** Home's free slots (max_parallel less the live runs on this machine). */
    freeSlots: number;
    profiles: readonly ProfileSlots[];
    /** At most this many starts in all, here and on runners (launch --max). */
    maxStarts?: number;
  },
): { start: Assignment[]; deferred: Deferred[] } {
  const start: Assignment[] = [];
  const deferred: Deferred[] = [];
  const used = new Map(opts.profiles.map((p) => [p.name, p.running]));
  const free = (p: ProfileSlots) =>
    p.maxSessions === null ? Number.POSITIVE_INFINITY : p.maxSessions - (used.get(p.name) ?? 0);
  let slots = opts.freeSlots;
  for (const task of launchOrder(ready)) {
    if (start.length >= (opts.maxStarts ?? Number.POSITIVE_INFINITY)) {
      deferred.push({ id: task.id, why: "this launch starts no more (--max)" });
      continue;
    }
    if (!task.remote && slots <= 0) {
      deferred.push({ id: task.id, why: "all slots are taken (max_parallel)" });
      continue;
    }
    let profile: ProfileSlots | undefined;
    if (task.agent === "any") {
      profile = opts.profiles
        .filter((p) => p.enabled && free(p) > 0)
        .sort((a, b) => free(b) - free(a) || a.name.localeCompare(b.name))[0];
      if (!profile) {
        deferred.push({ id: task.id, why: "no enabled profile has a free session" });
        continue;
      }
    } else {
      profile = opts.profiles.find((p) => p.name === task.agent);
      if (!profile) {
        deferred.push({ id: task.id, why: `profile "${task.agent}" is not configured` });
        continue;
      }
      if (!profile.enabled) {
        deferred.push({ id: task.id, why: `profile "${task.agent}" is disabled` });
        continue;
      }
      if (free(profile) <= 0) {
        deferred.push({ id: task.id, why: `profile "${task.agent}" is at its max_sessions` });
        continue;
      }
    }
    used.set(profile.name, (used.get(profile.name) ?? 0) + 1);
    if (!task.remote) slots--;
    start.push({ id: task.id, profile: profile.name });
  }
  return { start, deferred };
}
