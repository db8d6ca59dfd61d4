/**
 * Pi's and Cline's presets as a person meets them, through the real executable: `ballador
 * agents` lists each mode's command line and a retry's (a table), finding the real pinned
 * binaries with their versions; `ballador doctor` names what is missing (a login, an
 * allowlisted base URL) with its fix.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AGENT_BIN,
  AGENT_CLIS_TIMEOUT,
  installAgentClis,
  type AgentListed as Listed,
  pathWithOnly,
} from "../helpers/agent-clis.js";
import { cleanupTempDirs, makeGitRepo, parseJson } from "../helpers/cli.js";

beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);
afterEach(cleanupTempDirs);

/** preset, its mode, its command line, the command line of a retry (null: a new conversation). */
const TABLE: Array<[string, string, string, string | null, string]> = [
  ["pi", "interactive", "pi {prompt}", "pi --continue {prompt}", "0.73.1"],
  ["pi-headless", "headless", "pi -p {prompt}", "pi --continue -p {prompt}", "0.73.1"],
  ["cline", "interactive", "cline --tui {prompt}", null, "3.0.65"],
  ["cline-headless", "headless", "cline {prompt}", null, "3.0.65"],
];

/** `ballador agents --json` with only the pinned pi and cline on PATH, and where they are. */
async function listed(): Promise<{ byName: Record<string, Listed>; bin: string }> {
  const repo = await makeGitRepo();
  const home = join(repo.parent, "home");
  await mkdir(home);
  const { bin, PATH } = await pathWithOnly(repo.parent, ["pi", "cline"]);
  const r = await repo.run(["agents", "--json"], { env: { PATH, HOME: home } });
  const agents = parseJson<{ agents: Listed[] }>(r).agents;
  return { byName: Object.fromEntries(agents.map((a) => [a.preset, a])), bin };
}

describe("Pi's and Cline's presets", () => {
  let list: Promise<{ byName: Record<string, Listed>; bin: string }> | null = null;
  const once = () => {
    list ??= listed();
    return list;
  };

  it.each(TABLE)(
    "%s (%s): `%s`, retried as `%s`; found with its version %s",
    async (name, mode, line, retry, version) => {
      const { byName, bin } = await once();
      const a = byName[name];
      expect(a?.mode).toBe(mode);
      expect(a?.command.join(" ")).toBe(line);
      expect(a?.retryCommand?.join(" ") ?? null).toBe(retry);
      expect(a?.path).toBe(join(bin, name.split("-")[0] as string));
      expect(a?.version).toContain(version);
      expect(a?.tested).toContain(version);
    },
    60_000,
  );

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
