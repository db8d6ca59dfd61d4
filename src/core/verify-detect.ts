/**
 * Which command is a project's own test suite, and what a fresh worktree needs before it runs:
 * `ballador init` writes it as `verify:` (with a suggested `bootstrap:`), so verification is on
 * from the first run. Pure: the adapter (verify/detect-verify.ts) reads the files.
 *
 * Precedence, first match wins (the most explicit contract first):
 *   1. verify.sh            the project wrote its contract of done itself
 *   2. Makefile `test:`     a deliberate entry point, often wrapping the rest of a polyglot repo
 *   3. package.json `test`  (npm's "no test specified" placeholder does not count)
 *   4. pytest               pytest.ini, conftest.py, [tool.pytest...] in pyproject.toml,
 *                           [pytest] in tox.ini, [tool:pytest] in setup.cfg, tests/test_*.py
 *   5. Cargo.toml           cargo test
 *   6. go.mod               go test ./...
 */

/** What detection looks at: the repository root's files (text of the few it reads). */
export interface ProjectFiles {
  /** verify.sh: absent, present, or present with an executable bit. */
  verifySh: "absent" | "present" | "executable";
  /** The Makefile's text (Makefile, makefile or GNUmakefile), or null. */
  makefile: string | null;
  packageJson: string | null;
  /** Lockfiles present at the root (package-lock.json, pnpm-lock.yaml, yarn.lock, bun.lockb, bun.lock). */
  lockfiles: readonly string[];
  /** node_modules: ignored by .gitignore, committed, or neither. */
  nodeModules: "ignored" | "tracked" | "neither";
  pytestIni: boolean;
  conftest: boolean;
  pyproject: string | null;
  toxIni: string | null;
  setupCfg: string | null;
  /** tests/ holds test_*.py or *_test.py files. */
  pythonTests: boolean;
  /** The Python on PATH (python3 first: Debian has no "python"), or null when none is. */
  python: "python" | "python3" | null;
  cargoToml: boolean;
  goMod: boolean;
}

export interface VerifyDetection {
  /** The verify command to write, or null when nothing was found. */
  verify: string | null;
  /** Suggested bootstrap commands (run in each new worktree before the agent starts). */
  bootstrap: string[];
  /** npm, pnpm, yarn, bun, make, pytest, cargo, go, verify.sh; null when nothing was found. */
  ecosystem: string | null;
  /** Why: one sentence per finding, in the order they decided. */
  reasons: string[];
}

/** npm init's placeholder test script: a project that never wrote tests. */
const NPM_PLACEHOLDER = /no test specified/;

/** A `test` target (not `test := value`), possibly among several targets on the line. */
const MAKE_TEST_TARGET = /^(?:[A-Za-z0-9_.\-/]+[ \t]+)*test(?:[ \t]+[A-Za-z0-9_.\-/]+)*[ \t]*::?(?!=)/m;

function packageTestScript(text: string): { script: string | null; problem: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { script: null, problem: "package.json is not valid JSON; its scripts were not read" };
  }
  const scripts = (parsed as { scripts?: unknown } | null)?.scripts;
  const test = scripts && typeof scripts === "object" ? (scripts as Record<string, unknown>).test : undefined;
  if (typeof test !== "string" || test.trim() === "")
    return { script: null, problem: "package.json has no test script" };
  if (NPM_PLACEHOLDER.test(test))
    return {
      script: null,
      problem: "package.json's test script is npm's placeholder (\"no test specified\")",
    };
  return { script: test, problem: null };
}

/** The package manager the lockfile names, its test command and its locked install. */
function nodeManager(lockfiles: readonly string[]): {
  name: string;
  test: string;
  install: string;
  lock: string | null;
} {
  const has = (f: string) => lockfiles.includes(f);
  if (has("pnpm-lock.yaml"))
    return {
      name: "pnpm",
      test: "pnpm test",
      install: "pnpm install --frozen-lockfile",
      lock: "pnpm-lock.yaml",
    };
  if (has("yarn.lock"))
    return { name: "yarn", test: "yarn test", install: "yarn install --frozen-lockfile", lock: "yarn.lock" };
  for (const lock of ["bun.lockb", "bun.lock"])
    if (has(lock))
      // `bun test` is bun's own runner; `bun run test` is the package's script.
      return { name: "bun", test: "bun run test", install: "bun install --frozen-lockfile", lock };
  if (has("package-lock.json"))
    return { name: "npm", test: "npm test", install: "npm ci", lock: "package-lock.json" };
  return { name: "npm", test: "npm test", install: "npm install", lock: null };
}

function detectNode(files: ProjectFiles, script: string): VerifyDetection {
  const m = nodeManager(files.lockfiles);
  const reasons = [
    `package.json has a test script (${JSON.stringify(script)})${m.lock ? `; ${m.lock} says ${m.name}` : ""}`,
  ];
  let bootstrap: string[] = [m.install];
  if (files.nodeModules === "tracked") {
    bootstrap = [];
    reasons.push("node_modules is committed: no install needed");
  } else {
    reasons.push(
      `${files.nodeModules === "ignored" ? "node_modules is ignored by .gitignore" : "node_modules is not in the repository"}: each worktree installs it (${m.install}${m.lock ? ", from the lockfile" : ", no lockfile"})`,
    );
  }
  return { verify: m.test, bootstrap, ecosystem: m.name, reasons };
}

function pytestEvidence(files: ProjectFiles): string | null {
  if (files.pytestIni) return "pytest.ini";
  if (files.conftest) return "conftest.py";
  if (files.pyproject && /^\[tool\.pytest/m.test(files.pyproject))
    return "[tool.pytest...] in pyproject.toml";
  if (files.toxIni && /^\[pytest\]/m.test(files.toxIni)) return "[pytest] in tox.ini";
  if (files.setupCfg && /^\[tool:pytest\]/m.test(files.setupCfg)) return "[tool:pytest] in setup.cfg";
  if (files.pythonTests) return "tests/ holds test_*.py files";
  return null;
}

export function detectVerify(files: ProjectFiles): VerifyDetection {
  const skipped: string[] = [];
  if (files.verifySh === "executable")
    return {
      verify: "./verify.sh",
      bootstrap: [],
      ecosystem: "verify.sh",
      reasons: ["verify.sh is executable: the project's own contract of done"],
    };
  if (files.verifySh === "present")
    return {
      verify: "sh verify.sh",
      bootstrap: [],
      ecosystem: "verify.sh",
      reasons: ["verify.sh is there but not executable: run with sh (chmod +x verify.sh to run it directly)"],
    };
  if (files.makefile !== null) {
    if (MAKE_TEST_TARGET.test(files.makefile))
      return {
        verify: "make test",
        bootstrap: [],
        ecosystem: "make",
        reasons: ["the Makefile has a test target"],
      };
    skipped.push("the Makefile has no test target");
  }
  if (files.packageJson !== null) {
    const { script, problem } = packageTestScript(files.packageJson);
    if (script !== null) return withSkipped(detectNode(files, script), skipped);
    if (problem) skipped.push(problem);
  }
  const pytest = pytestEvidence(files);
  if (pytest) {
    const python = files.python ?? "python3";
    return withSkipped(
      {
        verify: `${python} -m pytest`,
        bootstrap: [],
        ecosystem: "pytest",
        reasons: [
          `pytest: ${pytest}`,
          "no bootstrap suggested: install the project's Python dependencies however it does (e.g. a virtualenv) and list that under bootstrap",
        ],
      },
      skipped,
    );
  }
  if (files.cargoToml)
    return withSkipped(
      {
        verify: "cargo test",
        bootstrap: ["cargo fetch"],
        ecosystem: "cargo",
        reasons: ["Cargo.toml: a Rust crate"],
      },
      skipped,
    );
  if (files.goMod)
    return withSkipped(
      {
        verify: "go test ./...",
        bootstrap: ["go mod download"],
        ecosystem: "go",
        reasons: ["go.mod: a Go module"],
      },
      skipped,
    );
  return {
    verify: null,
    bootstrap: [],
    ecosystem: null,
    reasons: [
      ...skipped,
      "no test command found (verify.sh, a Makefile test target, a package.json test script, pytest, Cargo.toml, go.mod)",
    ],
  };
}

/** Findings that were looked at and passed over come after the one that decided. */
function withSkipped(d: VerifyDetection, skipped: readonly string[]): VerifyDetection {
  return { ...d, reasons: [...d.reasons, ...skipped] };
}
