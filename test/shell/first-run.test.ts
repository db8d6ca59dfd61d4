/**
 * The first run from a fresh clone (issue 31): `npm install` brings no agent CLI (four of them
 * were about 1 GB of devDependencies the demo never used), the demo reaches the review queue with
 * none anywhere on PATH, and a long set-up step prints a line at least every 10 seconds.
 */
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, cleanupTempDirs, makeTempDir, PACKAGE_ROOT, runCli, runProgram } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

const AGENT_PACKAGES = [
  "@ampcode/cli",
  "@ampcode/cli-linux-x64",
  "@anthropic-ai/claude-code",
  "@augmentcode/auggie",
  "@factory/cli",
  "@factory/cli-linux-x64",
  "@github/copilot",
  "@google/gemini-cli",
  "@kilocode/cli",
  "@kilocode/cli-linux-x64",
  "@mariozechner/pi-coding-agent",
  "@openai/codex",
  "@qwen-code/qwen-code",
  "cline",
  "opencode-ai",
];
const AGENT_COMMANDS = ["claude", "codex", "gemini", "opencode"];

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const json = <T>(path: string) => JSON.parse(readFileSync(join(PACKAGE_ROOT, path), "utf8")) as T;

describe("the first run from a fresh clone", () => {
  it("npm install brings no agent CLI: they are pinned apart, for the tests that drive them", () => {
    const pkg = json<Manifest>("package.json");
    const declared = Object.keys({
      ...pkg.dependencies,
      ...pkg.devDependencies,
      ...pkg.optionalDependencies,
    });
    expect(declared.filter((d) => AGENT_PACKAGES.includes(d))).toEqual([]);
    // The lock a fresh clone installs from: not one agent CLI, nor one of their platform binaries.
    const lock = json<{ packages: Record<string, unknown> }>("package-lock.json");
    const agentish = Object.keys(lock.packages).filter((p) =>
      /node_modules\/(@anthropic-ai\/claude-code|@google\/gemini-cli|@openai\/codex|opencode-|@github\/copilot|@qwen-code\/|@mariozechner\/pi-|cline(\/|$))/.test(
        p,
      ),
    );
    expect(agentish).toEqual([]);
    // Where they went: exact versions (a prerelease tag is exact too: Amp's), with a lock, for scripts/install-agent-clis.mjs.
    const pins = json<Manifest>("test/agent-clis/package.json").dependencies ?? {};
    expect(Object.keys(pins).sort()).toEqual([...AGENT_PACKAGES].sort());
    for (const version of Object.values(pins)) expect(version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/);
    const pinnedLock = json<{ packages: Record<string, { version?: string }> }>(
      "test/agent-clis/package-lock.json",
    );
    for (const [name, version] of Object.entries(pins))
      expect(pinnedLock.packages[`node_modules/${name}`]?.version, name).toBe(version);
  });

  it("the demo reaches the review queue with no agent CLI anywhere on PATH", async () => {
    const tmp = await makeTempDir("bl-first-run-");
    // PATH without any folder holding an agent CLI (node_modules/.bin, a global npm prefix, …).
    const path = (process.env.PATH ?? "")
      .split(delimiter)
      .filter((dir) => dir && !AGENT_COMMANDS.some((c) => existsSync(join(dir, c))))
      .join(delimiter);
    for (const c of AGENT_COMMANDS) {
      const found = await runProgram("sh", ["-c", `command -v ${c}`], { cwd: tmp, env: { PATH: path } });
      expect(found.stdout, `${c} is still on PATH`).toBe("");
    }
    const env = cleanEnv(join(tmp, "xdg"), {
      PATH: path,
      HOME: join(tmp, "home"),
      TMPDIR: tmp,
      // Nowhere the agent tests' cache could be found.
      BALLADOR_AGENT_CLIS_DIR: join(tmp, "no-agent-clis"),
    });
    const demo = await runCli(["demo", "--json"], { cwd: tmp, env, timeoutMs: 180_000 });
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    const result = JSON.parse(demo.stdout) as { ok: boolean; states: Record<string, number> };
    expect(result).toMatchObject({ ok: true, states: { review: 4 } });
    expect(existsSync(join(tmp, "no-agent-clis"))).toBe(false);
  }, 240_000);

  it("a long set-up step prints a line at least every period, and keeps the step's exit status", async () => {
    const tmp = await makeTempDir("bl-progress-");
    const started = Date.now();
    const r = await runProgram(
      "sh",
      [
        join(PACKAGE_ROOT, "scripts", "with-progress.sh"),
        "ballador setup: npm install",
        "sh",
        "-c",
        "sleep 3.5; echo out; exit 3",
      ],
      { cwd: tmp, env: { PATH: process.env.PATH ?? "", BALLADOR_PROGRESS_EVERY: "1" } },
    );
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("out\n");
    const ticks = r.stderr
      .split("\n")
      .filter((l) => /^ballador setup: npm install: still working, \d+ s$/.test(l));
    expect(ticks.length, r.stderr).toBeGreaterThanOrEqual(2);
    // Ends with the step: no ticker outlives it holding the caller's pipe open (slack for a
    // loaded machine; a ticker that is never stopped holds the pipe for good).
    expect(seconds).toBeLessThan(15);

    // A quick step under a long period: a ticker that slept its period with the pipe open would
    // hold the caller for 60 s.
    const quickStarted = Date.now();
    const quick = await runProgram(
      "sh",
      [join(PACKAGE_ROOT, "scripts", "with-progress.sh"), "ballador setup: quick", "sh", "-c", "echo quick"],
      { cwd: tmp, env: { PATH: process.env.PATH ?? "", BALLADOR_PROGRESS_EVERY: "60" } },
    );
    expect(quick.code).toBe(0);
    expect(quick.stdout).toBe("quick\n");
    expect(Date.now() - quickStarted).toBeLessThan(30_000);
  }, 90_000);
});
