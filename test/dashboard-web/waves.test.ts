/** The graph's wave layout (pure: no DOM), at the sizes the dashboard promises. */
import { describe, expect, it } from "vitest";
import { waves } from "../../src/dashboard/web/graph.js";
import { BoardModel, type Row } from "../../src/dashboard/web/model.js";

function model(tasks: Array<[string, string[]]>): BoardModel {
  const m = new BoardModel();
  const rows: Row[] = tasks.map(([id, needs]) => ({
    id,
    title: id,
    state: "queued",
    reason: null,
    agent: "a",
    role: null,
    attempt: 0,
    priority: 0,
    since: "2026-12-01T00:00:00.000Z",
    needs,
    branch: null,
    denials: 0,
    notes: 0,
    waiting: null,
    stage: null,
    cost: null,
    partVerify: null,
    unverified: false,
    runner: null,
  }));
  m.load({ root: "/r", sandbox: "none", rows, review: [], order: null });
  return m;
}

describe("dashboard graph waves", () => {
  it("puts each task one wave after the latest of what it needs", () => {
    const l = waves(
      model([
        ["ui", ["api", "docs"]],
        ["schema", []],
        ["api", ["schema"]],
        ["docs", []],
        ["release", ["ui", "schema"]],
      ]),
    );
    expect(Object.fromEntries(l.wave)).toEqual({ schema: 0, docs: 0, api: 1, ui: 2, release: 3 });
    // Columns keep queue order inside a wave.
    expect(l.waves).toEqual([["schema", "docs"], ["api"], ["ui"], ["release"]]);
  });

  it("ignores needs outside the board and keeps a cycle's members (last) instead of losing them", () => {
    const l = waves(
      model([
        ["a", ["gone"]],
        ["b", ["c"]],
        ["c", ["b"]],
      ]),
    );
    expect(l.wave.get("a")).toBe(0);
    expect(l.wave.get("b")).toBe(1);
    expect(l.wave.get("c")).toBe(1);
  });

  it("lays out a 10,000-deep chain without recursion, quickly", () => {
    const tasks: Array<[string, string[]]> = [];
    for (let i = 0; i < 10_000; i++) tasks.push([`t${i}`, i ? [`t${i - 1}`] : []]);
    const start = performance.now();
    const l = waves(model(tasks));
    expect(l.waves).toHaveLength(10_000);
    expect(l.wave.get("t9999")).toBe(9999);
    // Linear takes milliseconds; the bound leaves a loaded machine slack and still catches a blow-up.
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
