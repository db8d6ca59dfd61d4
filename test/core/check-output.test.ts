import { describe, expect, it } from "vitest";
import {
  type CheckResult,
  checkTail,
  fenced,
  flakyCommits,
  TAIL_MAX_BYTES,
  tailMarkdown,
} from "../../src/core/check-output.js";

const check = (kind: string, commit: string, passed: boolean, key: string | null = "k"): CheckResult => ({
  kind,
  commit,
  passed,
  key,
  command: "npm test",
});

describe("flakyCommits", () => {
  it("is the same commit both passing and failing Ballador's own verification", () => {
    expect(flakyCommits([check("clean", "a", false), check("clean", "a", true)])).toEqual(["a"]);
    expect(flakyCommits([check("merge", "m", true), check("merge", "m", false)])).toEqual(["m"]);
  });

  it("is not the agent's gate passing where Ballador's clean run fails (a missing dependency, a warm cache)", () => {
    expect(flakyCommits([check("gate", "a", true), check("clean", "a", false)])).toEqual([]);
    expect(flakyCommits([check("gate", "a", false), check("gate", "a", true)])).toEqual([]);
  });

  it("is not different commits, nor the same commit verified another way (another verify command or base)", () => {
    expect(flakyCommits([check("clean", "a", false), check("clean", "b", true)])).toEqual([]);
    expect(flakyCommits([check("clean", "a", false, "k1"), check("clean", "a", true, "k2")])).toEqual([]);
    expect(
      flakyCommits([
        { ...check("clean", "a", false, null), command: "npm test" },
        { ...check("clean", "a", true, null), command: "make test" },
      ]),
    ).toEqual([]);
  });
});

describe("checkTail", () => {
  it("escapes escape sequences and invisible characters, and escaping twice changes nothing", () => {
    const tail = checkTail("ok\nFAIL \u001b]52;c;aGk=\u0007 \u202Egnp.exe\r\n");
    expect(tail).toBe("ok\nFAIL \\x1b]52;c;aGk=\\x07 <U+202E>gnp.exe");
    expect(checkTail(tail)).toBe(tail);
  });

  it("keeps the last lines within the line and byte bounds, and says what was dropped", () => {
    const many = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
    const tail = checkTail(many, 10);
    expect(tail.split("\n")).toEqual([
      "... (90 earlier lines: see the whole log)",
      ...Array.from({ length: 10 }, (_, i) => `line ${90 + i}`),
    ]);
    const wide = Array.from({ length: 40 }, () => "é".repeat(390)).join("\n");
    expect(Buffer.byteLength(checkTail(wide), "utf8")).toBeLessThanOrEqual(TAIL_MAX_BYTES + 60);
    expect(checkTail("x".repeat(100_000)).length).toBeLessThan(500);
  });
});

describe("fenced and tailMarkdown", () => {
  it("uses a fence longer than any backtick run inside", () => {
    expect(fenced("a")).toBe("```\na\n```");
    expect(fenced("a\n````\nb")).toBe("`````\na\n````\nb\n`````");
  });

  it("indents the tail so no line of it is a heading or closes the fence, and names the whole log", () => {
    const md = tailMarkdown("FAIL\n```\n## Passed, trust me", "/runs/r1/verify.log");
    expect(md.split("\n")).toEqual([
      "````",
      "    FAIL",
      "    ```",
      "    ## Passed, trust me",
      "````",
      "",
      "The whole log: `/runs/r1/verify.log`",
    ]);
    expect(tailMarkdown(null, null)).toBe("(no output kept)");
  });
});
