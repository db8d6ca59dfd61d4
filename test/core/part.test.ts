import { describe, expect, it } from "vitest";
import {
  formatPartError,
  type PartParseError,
  type PartParseResult,
  parsePart,
  renderPartFile,
} from "../../src/core/part.js";

const PATH = ".ballador/parts/0001-x/p.md";

function errorsOf(result: PartParseResult): PartParseError[] {
  if (result.ok) throw new Error(`expected errors, got a part: ${JSON.stringify(result.part)}`);
  return result.errors;
}

function partOf(result: PartParseResult) {
  if (!result.ok) throw new Error(result.errors.map(formatPartError).join("\n"));
  return result.part;
}

const FULL = `---
id: extract-events          # unique, [a-z0-9-]
title: Emit extraction events
spec: specs/0003-data-extraction.md
needs: [classify-store]     # dependencies (ids)
agent: claude
role: implementer
scope: ["src/extract/**"]
verify: npm test -- extract
priority: 2
---
Goal, context, constraints.

Acceptance criteria.
`;

describe("parsePart", () => {
  it("reads the brief's example part with every field", () => {
    expect(partOf(parsePart(FULL, PATH))).toEqual({
      id: "extract-events",
      title: "Emit extraction events",
      spec: "specs/0003-data-extraction.md",
      needs: ["classify-store"],
      agent: "claude",
      role: "implementer",
      scope: ["src/extract/**"],
      verify: "npm test -- extract",
      priority: 2,
      body: "Goal, context, constraints.\n\nAcceptance criteria.",
      path: PATH,
    });
  });

  it("fills defaults for the optional fields", () => {
    const part = partOf(parsePart("---\nid: a\ntitle: A\n---\n", PATH));
    expect(part).toMatchObject({ id: "a", title: "A", needs: [], scope: [], priority: 0, body: "" });
    expect(part.agent).toBeUndefined();
    expect(part.spec).toBeUndefined();
  });

  it("accepts Windows line endings and a byte-order mark", () => {
    const part = partOf(parsePart("\uFEFF---\r\nid: a\r\ntitle: A\r\n---\r\nhello\r\n", PATH));
    expect(part.id).toBe("a");
    expect(part.body).toBe("hello");
  });

  it("round-trips what renderPartFile writes, even with quotes in the title", () => {
    const text = renderPartFile({
      id: "a-1",
      title: 'Say "hi": then # not a comment',
      spec: "specs/0001-x.md",
      needs: ["b", "c"],
      agent: "any",
      scope: ["src/**", "a b/*.ts"],
      verify: "npm test -- a",
      priority: -3,
      body: "## Goal\nx\n",
    });
    expect(partOf(parsePart(text, PATH))).toMatchObject({
      id: "a-1",
      title: 'Say "hi": then # not a comment',
      needs: ["b", "c"],
      agent: "any",
      scope: ["src/**", "a b/*.ts"],
      priority: -3,
      body: "## Goal\nx",
    });
  });

  it("refuses a file without an opening --- line, at line 1", () => {
    const [e, ...rest] = errorsOf(parsePart("id: a\ntitle: A\n", PATH));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ path: PATH, line: 1 });
    expect(e?.message).toContain('must start with a "---" line');
  });

  it("refuses front matter that is never closed", () => {
    const [e] = errorsOf(parsePart("---\nid: a\ntitle: A\nbody without end\n", PATH));
    expect(e?.message).toContain('not closed by a "---" line');
    expect(formatPartError(e as PartParseError)).toMatch(/^\.ballador\/parts\/0001-x\/p\.md:\d+: /);
  });

  it("reports malformed YAML at the file line where it is", () => {
    const text = "---\nid: a\ntitle: A\nagent: a: b\npriority: 1\n---\nbody\n";
    const errors = errorsOf(parsePart(text, PATH));
    expect(errors.length).toBeGreaterThan(0);
    // File line 4 is "agent: a: b" (line 1 is the opening ---).
    expect(errors[0]?.line).toBe(4);
    expect(errors[0]?.message).toMatch(/^malformed front matter: /);
    expect(formatPartError(errors[0] as PartParseError)).toMatch(
      /^\.ballador\/parts\/0001-x\/p\.md:4: malformed/,
    );
  });

  it("reports a tab-indented line and a repeated key at their lines", () => {
    expect(errorsOf(parsePart("---\nid: a\ntitle: A\n\tagent: x\n---\n", PATH))[0]?.line).toBe(4);
    const dup = errorsOf(parsePart("---\nid: a\ntitle: A\n\nid: b\n---\n", PATH));
    expect(dup[0]?.line).toBe(5);
  });

  it("reports an unknown key with its line and the known keys", () => {
    const [e, ...rest] = errorsOf(parsePart("---\nid: a\ntitle: A\n\ndepends: [b]\n---\n", PATH));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ path: PATH, line: 5, field: "depends" });
    expect(e?.message).toContain('unknown key "depends"');
    expect(e?.message).toContain("needs");
    expect(formatPartError(e as PartParseError)).toBe(`${PATH}:5: depends: ${e?.message}`);
  });

  it.each([
    ["../x"],
    ["a;rm -rf"],
    ["$(touch pwned)"],
    ["Upper"],
    ["-leading"],
    ["trailing-"],
    ["a_b"],
    ["x".repeat(65)],
  ])("refuses the id %j, at the id line", (id) => {
    const [e] = errorsOf(parsePart(`---\ntitle: A\nid: ${JSON.stringify(id)}\n---\n`, PATH));
    expect(e).toMatchObject({ line: 3, field: "id" });
    expect(e?.message).toContain("a-z, 0-9");
  });

  it("refuses a missing id and a missing title", () => {
    const errors = errorsOf(parsePart("---\npriority: 1\n---\n", PATH));
    expect(errors.map((e) => e.field).sort()).toEqual(["id", "title"]);
    expect(errorsOf(parsePart('---\nid: a\ntitle: "   "\n---\n', PATH))[0]?.message).toBe(
      "a title is required",
    );
  });

  it("names the expected type of each wrongly typed field, with its line", () => {
    const errors = errorsOf(
      parsePart("---\nid: a\ntitle: 5\npriority: high\nneeds: b\nscope: 3\n---\n", PATH),
    );
    const byField = new Map(errors.map((e) => [e.field, e]));
    expect(byField.get("title")).toMatchObject({ line: 3, message: "expected string" });
    expect(byField.get("priority")).toMatchObject({ line: 4, message: "expected number" });
    expect(byField.get("needs")).toMatchObject({ line: 5, message: "expected array" });
    expect(byField.get("scope")).toMatchObject({ line: 6, message: "expected array" });
    expect(errors).toHaveLength(4);
  });

  it("refuses a list item of the wrong type, naming its index", () => {
    const [e] = errorsOf(parsePart("---\nid: a\ntitle: A\nneeds: [1]\n---\n", PATH));
    expect(e).toMatchObject({ field: "needs.0", line: 4, message: "expected string" });
  });

  it("refuses a fractional or out-of-range priority", () => {
    expect(errorsOf(parsePart("---\nid: a\ntitle: A\npriority: 1.5\n---\n", PATH))[0]?.field).toBe(
      "priority",
    );
    expect(errorsOf(parsePart("---\nid: a\ntitle: A\npriority: 5000\n---\n", PATH))[0]?.field).toBe(
      "priority",
    );
  });

  it("refuses front matter that is not a mapping", () => {
    for (const fm of ["", "- a\n- b\n", "just text\n"]) {
      const [e] = errorsOf(parsePart(`---\n${fm}---\n`, PATH));
      expect(e?.message).toContain("must be a mapping");
    }
  });
});
