import { describe, expect, it } from "vitest";
import {
  dryRunCounts,
  graphProblemLines,
  partitionWrites,
  unchangedDuplicateProblems,
  unknownProfileProblems,
} from "../../src/core/queue-check.js";

describe("queue checks", () => {
  it("refuses a profile the config lacks; any and none pass", () => {
    const has = (n: string) => n === "claude";
    expect(
      unknownProfileProblems(
        [
          { path: "a.md", agent: "claude" },
          { path: "b.md", agent: "any" },
          { path: "c.md", agent: null },
          { path: "d.md", agent: "gpt" },
        ],
        has,
        ["claude"],
      ),
    ).toEqual([
      'd.md: agent: no profile "gpt"; configured profiles: claude (or "any"), in .ballador/config.yaml',
    ]);
  });

  it("names a new file claiming an unchanged file's id", () => {
    expect(
      unchangedDuplicateProblems(
        [
          { id: "a", path: "new.md" },
          { id: "b", path: "b.md" },
        ],
        [{ id: "a", path: "old.md" }],
      ),
    ).toEqual(['duplicate id "a" in old.md and new.md; ids must be unique']);
  });

  it("says each duplicate once with every file, a cycle step by step, other problems at their part", () => {
    const parts = [
      { id: "a", path: "a1.md" },
      { id: "a", path: "a2.md" },
      { id: "b", path: "b.md" },
      { id: "c", path: "c.md" },
    ];
    const lines = graphProblemLines(
      [
        { kind: "duplicate", message: "dup", ids: ["a"] },
        { kind: "duplicate", message: "dup", ids: ["a"] },
        { kind: "duplicate", message: "dup", ids: ["x"] },
        { kind: "cycle", message: "a cycle: b -> q -> b", ids: ["b", "q", "b"] },
        { kind: "unknown-dependency", message: 'unknown task "z"', ids: ["c"] },
      ],
      parts,
      ['duplicate id "x" in old.md and new.md; ids must be unique'],
    );
    expect(lines).toEqual([
      'duplicate id "a" in a1.md and a2.md; ids must be unique',
      "a cycle: b -> q -> b\n  b needs q    (b.md)\n  q needs b    ((already queued))\n  break the cycle by removing one of these needs",
      'c.md: needs: unknown task "z"',
    ]);
  });

  it("leaves a started task's changed part as it was, and counts a dry run", () => {
    const parts = [
      { id: "new", path: "n.md", hash: "h1" },
      { id: "edited", path: "e.md", hash: "h2" },
      { id: "started", path: "s.md", hash: "h3" },
      { id: "same-started", path: "ss.md", hash: "h4" },
    ];
    const states = new Map([
      ["edited", "ready"],
      ["started", "running"],
      ["same-started", "review"],
    ] as const);
    const hashes = new Map([
      ["edited", "old"],
      ["started", "old"],
      ["same-started", "h4"],
    ]);
    const { write, skipped } = partitionWrites(parts, states, hashes);
    expect(write.map((p) => p.id)).toEqual(["new", "edited", "same-started"]);
    expect(skipped).toEqual([{ id: "started", state: "running", path: "s.md" }]);
    expect(
      dryRunCounts(
        write.map((p) => ({ id: p.id, partHash: p.hash })),
        states,
        hashes,
        ["kept"],
      ),
    ).toEqual({ inserted: ["new"], updated: ["edited"], unchanged: ["same-started", "kept"] });
  });
});
