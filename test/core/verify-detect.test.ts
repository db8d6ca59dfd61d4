import { describe, expect, it } from "vitest";
import { detectVerify, type ProjectFiles } from "../../src/core/verify-detect.js";

const NONE: ProjectFiles = {
  verifySh: "absent",
  makefile: null,
  packageJson: null,
  lockfiles: [],
  nodeModules: "neither",
  pytestIni: false,
  conftest: false,
  pyproject: null,
  toxIni: null,
  setupCfg: null,
  pythonTests: false,
  python: "python3",
  cargoToml: false,
  goMod: false,
};

const pkg = (test?: string) => JSON.stringify({ name: "x", scripts: test === undefined ? {} : { test } });
const NPM_DEFAULT = 'echo "Error: no test specified" && exit 1';

describe("detectVerify: the project's test command and bootstrap", () => {
  const table: Array<[string, Partial<ProjectFiles>, string | null, string[]]> = [
    ["nothing", {}, null, []],
    ["an executable verify.sh", { verifySh: "executable" }, "./verify.sh", []],
    ["a verify.sh without its executable bit", { verifySh: "present" }, "sh verify.sh", []],
    ["a Makefile with a test target", { makefile: "all:\n\tcc x.c\ntest: all\n\t./x\n" }, "make test", []],
    ["a Makefile whose test target shares a line", { makefile: "check test:\n\t./t\n" }, "make test", []],
    ["a Makefile with only a test variable", { makefile: "test := yes\nall:\n\ttrue\n" }, null, []],
    [
      "package.json with a test script and package-lock, node_modules ignored",
      { packageJson: pkg("vitest run"), lockfiles: ["package-lock.json"], nodeModules: "ignored" },
      "npm test",
      ["npm ci"],
    ],
    ["package.json without a lockfile", { packageJson: pkg("jest") }, "npm test", ["npm install"]],
    [
      "package.json with committed node_modules",
      { packageJson: pkg("jest"), lockfiles: ["package-lock.json"], nodeModules: "tracked" },
      "npm test",
      [],
    ],
    [
      "pnpm",
      { packageJson: pkg("vitest"), lockfiles: ["pnpm-lock.yaml"], nodeModules: "ignored" },
      "pnpm test",
      ["pnpm install --frozen-lockfile"],
    ],
    [
      "yarn",
      { packageJson: pkg("jest"), lockfiles: ["yarn.lock"] },
      "yarn test",
      ["yarn install --frozen-lockfile"],
    ],
    [
      "bun",
      { packageJson: pkg("bun test"), lockfiles: ["bun.lockb"] },
      "bun run test",
      ["bun install --frozen-lockfile"],
    ],
    [
      "npm's placeholder test script",
      { packageJson: pkg(NPM_DEFAULT), lockfiles: ["package-lock.json"] },
      null,
      [],
    ],
    ["package.json without scripts", { packageJson: pkg() }, null, []],
    ["package.json that is not JSON", { packageJson: "{ nope" }, null, []],
    ["pytest.ini", { pytestIni: true }, "python3 -m pytest", []],
    ["conftest.py, only python on PATH", { conftest: true, python: "python" }, "python -m pytest", []],
    [
      "pyproject.toml with [tool.pytest.ini_options]",
      { pyproject: '[tool.pytest.ini_options]\naddopts = "-q"\n' },
      "python3 -m pytest",
      [],
    ],
    ["pyproject.toml without pytest", { pyproject: "[project]\nname = 'x'\n" }, null, []],
    ["tox.ini with [pytest]", { toxIni: "[pytest]\naddopts = -q\n" }, "python3 -m pytest", []],
    [
      "setup.cfg with [tool:pytest]",
      { setupCfg: "[tool:pytest]\ntestpaths = tests\n" },
      "python3 -m pytest",
      [],
    ],
    ["tests/test_*.py", { pythonTests: true }, "python3 -m pytest", []],
    ["Cargo.toml", { cargoToml: true }, "cargo test", ["cargo fetch"]],
    ["go.mod", { goMod: true }, "go test ./...", ["go mod download"]],
    // Precedence: the most explicit contract first.
    [
      "verify.sh before everything",
      { verifySh: "executable", makefile: "test:\n\ttrue\n", packageJson: pkg("jest"), goMod: true },
      "./verify.sh",
      [],
    ],
    [
      "make test before npm test",
      { makefile: "test:\n\tnpm test\n", packageJson: pkg("jest") },
      "make test",
      [],
    ],
    [
      "a Makefile without test falls through to npm",
      {
        makefile: "all:\n\ttrue\n",
        packageJson: pkg("jest"),
        lockfiles: ["package-lock.json"],
        nodeModules: "ignored",
      },
      "npm test",
      ["npm ci"],
    ],
    [
      "npm's placeholder falls through to pytest",
      { packageJson: pkg(NPM_DEFAULT), conftest: true },
      "python3 -m pytest",
      [],
    ],
    [
      "npm before cargo and go",
      { packageJson: pkg("jest"), cargoToml: true, goMod: true },
      "npm test",
      ["npm install"],
    ],
    ["pytest before cargo", { pytestIni: true, cargoToml: true }, "python3 -m pytest", []],
    ["cargo before go", { cargoToml: true, goMod: true }, "cargo test", ["cargo fetch"]],
  ];
  it.each(table)("%s", (_name, files, verify, bootstrap) => {
    const d = detectVerify({ ...NONE, ...files });
    expect(d.verify).toBe(verify);
    expect(d.bootstrap).toEqual(bootstrap);
    expect(d.reasons.length).toBeGreaterThan(0);
  });

  it("says why, and what it passed over", () => {
    const d = detectVerify({ ...NONE, packageJson: pkg(NPM_DEFAULT), goMod: true });
    expect(d.ecosystem).toBe("go");
    expect(d.reasons.join("\n")).toMatch(/go\.mod/);
    expect(d.reasons.join("\n")).toMatch(/placeholder/);
    const none = detectVerify(NONE);
    expect(none.ecosystem).toBeNull();
    expect(none.reasons.join("\n")).toMatch(/no test command found/);
    const npm = detectVerify({
      ...NONE,
      packageJson: pkg("jest"),
      lockfiles: ["package-lock.json"],
      nodeModules: "ignored",
    });
    expect(npm.reasons.join("\n")).toMatch(/node_modules is ignored by \.gitignore/);
  });
});
