import { describe, expect, it } from "vitest";
import { MAX_TYPED, refusalInput, statusText } from "../../src/core/session-input.js";

describe("what Ballador types into a live session", () => {
  it("a refusal is one line: command, exit, the end of the output, what to do", () => {
    const line = refusalInput(
      { command: "npm test", code: 1 },
      "$ [verify] npm test\n> test\n\nFAIL parse.test.ts\n  expected 2\n[exit 1]\n",
    );
    expect(line).toBe(
      "ballador: your done was refused: npm test exited 1; the end of the output: $ [verify] npm test | > test | FAIL parse.test.ts | expected 2 | [exit 1]; fix it, commit, and run ballador done again",
    );
  });

  it("hostile output loses its escapes and controls, and a flood is bounded to its end", () => {
    const hostile = `\x1b]0;pwned\x07\x1b[31mred\x1b[0m\r\nbell\x07 back\b\u202eevil\n${"x".repeat(10_000)}\nLAST LINE`;
    const line = refusalInput({ command: "v\x1b[2J", code: null }, hostile);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/u);
    expect(line.length).toBeLessThanOrEqual(MAX_TYPED);
    expect(line).toContain("was stopped (timeout)");
    expect(line).toContain("LAST LINE; fix it");
    expect(line).not.toContain("\n");
  });

  it("no output: the refusal still says what to do", () => {
    expect(refusalInput({ command: "make", code: 2 }, "")).toBe(
      "ballador: your done was refused: make exited 2; fix it, commit, and run ballador done again",
    );
  });

  it("a status line is one escaped line, bounded", () => {
    expect(statusText("note recorded: a\nb\x1b[31m")).toBe("note recorded: a b");
    expect(statusText("y".repeat(400)).length).toBe(150);
  });
});
