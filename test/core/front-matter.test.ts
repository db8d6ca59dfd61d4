/**
 * The fast front-matter reader must mean exactly what YAML means, or step aside (undefined).
 * Checked against the yaml library on hand-picked tricky values and on generated ones.
 */

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { simpleFrontMatter } from "../../src/core/part.js";

function agrees(text: string): void {
  const fast = simpleFrontMatter(text.split("\n"));
  if (fast !== undefined) expect(fast, text).toEqual(parse(text) ?? {});
}

describe("simpleFrontMatter", () => {
  it("reads the common shapes like YAML does", () => {
    const text =
      'id: extract-events\ntitle: "Emit: \\"events\\""\nneeds: [a, b-c, "d e"]\nscope: ["src/**", \'docs/*.md\']\npriority: 2\nagent: claude';
    expect(simpleFrontMatter(text.split("\n"))).toEqual(parse(text));
  });

  it("steps aside for anything YAML reads differently from a plain string", () => {
    for (const value of [
      "true",
      "no",
      "null",
      "~",
      "1.5",
      "0x1f",
      "2026-11-23",
      "a: b",
      "x # c",
      "[a",
      "- a",
      "|",
      ">",
      "&a x",
      "*a",
      "!t x",
      "'it''s'",
      "012",
      "1e3",
    ]) {
      const text = `title: ${value}`;
      const fast = simpleFrontMatter([text]);
      if (fast !== undefined) expect(fast, text).toEqual(parse(text));
    }
    expect(simpleFrontMatter(["title: a", "title: b"])).toBeUndefined();
    expect(simpleFrontMatter(["needs:", "  - a"])).toBeUndefined();
  });

  it("agrees with YAML on a thousand generated front matters", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const atoms = [
      "a",
      "b-c",
      "x.y",
      "src/**",
      "1",
      "-3",
      "007",
      "true",
      "Null",
      "~",
      "a b",
      "a:b",
      "a, b",
      '"q,r"',
      "'s t'",
      '"u\\"v"',
      "#c",
      "1.0",
      "[",
      "]",
      "é",
      "yes",
      "on",
    ];
    for (let i = 0; i < 1000; i++) {
      const lines: string[] = [];
      for (const key of ["id", "title", "needs", "scope", "priority"]) {
        if (rand(3) === 0) continue;
        if (key === "needs" || key === "scope") {
          lines.push(
            `${key}: [${Array.from({ length: rand(4) }, () => atoms[rand(atoms.length)]).join(", ")}]`,
          );
        } else {
          lines.push(`${key}: ${atoms[rand(atoms.length)]}`);
        }
      }
      let text = lines.join("\n");
      try {
        parse(text);
      } catch {
        text = "";
      }
      if (text) agrees(text);
    }
  });
});
