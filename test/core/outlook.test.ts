/**
 * Can anything still become ready? (`launch --watch` stays up while it can, issue 31.)
 */
import { describe, expect, it } from "vitest";
import { type OutlookTask, outlook, stopWords } from "../../src/core/outlook.js";
import type { TaskState } from "../../src/core/states.js";

const t = (id: string, state: TaskState, needs: string[] = []): OutlookTask => ({ id, state, needs });
const go = { stack: false, canStart: true };

describe("outlook: does the conductor stay up?", () => {
  it.each<[string, OutlookTask[], boolean]>([
    ["a task in review with a queued dependent", [t("a", "review"), t("b", "queued", ["a"])], true],
    [
      "a chain queued behind a review",
      [t("a", "review"), t("b", "queued", ["a"]), t("c", "queued", ["b"])],
      true,
    ],
    ["a running task", [t("a", "running")], true],
    ["a verifying task", [t("a", "verifying")], true],
    ["a ready task", [t("a", "ready")], true],
    ["a queued task behind a running one", [t("a", "running"), t("b", "queued", ["a"])], true],
    ["everything merged", [t("a", "merged"), t("b", "merged", ["a"])], false],
    ["merged and abandoned", [t("a", "merged"), t("b", "abandoned")], false],
    ["no task at all", [], false],
    ["reviews with nothing queued behind them", [t("a", "review"), t("b", "merged")], false],
    ["the dependent of a failed task", [t("a", "failed"), t("b", "queued", ["a"])], false],
    ["the dependent of a blocked task", [t("a", "blocked"), t("b", "queued", ["a"])], false],
    ["the dependent of a stopped task", [t("a", "stopped"), t("b", "queued", ["a"])], false],
    ["the dependent of an abandoned task", [t("a", "abandoned"), t("b", "queued", ["a"])], false],
    [
      "a dependent needing a review and a failed task",
      [t("a", "review"), t("f", "failed"), t("b", "queued", ["a", "f"])],
      false,
    ],
    ["a lone failed task", [t("a", "failed")], false],
  ])("%s", (_what, tasks, stays) => {
    expect(outlook(tasks, go).goesOn).toBe(stays);
  });

  it("with the launch's budget spent, ready and waiting tasks keep no conductor up; running ones do", () => {
    const spent = { stack: false, canStart: false };
    expect(outlook([t("a", "ready")], spent).goesOn).toBe(false);
    expect(outlook([t("a", "review"), t("b", "queued", ["a"])], spent).goesOn).toBe(false);
    expect(outlook([t("a", "running"), t("b", "ready")], spent).goesOn).toBe(true);
  });

  it("with stack on, a review satisfies its dependents", () => {
    const o = outlook([t("a", "review"), t("b", "queued", ["a"])], { stack: true, canStart: true });
    expect(o.waiting).toEqual(["b"]);
    expect(o.goesOn).toBe(true);
  });
});

describe("outlook: what is stuck, and on what", () => {
  it("names the failed task at the root of a chain, not the queued task between", () => {
    const o = outlook([t("a", "failed"), t("b", "queued", ["a"]), t("c", "queued", ["b"])], go);
    expect(o.stuck).toEqual([
      { id: "b", on: [{ id: "a", state: "failed" }] },
      { id: "c", on: [{ id: "a", state: "failed" }] },
    ]);
    expect(o.halted).toEqual([{ id: "a", state: "failed" }]);
  });

  it("a dependency missing from the queue is a blocker; a cycle ends (validation refuses both)", () => {
    expect(outlook([t("b", "queued", ["gone"])], go).stuck).toEqual([
      { id: "b", on: [{ id: "gone", state: "missing" }] },
    ]);
    const cycle = outlook([t("x", "queued", ["y"]), t("y", "queued", ["x"])], go);
    expect(cycle.goesOn).toBe(false);
    expect(cycle.stuck.map((s) => s.id)).toEqual(["x", "y"]);
  });

  it("a 10,000-long queued chain behind a review is answered without overflowing the stack", () => {
    const tasks = [t("t0", "review")];
    for (let i = 1; i < 10_000; i++) tasks.push(t(`t${i}`, "queued", [`t${i - 1}`]));
    // Asked from the far end first: the deepest recursion.
    expect(outlook([...tasks].reverse(), go).waiting).toHaveLength(9_999);
  });
});

describe("stopWords: why the conductor stops", () => {
  it("says everything is merged or abandoned", () => {
    expect(stopWords(outlook([t("a", "merged"), t("b", "abandoned")], go))).toEqual([
      "Nothing more can become ready: every task is merged or abandoned.",
    ]);
  });

  it("says only reviews are left, with nothing queued", () => {
    expect(stopWords(outlook([t("a", "merged"), t("b", "review")], go))).toEqual([
      "Nothing more can become ready: nothing is queued; in review: b (ballador review <id>, then merge or request-changes).",
    ]);
  });

  it("names what waits on which failed, blocked, stopped or abandoned task, and what the person could do", () => {
    const words = stopWords(
      outlook(
        [
          t("f", "failed"),
          t("b", "blocked"),
          t("s", "stopped"),
          t("x", "abandoned"),
          t("r", "review"),
          t("q1", "queued", ["f", "r"]),
          t("q2", "queued", ["x"]),
        ],
        go,
      ),
    );
    expect(words).toEqual([
      "Nothing more can become ready without you:",
      "  q1 waits on f (failed: ballador retry f)",
      "  q2 waits on x (abandoned: it will never merge)",
      "  b blocked: ballador show b, then ballador resume b",
      "  s stopped: ballador resume s",
      "  in review: r (ballador review <id>, then merge or request-changes)",
    ]);
  });
});
