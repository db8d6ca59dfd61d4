/**
 * usableRunner: the one question everything that would send a run to a runner asks first. Only a
 * passing check that still holds (same SSH target and root, home's own build of Ballador there,
 * the profile's agent found there) makes a runner usable; every refusal says why and what to run.
 */
import { describe, expect, it } from "vitest";
import { withRunnerDefaults } from "../src/config/runners-schema.js";
import { type Config, DEFAULT_CONFIG } from "../src/config/schema.js";
import {
  balladorBuild,
  type RunnerRecord,
  remotePath,
  runnerInstallDir,
  usableRunner,
  writeRunnerRecord,
} from "../src/project/runners.js";
import { VERSION } from "../src/version.js";
import { makeTempDir } from "./helpers/cli.js";

const config: Config = {
  ...DEFAULT_CONFIG,
  runners: [withRunnerDefaults({ name: "box", ssh: "dev@box" })],
};

function record(over: Partial<RunnerRecord> = {}): RunnerRecord {
  return {
    name: "box",
    ssh: "dev@box",
    root: "~/.ballador",
    ok: true,
    checked_at: "2026-12-07T10:00:00.000Z",
    reason: null,
    checks: [],
    ballador: { version: VERSION, build: balladorBuild(), dir: runnerInstallDir("~/.ballador") },
    agents: { claude: "/usr/bin/claude", ghost: null },
    ...over,
  };
}

describe("usableRunner", () => {
  it("uses local always, and a runner whose passing check still holds", async () => {
    const state = await makeTempDir();
    expect(usableRunner(config, state, "local")).toEqual({ ok: true, local: true });
    writeRunnerRecord(state, record());
    const use = usableRunner(config, state, "box", "claude");
    expect(use.ok && !use.local && use.runner.max_sessions).toBe(4);
  });

  it("refuses, with the reason and the command to run: unknown, never checked, failed, moved, another build, no agent", async () => {
    const state = await makeTempDir();
    const reason = (name: string, profile?: string) => {
      const r = usableRunner(config, state, name, profile);
      return r.ok ? "usable" : r.reason;
    };
    expect(reason("gpu")).toBe(
      'no runner "gpu" in the config (runners: box); add it with: ballador runner add gpu --ssh USER@HOST',
    );
    expect(reason("box")).toBe('runner "box" was never checked: run ballador runner check box');
    writeRunnerRecord(state, record({ ok: false, reason: "bwrap: bwrap not found on the runner's PATH" }));
    expect(reason("box")).toMatch(
      /^runner "box" failed its check at 2026-12-07T10:00:00.000Z: bwrap: bwrap not found.*ballador runner check box$/,
    );
    writeRunnerRecord(state, record({ ssh: "old@box" }));
    expect(reason("box")).toMatch(
      /was checked as old@box \(root ~\/.ballador\), the config now says dev@box/,
    );
    writeRunnerRecord(state, record({ ballador: { version: VERSION, build: "0123456789abcdef", dir: "x" } }));
    expect(reason("box")).toMatch(
      /holds Ballador .* \(build 0123456789abcdef\), home runs .*: run ballador runner check box to install it/,
    );
    writeRunnerRecord(state, record());
    expect(reason("box", "ghost")).toMatch(/has no agent for profile "ghost"/);
    expect(reason("box", "newcomer")).toMatch(/was checked before profile "newcomer" existed/);
    expect(reason("box", "claude")).toBe("usable");
  });

  it("writes runner paths as one shell word, the runner's ~ as its $HOME", () => {
    expect(remotePath("~/.ballador/ballador")).toBe(`"$HOME"/'.ballador/ballador'`);
    expect(remotePath("/srv/b")).toBe("'/srv/b'");
  });
});
