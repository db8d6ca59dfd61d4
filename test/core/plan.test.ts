/** The waves a plan runs in, and the overlapping scopes of parts that may run at once. */
import { describe, expect, it } from "vitest";
import { concurrentOverlaps, parallelWaves } from "../../src/core/plan.js";

const node = (id: string, needs: string[] = [], scope: string[] = []) => ({ id, needs, scope });

describe("plan", () => {
  it("puts each part in the wave after its longest chain of needs inside the plan", () => {
    const waves = parallelWaves([
      node("docs", ["api"]),
      node("api", ["model"]),
      node("model"),
      node("cli", ["model"]),
      node("outside", ["already-queued"]),
    ]);
    expect(waves).toEqual([["model", "outside"], ["api", "cli"], ["docs"]]);
  });

  it("leaves parts in a cycle (and what waits on them) out of the waves", () => {
    expect(parallelWaves([node("a", ["b"]), node("b", ["a"]), node("c", ["a"]), node("d")])).toEqual([["d"]]);
  });

  it("warns about overlapping scopes only between parts that may run at the same time", () => {
    const overlaps = concurrentOverlaps([
      node("model", [], ["src/model/**"]),
      node("api", ["model"], ["src/model/**", "src/api/**"]), // waits for model: no warning
      node("cli", ["model"], ["src/api/client.ts"]), // runs beside api and touches its scope
      node("docs", [], ["docs/**"]),
    ]);
    expect(overlaps.map((o) => [o.a, o.b])).toEqual([["api", "cli"]]);
    expect(overlaps[0]?.message).toBe(
      '"api" and "cli" may run at the same time and both touch src/api/** / src/api/client.ts: make their scopes disjoint, or make one need the other',
    );
  });
});
