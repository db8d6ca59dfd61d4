/**
 * Pi's and Cline's presets as a person meets them: the command line of each mode and of a
 * retry (a table), `ballador agents` finding the real pinned binaries with their versions, and
 * `ballador doctor` naming what is missing (a login, an allowlisted base URL) with its fix.
 */
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PRESETS, withResume } from "../../src/adapters/agents/presets.js";
import { AGENT_BIN, AGENT_CLIS_TIMEOUT, installAgentClis } from "../helpers/agent-clis.js";
import { cleanupTempDirs, makeGitRepo, parseJson } from "../helpers/cli.js";

beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);
afterEach(cleanupTempDirs);

/** preset, its mode, its command line, the command line of a retry (null: a new conversation). */
const TABLE: Array<[string, string, string, string | null]> = [
  ["pi", "interactive", "pi {prompt}", "pi --continue {prompt}"],
  ["pi-headless", "headless", "pi -p {prompt}", "pi --continue -p {prompt}"],
  ["cline", "interactive", "cline --tui {prompt}", null],
  ["cline-headless", "headless", "cline {prompt}", null],
];

describe("Pi's and Cline's presets", () => {
  it.each(TABLE)("%s (%s): `%s`, retried as `%s`", (name, mode, line, retry) => {
    const preset = PRESETS[name];
    expect(preset?.mode).toBe(mode);
    const command = preset?.command ?? [];
    expect(command.join(" ")).toBe(line);
    expect(withResume(command, preset as NonNullable<typeof preset>)?.join(" ") ?? null).toBe(retry);
  });

  it("ballador agents finds the pinned binaries with their versions, tested here", async () => {
    const repo = await makeGitRepo();
    const home = join(repo.parent, "home");
    await mkdir(home);
    // Only these two on PATH: every other pinned CLI answering --version at once, on a loaded
    // machine, took longer than the listing waits for one.
    const bin = join(repo.parent, "bin");
    await mkdir(bin);
    for (const b of ["pi", "cline"]) await symlink(join(AGENT_BIN, b), join(bin, b));
    const r = await repo.run(["agents", "--json"], { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: home } });
    const listed = parseJson<{
      agents: Array<{ preset: string; path: string | null; version: string | null; tested: string | null }>;
    }>(r).agents;
    const byName = Object.fromEntries(listed.map((a) => [a.preset, a]));
    for (const [name, version] of [
      ["pi", "0.73.1"],
      ["pi-headless", "0.73.1"],
      ["cline", "3.0.65"],
      ["cline-headless", "3.0.65"],
    ] as const) {
      expect(byName[name]?.path, name).toBe(join(bin, name.split("-")[0] as string));
      expect(byName[name]?.version, name).toContain(version);
      expect(byName[name]?.tested, name).toContain(version);
    }
  }, 60_000);

  it("ballador doctor names the missing login and a base URL the sandbox would refuse, each with its fix", async () => {
    const repo = await makeGitRepo();
    const home = join(repo.parent, "home");
    await mkdir(home);
    await repo.write(
      ".ballador/config.yaml",
      "agents:\n  default: pi\n  profiles:\n    pi: { preset: pi }\n    cline: { preset: cline-headless }\n",
    );
    const env: NodeJS.ProcessEnv = { PATH: `${AGENT_BIN}:/usr/bin:/bin`, HOME: home };
    for (const name of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "CLINE_API_KEY"])
      env[name] = undefined;
    type Check = { name: string; ok: boolean; detail: string; fix?: string };
    const checks = async (more: NodeJS.ProcessEnv) => {
      const r = await repo.run(["doctor", "--json"], { env: { ...env, ...more } });
      return parseJson<{ checks: Check[] }>(r).checks;
    };
    const first = await checks({});
    const pi = first.find((c) => c.name === "agent pi");
    expect(pi?.ok).toBe(false);
    expect(pi?.detail).toContain("pi 0.73.1 at ");
    expect(pi?.detail).toContain(
      "no credentials: none of ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY is set",
    );
    expect(pi?.fix).toContain("or log in once with pi (~/.pi/agent/auth.json)");
    const cline = first.find((c) => c.name === "agent cline");
    expect(cline?.ok).toBe(false);
    expect(cline?.detail).toContain("cline 3.0.65 at ");
    expect(cline?.detail).toContain("there is no ~/.cline/data/settings/providers.json");

    // A local model server the sandbox's allowlist does not list: every request would be refused.
    const local = await checks({ ANTHROPIC_API_KEY: "sk-x", ANTHROPIC_BASE_URL: "http://127.0.0.1:9/" });
    const named = local.filter((c) => `${c.detail} ${c.fix ?? ""}`.includes("ANTHROPIC_BASE_URL"));
    expect(named.map((c) => c.fix ?? "").join("\n")).toContain('allow_hosts: ["127.0.0.1"]');
  }, 90_000);
});
