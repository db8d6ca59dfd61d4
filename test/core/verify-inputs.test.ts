import { describe, expect, it } from "vitest";
import {
  dependencyChanges,
  inlineCode,
  inputMatcher,
  judgedManifest,
  reachedScripts,
  usesPackageScripts,
  verifyInputGlobs,
  verifyInputProblem,
} from "../../src/core/verify-inputs.js";

describe("verify inputs: which files decide how tests run", () => {
  it("the defaults pin the runners' config files anywhere, the config and the verify script", () => {
    const match = inputMatcher(verifyInputGlobs("./verify.sh", null));
    for (const f of [
      ".ballador/config.yaml",
      "verify.sh",
      "conftest.py",
      "tests/unit/conftest.py",
      "pytest.ini",
      "vitest.config.ts",
      "packages/a/jest.config.js",
      ".mocharc.yml",
      "tsconfig.json",
      "tsconfig.build.json",
      ".npmrc",
    ])
      expect(match(f), f).toBe(true);
    for (const f of [
      "package.json",
      "package-lock.json",
      "src/conftest_helper.py",
      "pyproject.toml",
      "Makefile",
    ])
      expect(match(f), f).toBe(false);
  });

  it("make's files only when the verify command or its script runs make", () => {
    expect(inputMatcher(verifyInputGlobs("make test", null))("Makefile")).toBe(true);
    expect(
      inputMatcher(verifyInputGlobs("./verify.sh", null, ["set -e\nmake -C . check\n"]))("Makefile"),
    ).toBe(true);
    expect(inputMatcher(verifyInputGlobs("pytest -q", null))("Makefile")).toBe(false);
  });

  it("a configured list replaces the defaults (the config and the script stay pinned)", () => {
    const match = inputMatcher(verifyInputGlobs("sh scripts/check.sh", ["ci/**"]));
    expect(match("ci/run.sh")).toBe(true);
    expect(match("scripts/check.sh")).toBe(true);
    expect(match(".ballador/config.yaml")).toBe(true);
    expect(match("conftest.py")).toBe(false);
  });

  it("a bad glob is named", () => {
    expect(verifyInputProblem("../x")).toMatch(/not inside the repository/);
    expect(verifyInputProblem("a[")).toBeNull(); // picomatch reads an unclosed class literally
    expect(verifyInputProblem("**/conftest.py")).toBeNull();
  });
});

describe("verify inputs: the package.json scripts the verify command reaches", () => {
  const scripts = {
    test: "npm run lint && vitest run",
    pretest: "node setup.js",
    lint: "biome check .",
    "test:unit": "x",
    "test:e2e": "y",
    all: "run-s test:*",
    build: "tsc",
  };
  it("npm test: test, its hooks, and what it runs, transitively", () => {
    expect(reachedScripts("npm test", scripts)).toEqual(
      ["lint", "postlint", "posttest", "prelint", "pretest", "test"].sort(),
    );
  });
  it("npm run, yarn, pnpm, npm-run-all patterns, and scripts in the verify script", () => {
    expect(reachedScripts("npm run all", scripts)).toContain("test:e2e");
    expect(reachedScripts("yarn build", scripts)).toEqual(["build", "postbuild", "prebuild"]);
    expect(reachedScripts("CI=1 pnpm run build", scripts)).toContain("build");
    expect(reachedScripts("./verify.sh", scripts, ["#!/bin/sh\nset -e\nnpm ci\nnpm test\n"])).toContain(
      "lint",
    );
    expect(reachedScripts("bun test", scripts)).toEqual([]);
    expect(reachedScripts("npx vitest run", scripts)).toEqual([]);
    expect(usesPackageScripts("npm test")).toBe(true);
    expect(usesPackageScripts("pytest")).toBe(false);
  });
});

describe("verify inputs: the package.json a clean verification uses", () => {
  const base = `${JSON.stringify({ name: "p", scripts: { test: "node --test", build: "tsc" }, dependencies: { a: "1.0.0" } }, null, 2)}\n`;
  it("keeps the branch's dependencies and takes the reached scripts from the base", () => {
    const branch = JSON.stringify(
      {
        name: "p",
        scripts: { test: "exit 0", pretest: "rm -rf test", build: "tsc -b" },
        dependencies: { a: "1.0.0", b: "file:vendor/b.tgz" },
      },
      null,
      4,
    );
    const r = judgedManifest(base, branch, ["posttest", "pretest", "test"]);
    expect(r.changed).toEqual(["scripts.pretest", "scripts.test"]);
    const out = JSON.parse(r.text ?? "");
    expect(out.scripts).toEqual({ test: "node --test", build: "tsc -b" });
    expect(out.dependencies).toEqual({ a: "1.0.0", b: "file:vendor/b.tgz" });
    expect(r.text).toMatch(/^\{\n {4}"name"/);
  });
  it("a dependency change alone uses the branch's text as it is", () => {
    const branch = base.replace('"a": "1.0.0"', '"a": "2.0.0"');
    expect(judgedManifest(base, branch, ["test"])).toEqual({ text: branch, changed: [] });
  });
  it("hostile text: unparseable or huge is judged whole by the base's; __proto__ stays a key", () => {
    expect(judgedManifest(base, "{nope", ["test"])).toEqual({ text: base, changed: ["package.json"] });
    expect(judgedManifest(base, `{"x":"${"a".repeat(2_000_000)}"}`, ["test"]).changed).toEqual([
      "package.json",
    ]);
    const r = judgedManifest(base, '{"scripts":{"__proto__":{"x":1},"test":"exit 0"},"jest":{"bail":0}}', [
      "test",
    ]);
    expect(r.changed).toEqual(["scripts.test", "jest"]);
    const out = JSON.parse(r.text ?? "");
    expect(Object.keys(out.scripts)).toEqual(["__proto__", "test"]);
    expect(out.jest).toBeUndefined();
  });
});

describe("dependency changes", () => {
  it("added, removed and changed, per section; bad JSON reads as none", () => {
    const a = JSON.stringify({ dependencies: { x: "1", y: "2" }, devDependencies: { v: "^1" } });
    const b = JSON.stringify({
      dependencies: { x: "1", z: "file:vendor/z-1.0.0.tgz" },
      devDependencies: { v: "^2" },
    });
    expect(dependencyChanges(a, b)).toEqual([
      { section: "dependencies", name: "y", from: "2", to: null },
      { section: "dependencies", name: "z", from: null, to: "file:vendor/z-1.0.0.tgz" },
      { section: "devDependencies", name: "v", from: "^1", to: "^2" },
    ]);
    expect(dependencyChanges(a, "{")).toHaveLength(3);
    expect(dependencyChanges(null, null)).toEqual([]);
  });
});

describe("inlineCode", () => {
  it("hostile names stay one code span on one line", () => {
    expect(inlineCode("left-pad")).toBe("`left-pad`");
    expect(inlineCode("a`b")).toBe("``a`b``");
    expect(inlineCode("`x")).toBe("`` `x ``");
    expect(inlineCode("x\n## Approved\u001b[31m")).toBe("`x ## Approved [31m`");
    expect(inlineCode("y".repeat(500))).toHaveLength(203);
  });
});
