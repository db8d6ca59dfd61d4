import { describe, expect, it } from "vitest";
import { parsePart } from "../../src/core/part.js";
import { inScope, scopePatternProblem, scopesOverlap } from "../../src/core/scope.js";

describe("scope globs (picomatch)", () => {
  it("expands braces instead of taking them literally", () => {
    expect(inScope("src/a.ts", ["src/{a,b}.ts"])).toBe(true);
    expect(inScope("src/b.ts", ["src/{a,b}.ts"])).toBe(true);
    expect(inScope("src/c.ts", ["src/{a,b}.ts"])).toBe(false);
    expect(inScope("src/api/x/y.ts", ["src/{api,cli}/**"])).toBe(true);
    expect(inScope("src/v3/x.ts", ["src/v{1..2}/*.ts"])).toBe(false);
    expect(inScope("src/v2/x.ts", ["src/v{1..2}/*.ts"])).toBe(true);
  });
  it("matches character classes", () => {
    expect(inScope("src/v1.ts", ["src/v[12].ts"])).toBe(true);
    expect(inScope("src/v3.ts", ["src/v[12].ts"])).toBe(false);
    expect(inScope("src/c7.ts", ["src/c[0-9].ts"])).toBe(true);
    // picomatch negates a class with ^ (POSIX classes too).
    expect(inScope("src/cx.ts", ["src/c[^0-9].ts"])).toBe(true);
    expect(inScope("src/c7.ts", ["src/c[^0-9].ts"])).toBe(false);
    expect(inScope("src/c7.ts", ["src/c[[:digit:]].ts"])).toBe(true);
  });
  it("excludes what a negated pattern names", () => {
    const scope = ["src/**", "!src/**/*.test.ts"];
    expect(inScope("src/a/b.ts", scope)).toBe(true);
    expect(inScope("src/a/b.test.ts", scope)).toBe(false);
    expect(inScope("docs/x.md", scope)).toBe(false);
    // Negations only: everything but them.
    expect(inScope("docs/x.md", ["!src/**"])).toBe(true);
    expect(inScope("src/x.ts", ["!src/**"])).toBe(false);
  });
  it("keeps Ballador's own rules: a bare folder covers its files, ./ is ignored, dotfiles match", () => {
    expect(inScope("src/a/b.ts", ["src"])).toBe(true);
    expect(inScope("src/a/b.ts", ["src/"])).toBe(true);
    expect(inScope("srcx/b.ts", ["src"])).toBe(false);
    expect(inScope("docs/a.md", ["./docs/*.md"])).toBe(true);
    expect(inScope("src/.env", ["src/**"])).toBe(true);
    expect(inScope("src/a/b.ts", ["src/*.ts"])).toBe(false);
    expect(inScope("src/a/b.ts", ["src/**/*.ts"])).toBe(true);
    expect(inScope("a.ts", [])).toBe(false);
  });
  it("names patterns it cannot use", () => {
    expect(scopePatternProblem("src/**")).toBeNull();
    expect(scopePatternProblem("src/[a-")).toMatch(/not a valid glob: Missing closing: "\]"/);
    expect(scopePatternProblem("src/{a,b")).toMatch(/not a valid glob: Missing closing: "}"/);
    expect(scopePatternProblem("/etc/**")).toMatch(/absolute/);
    expect(scopePatternProblem("../other/**")).toMatch(/leaves the repository/);
    expect(scopePatternProblem("!")).toMatch(/empty/);
  });
  it("predicts overlap from fixed prefixes, braces and classes included, negations left out", () => {
    expect(scopesOverlap(["src/{a,b}/**"], ["src/a/x.ts"])).toEqual([["src/{a,b}/**", "src/a/x.ts"]]);
    expect(scopesOverlap(["docs/**"], ["src/**"])).toEqual([]);
    expect(scopesOverlap(["!src/**"], ["src/**"])).toEqual([]);
  });
  it("a part with an unparsable scope is rejected, naming the field", () => {
    const r = parsePart('---\nid: a\ntitle: A\nscope: ["src/ok/**", "src/{a,b"]\n---\n', "parts/a.md");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors[0]?.field).toBe("scope.1");
      expect(r.errors[0]?.message).toMatch(/"src\/\{a,b" is not a valid glob/);
    }
  });
});
