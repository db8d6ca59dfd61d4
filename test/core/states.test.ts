import { describe, expect, it } from "vitest";
import {
  ACTIVE_STATES,
  allowedTransitions,
  assertTransition,
  canTransition,
  EDITABLE_STATES,
  FINAL_STATES,
  IllegalTransitionError,
  isTaskState,
  satisfiesDependency,
  TASK_STATES,
  type TaskState,
} from "../../src/core/states.js";

/**
 * The transition table, written out from the brief's life of a task:
 *   queued (waiting on dependencies) -> ready -> running -> verifying -> review -> merged,
 *   side exits blocked, failed, stopped (resumable), abandoned.
 * Each extra edge is there for a reason noted beside it. Changing the state machine means
 * changing this table on purpose.
 */
const EXPECTED: Record<TaskState, TaskState[]> = {
  queued: ["ready", "abandoned"],
  // ready -> queued: a dependency regressed; ready -> failed: the launch itself failed.
  ready: ["queued", "running", "failed", "abandoned"],
  running: ["verifying", "blocked", "failed", "stopped", "abandoned"],
  // verifying -> running: verification failed, the agent gets another attempt.
  verifying: ["review", "running", "failed", "stopped", "abandoned"],
  // review -> running: changes requested; review -> ready: retried from scratch.
  review: ["merged", "running", "ready", "abandoned"],
  merged: [],
  // blocked, failed and stopped are resumed (running) or retried from scratch (ready).
  blocked: ["running", "ready", "abandoned"],
  failed: ["running", "ready", "abandoned"],
  stopped: ["running", "ready", "abandoned"],
  abandoned: [],
};

const pairs = TASK_STATES.flatMap((from) => TASK_STATES.map((to) => [from, to] as const));

describe("the state machine", () => {
  it("knows exactly the ten states of the brief", () => {
    expect([...TASK_STATES].sort()).toEqual(
      [
        "queued",
        "ready",
        "running",
        "verifying",
        "review",
        "merged",
        "blocked",
        "failed",
        "stopped",
        "abandoned",
      ].sort(),
    );
    expect(Object.keys(EXPECTED).sort()).toEqual([...TASK_STATES].sort());
  });

  it.each(pairs)("%s -> %s is allowed exactly when the table says so", (from, to) => {
    const allowed = EXPECTED[from].includes(to);
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertTransition("t1", from, to)).not.toThrow();
    } else {
      let caught: unknown;
      try {
        assertTransition("t1", from, to);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(IllegalTransitionError);
      const e = caught as IllegalTransitionError;
      expect(e.taskId).toBe("t1");
      expect(e.from).toBe(from);
      expect(e.to).toBe(to);
      expect(e.message).toContain(`task t1: cannot go from ${from} to ${to}`);
    }
  });

  it("lists the allowed exits of every state", () => {
    for (const s of TASK_STATES) expect([...allowedTransitions(s)].sort()).toEqual([...EXPECTED[s]].sort());
  });

  it("walks the happy path queued -> ready -> running -> verifying -> review -> merged", () => {
    const path: TaskState[] = ["queued", "ready", "running", "verifying", "review", "merged"];
    for (let i = 0; i + 1 < path.length; i++) {
      expect(canTransition(path[i] as TaskState, path[i + 1] as TaskState)).toBe(true);
    }
  });

  it("gives final states no exits, and the error says the state is final", () => {
    expect([...FINAL_STATES].sort()).toEqual(["abandoned", "merged"]);
    for (const f of FINAL_STATES) {
      expect(allowedTransitions(f)).toEqual([]);
      for (const to of TASK_STATES) expect(canTransition(f, to)).toBe(false);
      expect(() => assertTransition("x", f, "ready")).toThrow(`(${f} is final)`);
    }
  });

  it("names the allowed moves when a move is illegal", () => {
    expect(() => assertTransition("x", "queued", "running")).toThrow(
      "task x: cannot go from queued to running (from queued it may go to: ready, abandoned)",
    );
  });

  it("never moves a state to itself, and nothing skips straight to merged", () => {
    for (const s of TASK_STATES) expect(canTransition(s, s)).toBe(false);
    for (const s of TASK_STATES) expect(canTransition(s, "merged")).toBe(s === "review");
    // Nothing starts running without being ready first.
    expect(canTransition("queued", "running")).toBe(false);
  });

  it("lets a person abandon any task that has not ended", () => {
    for (const s of TASK_STATES) {
      if (FINAL_STATES.includes(s)) continue;
      expect(canTransition(s, "abandoned"), s).toBe(true);
    }
  });

  it("can reach every state from queued, and an end from every state", () => {
    const reachable = (from: TaskState): Set<TaskState> => {
      const seen = new Set<TaskState>([from]);
      const todo = [from];
      while (todo.length > 0) {
        for (const n of allowedTransitions(todo.pop() as TaskState)) {
          if (!seen.has(n)) {
            seen.add(n);
            todo.push(n);
          }
        }
      }
      return seen;
    };
    expect([...reachable("queued")].sort()).toEqual([...TASK_STATES].sort());
    for (const s of TASK_STATES) {
      const r = reachable(s);
      expect(r.has("merged") || r.has("abandoned"), s).toBe(true);
    }
  });

  it("classifies states consistently", () => {
    expect([...ACTIVE_STATES].sort()).toEqual(["running", "verifying"]);
    expect([...EDITABLE_STATES].sort()).toEqual(["queued", "ready"]);
    for (const s of EDITABLE_STATES) expect(ACTIVE_STATES).not.toContain(s);
    for (const s of TASK_STATES) expect(isTaskState(s)).toBe(true);
    for (const s of ["", "done", "Queued", "merged ", "constructor"]) expect(isTaskState(s)).toBe(false);
  });
});

describe("satisfiesDependency", () => {
  it.each(TASK_STATES.map((s) => [s]))("%s satisfies its dependents only when merged", (s) => {
    expect(satisfiesDependency(s, false)).toBe(s === "merged");
  });

  it.each(TASK_STATES.map((s) => [s]))("%s, with stacking on, satisfies when merged or in review", (s) => {
    expect(satisfiesDependency(s, true)).toBe(s === "merged" || s === "review");
  });
});
