/**
 * Amp with its real binary (pinned in test/agent-clis/): `ballador agents` finds it with its
 * version and both modes' command lines, names its fix (`amp login` or AMP_API_KEY) when there is
 * no key, and the run's HOME that Ballador seeds carries the person's Amp login (their
 * secrets.json) and nothing else: the real binary sends that key to AMP_URL. Amp has no
 * provider of one's own (every request goes to its service), so that is what can be proven here.
 */
import { execFile } from "node:child_process";
import { mkdir, symlink } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { prepareAgentHome } from "../../src/adapters/agents/home.js";
import { homeSetting, profileOf, put } from "../adapters/home-setting.js";
import { AGENT_BIN, AGENT_CLIS_TIMEOUT, installAgentClis } from "../helpers/agent-clis.js";
import { cleanupTempDirs, makeGitRepo, parseJson } from "../helpers/cli.js";

beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);
afterEach(cleanupTempDirs);

interface Listed {
  preset: string;
  path: string | null;
  version: string | null;
  command: string[];
  retryCommand: string[] | null;
  credentials: string[];
  missing: Array<{ problem: string; fix: string }>;
}

async function listed(withLogin: boolean) {
  const repo = await makeGitRepo();
  const home = join(repo.parent, "home");
  await mkdir(home);
  if (withLogin)
    put(join(home, ".local", "share", "amp", "secrets.json"), '{"apiKey@https://ampcode.com/":"k"}');
  const bin = join(repo.parent, "bin");
  await mkdir(bin);
  await symlink(join(AGENT_BIN, "amp"), join(bin, "amp"));
  const env: NodeJS.ProcessEnv = { PATH: `${bin}:/usr/bin:/bin`, HOME: home, AMP_API_KEY: undefined };
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

describe("Amp in the HOME Ballador seeds", () => {
  it("sends the person's key, from the secrets.json seeded, to AMP_URL", async () => {
    const seen: Array<{ path: string; auth: string | undefined }> = [];
    const server = createServer((req, res) => {
      seen.push({ path: req.url ?? "", auth: req.headers.authorization });
      res.writeHead(401).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const s = await homeSetting();
      // Amp keys its secrets by service URL: the person's login to this (local) service.
      put(
        join(s.realHome, ".local", "share", "amp", "secrets.json"),
        JSON.stringify({ [`apiKey@${url}`]: "sgamp_person" }),
      );
      put(join(s.realHome, ".claude", ".credentials.json"), '{"claudeAiOauth":{}}');
      await prepareAgentHome(profileOf("amp-headless"), s.ctx);
      const out = await new Promise<string>((resolve) => {
        execFile(
          join(AGENT_BIN, "amp"),
          ["--dangerously-allow-all", "-x", "say hi"],
          { cwd: s.worktree, env: { PATH: "/usr/bin:/bin", HOME: s.home, AMP_URL: url }, timeout: 60_000 },
          (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
        ).stdin?.end();
      });
      // It stops at the key check (this service refuses it), not at a login flow: the key was found.
      expect(out).toContain("Invalid or missing API key");
      expect(out).not.toContain("Starting login flow");
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen.map((r) => r.auth))).toEqual(new Set(["Bearer sgamp_person"]));
    } finally {
      server.close();
    }
  }, 120_000);
});
