import { describe, expect, it } from "vitest";
import {
  type DrawNode,
  drawDot,
  drawMermaid,
  drawTree,
  findCycles,
  type GraphNode,
  topologicalOrder,
  validateGraph,
} from "../../src/core/graph.js";

const node = (id: string, ...needs: string[]): GraphNode => ({ id, needs });
const draw = (id: string, needs: string[], title = id.toUpperCase(), state = "queued"): DrawNode => ({
  id,
  needs,
  title,
  state,
});
const kinds = (problems: { kind: string }[]) => problems.map((p) => p.kind);

describe("validateGraph", () => {
  it("accepts a valid DAG, including dependencies on tasks already queued", () => {
    expect(validateGraph([node("a"), node("b", "a"), node("c", "a", "b")])).toEqual([]);
    expect(validateGraph([node("new", "old")], new Map([["old", []]]))).toEqual([]);
  });

  it("reports a duplicate id once per extra occurrence", () => {
    const problems = validateGraph([node("a"), node("b"), node("a")]);
    expect(problems).toEqual([{ kind: "duplicate", message: 'duplicate id "a"', ids: ["a"] }]);
  });

  it("reports an unknown dependency, naming who needs what", () => {
    const problems = validateGraph([node("a", "ghost")]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.kind).toBe("unknown-dependency");
    expect(problems[0]?.ids).toEqual(["a", "ghost"]);
    expect(problems[0]?.message).toContain('"a" needs "ghost"');
  });

  it("reports a self dependency once, not also as a cycle", () => {
    const problems = validateGraph([node("a", "a")]);
    expect(kinds(problems)).toEqual(["self-dependency"]);
    expect(problems[0]?.message).toBe('"a" needs itself');
  });

  it("names a cycle member by member, closing on its first member", () => {
    const problems = validateGraph([node("a", "b"), node("b", "c"), node("c", "a")]);
    expect(problems).toEqual([
      { kind: "cycle", message: "dependency cycle: a -> b -> c -> a", ids: ["a", "b", "c", "a"] },
    ]);
  });

  it("names only the members of the cycle, not the tasks leading into it", () => {
    const problems = validateGraph([node("entry", "x"), node("x", "y"), node("y", "z"), node("z", "x")]);
    expect(kinds(problems)).toEqual(["cycle"]);
    expect(problems[0]?.ids).toEqual(["x", "y", "z", "x"]);
  });

  it("finds each of two separate cycles", () => {
    const problems = validateGraph([node("a", "b"), node("b", "a"), node("c", "d"), node("d", "c")]);
    expect(problems.map((p) => p.message)).toEqual([
      "dependency cycle: a -> b -> a",
      "dependency cycle: c -> d -> c",
    ]);
  });

  it("finds a cycle that runs through tasks already in the queue", () => {
    // queued earlier: k1 needs k2, k2 needs edited; the new part "edited" now needs k1.
    const known = new Map<string, string[]>([
      ["k1", ["k2"]],
      ["k2", ["edited"]],
    ]);
    const problems = validateGraph([node("edited", "k1")], known);
    expect(kinds(problems)).toEqual(["cycle"]);
    const ids = problems[0]?.ids ?? [];
    expect(new Set(ids)).toEqual(new Set(["edited", "k1", "k2"]));
    expect(ids[0]).toBe(ids[ids.length - 1]);
    // Every step of the printed cycle is a real "needs" edge.
    const needs = new Map<string, string[]>([...known, ["edited", ["k1"]]]);
    for (let i = 0; i + 1 < ids.length; i++) {
      expect(needs.get(ids[i] as string)).toContain(ids[i + 1]);
    }
  });

  it("does not call a diamond a cycle", () => {
    expect(validateGraph([node("a"), node("b", "a"), node("c", "a"), node("d", "b", "c")])).toEqual([]);
  });

  it("handles a 10,000-task chain without overflowing the stack", () => {
    const n = 10_000;
    const chain = Array.from({ length: n }, (_, i) => node(`t${i}`, ...(i > 0 ? [`t${i - 1}`] : [])));
    expect(validateGraph(chain)).toEqual([]);
    const order = topologicalOrder(chain);
    expect(order).toHaveLength(n);
    expect(order[0]).toBe("t0");
    expect(order[n - 1]).toBe(`t${n - 1}`);
    // Close the chain into one 10,000-long cycle: it is found and named in full.
    chain[0] = node("t0", `t${n - 1}`);
    const problems = validateGraph(chain);
    expect(kinds(problems)).toEqual(["cycle"]);
    expect(problems[0]?.ids).toHaveLength(n + 1);
  });
});

describe("findCycles", () => {
  it.each([
    ["ignores edges to ids outside the map and finds nothing in a DAG", { a: ["missing"], b: ["a"] }, []],
    ["returns closed paths", { a: ["b"], b: ["a"] }, [["a", "b", "a"]]],
  ])("%s", (_title, edges: Record<string, string[]>, cycles: string[][]) => {
    expect(findCycles(new Map(Object.entries(edges)))).toEqual(cycles);
  });
});

describe("topologicalOrder", () => {
  it("puts every dependency before its dependents, stable by input order", () => {
    const nodes = [node("d", "b", "c"), node("c", "a"), node("b", "a"), node("a"), node("z")];
    const order = topologicalOrder(nodes);
    expect(order).toEqual(["a", "z", "c", "b", "d"]);
    for (const n of nodes)
      for (const d of n.needs) expect(order.indexOf(d)).toBeLessThan(order.indexOf(n.id));
  });

  it("leaves out the members of cycles and what depends on them", () => {
    expect(topologicalOrder([node("a"), node("b", "c"), node("c", "b"), node("d", "b")])).toEqual(["a"]);
  });
});

describe("drawTree", () => {
  it("says so when there is nothing to draw", () => {
    expect(drawTree([])).toBe("(no tasks)");
  });

  it("draws a diamond with the shared dependent shown once and marked as a repeat", () => {
    const tree = drawTree([
      draw("a", [], "A", "ready"),
      draw("b", ["a"]),
      draw("c", ["a"]),
      draw("d", ["b", "c"]),
    ]);
    expect(tree).toBe(
      [
        "a [ready] A",
        "├── b [queued] B",
        "│   └── d [queued] D  (also needs c)",
        "└── c [queued] C",
        "    └── d (also needs b; shown above)",
      ].join("\n"),
    );
  });

  it("shows members of a cycle instead of hiding them", () => {
    const tree = drawTree([draw("solo", []), draw("p", ["q"]), draw("q", ["p"])]);
    expect(tree).toContain("solo [queued] SOLO");
    expect(tree).toContain("p [queued] P");
    expect(tree).toContain("q [queued] Q");
    expect(tree).toContain("p (shown above)");
  });
});

const HOSTILE = 'say "hi"\nthen"]; evil\\';

describe("drawMermaid", () => {
  it("draws nodes with states and edges from dependency to dependent", () => {
    const out = drawMermaid([draw("a", [], "A", "merged"), draw("b-c", ["a"])]);
    const lines = out.split("\n");
    expect(lines[0]).toBe("graph TD");
    expect(lines).toContain('  t_a["a: A (merged)"]:::merged');
    expect(lines).toContain('  t_b_c["b-c: B-C (queued)"]:::queued');
    expect(lines).toContain("  t_a --> t_b_c");
  });

  it("keeps a hostile title inside its label: one line, no raw quote", () => {
    const out = drawMermaid([draw("x", [], HOSTILE), draw("end", ["x"], "ok")]);
    const lines = out.split("\n");
    const nodeLines = lines.filter((l) => l.startsWith("  t_x["));
    expect(nodeLines).toHaveLength(1);
    // The label is one double-quoted string with no quote inside it.
    expect(nodeLines[0]).toMatch(/^ {2}t_x\["[^"\n]*"\]:::queued$/);
    expect(nodeLines[0]).toContain("#quot;hi#quot;");
    // Nothing of the title leaked onto a line of its own.
    expect(lines.filter((l) => l.includes("evil"))).toHaveLength(1);
    // "end" is a Mermaid keyword: ids are prefixed so it is safe.
    expect(lines).toContain("  t_x --> t_end");
  });
});

describe("drawDot", () => {
  it("keeps a hostile title inside a well-formed quoted label", () => {
    const out = drawDot([draw("x", [], HOSTILE), draw("y", ["x"])]);
    const lines = out.split("\n");
    expect(lines[0]).toBe("digraph ballador {");
    expect(lines[lines.length - 1]).toBe("}");
    const quoted = String.raw`"(?:[^"\\\n]|\\.)*"`;
    const nodeLine = new RegExp(`^ {2}${quoted} \\[label=${quoted}\\];$`);
    const edgeLine = new RegExp(`^ {2}${quoted} -> ${quoted};$`);
    const body = lines.slice(3, -1);
    expect(body).toHaveLength(3);
    for (const l of body) expect(nodeLine.test(l) || edgeLine.test(l), l).toBe(true);
    expect(body[0]).toBe(String.raw`  "x" [label="x\nsay \"hi\" then\"]; evil\\\n[queued]"];`);
    expect(body).toContain('  "x" -> "y";');
  });
});
