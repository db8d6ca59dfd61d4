/**
 * Verification on by default (issue 28): `ballador init` finds the project's own test command in
 * repositories of each ecosystem and writes it as verify, with a suggested bootstrap, saying why;
 * `ballador doctor` warns, by name and with the fix, when nothing verifies.
 */
import { chmod, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanupTempDirs, makeGitRepo, type TestRepo } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

interface InitJson {
  changed: boolean;
  verify: { verify: string | null; bootstrap: string[]; ecosystem: string | null; reasons: string[] };
}

async function initIn(
  files: Record<string, string>,
  executable: string[] = [],
): Promise<{
  repo: TestRepo;
  json: InitJson;
  config: { verify: string | null; bootstrap: string[] };
}> {
  const repo = await makeGitRepo({ files });
  for (const f of executable) {
    await chmod(join(repo.dir, f), 0o755);
    await repo.git(["add", f]);
    await repo.git(["commit", "-q", "-m", `${f} is executable`]);
  }
  const r = await repo.run(["init", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  const json = JSON.parse(r.stdout) as InitJson;
  const config = parse(await readFile(join(repo.dir, ".ballador", "config.yaml"), "utf8"));
  return { repo, json, config };
}

/** init's text output in a repository set up anew (the config removed). */
async function freshInit(repo: TestRepo) {
  await rm(join(repo.dir, ".ballador", "config.yaml"));
  const r = await repo.run(["init"]);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

const NPM_LOCK = JSON.stringify({ name: "lib", lockfileVersion: 3, requires: true, packages: {} });

describe("ballador init detects the project's test command", () => {
  it("npm: package.json's test script, npm ci when node_modules is ignored and a lockfile exists", async () => {
    const { repo, json, config } = await initIn({
      "package.json": JSON.stringify({ name: "lib", scripts: { test: "node --test" } }),
      "package-lock.json": NPM_LOCK,
      ".gitignore": "node_modules/\n",
    });
    expect(config.verify).toBe("npm test");
    expect(config.bootstrap).toEqual(["npm ci"]);
    expect(json.verify).toMatchObject({ verify: "npm test", bootstrap: ["npm ci"], ecosystem: "npm" });
    expect(json.verify.reasons.join("\n")).toMatch(/package\.json has a test script/);
    expect(json.verify.reasons.join("\n")).toMatch(/node_modules is ignored by \.gitignore/);
    // The person reads what was found and why.
    const text = await freshInit(repo);
    expect(text.stdout).toContain("Verify: npm test; bootstrap: npm ci");
    expect(text.stdout).toContain("package.json has a test script");
  });

  it("npm without a lockfile: npm install; yarn.lock: yarn", async () => {
    const plain = await initIn({ "package.json": JSON.stringify({ scripts: { test: "jest" } }) });
    expect(plain.config).toMatchObject({ verify: "npm test", bootstrap: ["npm install"] });
    const yarn = await initIn({
      "package.json": JSON.stringify({ scripts: { test: "jest" } }),
      "yarn.lock": "# yarn lockfile v1\n",
      ".gitignore": "node_modules\n",
    });
    expect(yarn.config).toMatchObject({ verify: "yarn test", bootstrap: ["yarn install --frozen-lockfile"] });
  });

  it("npm's placeholder test script is no test command: verify stays null, and init says so", async () => {
    const { repo, json, config } = await initIn({
      "package.json": JSON.stringify({
        name: "lib",
        scripts: { test: 'echo "Error: no test specified" && exit 1' },
      }),
    });
    expect(config.verify).toBeNull();
    expect(json.verify.verify).toBeNull();
    expect(json.verify.reasons.join("\n")).toMatch(/placeholder/);
    const text = await freshInit(repo);
    expect(text.stdout).toMatch(/No test command found: set verify:/);
  });

  it("make: a Makefile with a test target", async () => {
    const { config, json } = await initIn({
      Makefile: "all:\n\tcc -o x x.c\n\ntest: all\n\t./x --self-test\n",
    });
    expect(config).toMatchObject({ verify: "make test", bootstrap: [] });
    expect(json.verify.ecosystem).toBe("make");
  });

  it("pytest: [tool.pytest.ini_options] in pyproject.toml", async () => {
    const { config, json } = await initIn({
      "pyproject.toml": '[project]\nname = "lib"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n',
      "tests/test_lib.py": "def test_one():\n    assert 1 == 1\n",
    });
    expect(config.verify).toMatch(/^python3? -m pytest$/);
    expect(json.verify.ecosystem).toBe("pytest");
    expect(json.verify.reasons.join("\n")).toMatch(/pyproject\.toml/);
  });

  it("cargo: Cargo.toml", async () => {
    const { config } = await initIn({
      "Cargo.toml": '[package]\nname = "lib"\nversion = "0.1.0"\nedition = "2021"\n',
      "src/lib.rs": "",
    });
    expect(config).toMatchObject({ verify: "cargo test", bootstrap: ["cargo fetch"] });
  });

  it("go: go.mod", async () => {
    const { config } = await initIn({
      "go.mod": "module example.com/lib\n\ngo 1.21\n",
      "lib.go": "package lib\n",
    });
    expect(config).toMatchObject({ verify: "go test ./...", bootstrap: ["go mod download"] });
  });

  it("verify.sh, executable, comes first: the project's explicit contract", async () => {
    const { config, json } = await initIn(
      {
        "verify.sh": "#!/bin/sh\nmake test\n",
        Makefile: "test:\n\ttrue\n",
        "package.json": JSON.stringify({ scripts: { test: "jest" } }),
      },
      ["verify.sh"],
    );
    expect(config).toMatchObject({ verify: "./verify.sh", bootstrap: [] });
    expect(json.verify.ecosystem).toBe("verify.sh");
  });
});

interface DoctorJson {
  checks: Array<{ name: string; ok: boolean; warn?: boolean; detail: string; fix?: string }>;
}

describe("ballador doctor and verify", () => {
  const scripted = "agents: { default: s, profiles: { s: { preset: scripted } } }\nsandbox: { mode: none }\n";

  it("warns, by name and with the fix, when no verify command is configured", async () => {
    const repo = await makeGitRepo({
      files: {
        ".ballador/config.yaml": `base: main\nverify: null\n${scripted}`,
        "package.json": JSON.stringify({ scripts: { test: "node --test" } }),
      },
    });
    const json = await repo.json<DoctorJson>(["doctor"]);
    const check = json.checks.find((c) => c.name === "verify");
    expect(check).toMatchObject({ ok: true, warn: true });
    expect(check?.detail).toMatch(/no verify command/);
    expect(check?.detail).toMatch(/unverified/);
    // The fix names the key and what init would detect.
    expect(check?.fix).toMatch(/verify: npm test/);
    const text = await repo.run(["doctor"]);
    expect(text.stdout).toMatch(/! verify/);
    expect(text.stdout).not.toContain("All checks passed.");
  });

  it("names the command when one is configured, or the base's verify.sh", async () => {
    const repo = await makeGitRepo({
      files: { ".ballador/config.yaml": `base: main\nverify: make check\n${scripted}` },
    });
    const check = (await repo.json<DoctorJson>(["doctor"])).checks.find((c) => c.name === "verify");
    expect(check).toMatchObject({ ok: true, detail: expect.stringContaining("make check") });
    expect(check?.warn).toBeFalsy();
    const withScript = await makeGitRepo({
      files: { ".ballador/config.yaml": `base: main\n${scripted}`, "verify.sh": "#!/bin/sh\ntrue\n" },
    });
    const c2 = (await withScript.json<DoctorJson>(["doctor"])).checks.find((c) => c.name === "verify");
    expect(c2).toMatchObject({ ok: true, detail: expect.stringContaining("./verify.sh") });
    expect(c2?.warn).toBeFalsy();
  });
});
