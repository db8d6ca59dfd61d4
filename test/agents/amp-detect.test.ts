/**
 * Amp with its real binary (pinned in test/agent-clis/): `ballador agents` finds it with its
 * version and both modes' command lines, and names its fix (`amp login` or AMP_API_KEY) when
 * there is no key. Amp has no provider of one's own (every request goes to its service), so
 * that and its seeding (test/adapters/amp-home.test.ts) are what can be proven here.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { put } from "../adapters/home-setting.js";
import {
  AGENT_CLIS_TIMEOUT,
  installAgentClis,
  type AgentListed as Listed,
  pathWithOnly,
} from "../helpers/agent-clis.js";
import { cleanupTempDirs, makeGitRepo, parseJson } from "../helpers/cli.js";

beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);
afterEach(cleanupTempDirs);

async function listed(withLogin: boolean) {
  const repo = await makeGitRepo();
  const home = join(repo.parent, "home");
  await mkdir(home);
  if (withLogin)
    put(join(home, ".local", "share", "amp", "secrets.json"), '{"apiKey@https://ampcode.com/":"k"}');
  const { bin, PATH } = await pathWithOnly(repo.parent, ["amp"]);
  const env: NodeJS.ProcessEnv = { PATH, HOME: home, AMP_API_KEY: undefined };
  const r = await repo.run(["agents", "--json"], { env });
  const by = Object.fromEntries(parseJson<{ agents: Listed[] }>(r).agents.map((a) => [a.preset, a]));
  return { bin, by };
}

describe("Amp detected", () => {
  it("with its version and both modes' commands; without a key, its login named as the fix", async () => {
    const { bin, by } = await listed(false);
    expect(by.amp).toMatchObject({
      path: join(bin, "amp"),
      version: expect.stringContaining("0.0.1790142911-g7618fb"),
      command: ["amp", "--dangerously-allow-all", "{prompt}"],
    });
    expect(by["amp-headless"]?.command).toEqual(["amp", "--dangerously-allow-all", "-x", "{prompt}"]);
    // The interactive preset's retry runs headless: `threads continue` would read a prompt as a thread id.
    expect(by.amp?.retryCommand?.join(" ")).toBe(
      "amp threads continue --last --dangerously-allow-all -x {prompt}",
    );
    expect(by.amp?.missing[0]?.problem).toContain("AMP_API_KEY");
    expect(by.amp?.missing[0]?.fix).toContain("amp login");
    expect(by.amp?.missing[0]?.fix).toContain("AMP_API_KEY");
  }, 120_000);

  it("with the person's Amp login, nothing is missing", async () => {
    const { by } = await listed(true);
    expect(by.amp?.credentials).toEqual(["~/.local/share/amp/secrets.json"]);
    expect(by.amp?.missing).toEqual([]);
  }, 120_000);
});
