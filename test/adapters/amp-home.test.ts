/**
 * The real Amp binary (pinned in test/agent-clis/) in the HOME Ballador seeds for it: the
 * person's login (their secrets.json, keyed by service URL) is there and is what it sends to
 * AMP_URL; without it, it would start its login flow instead.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { prepareAgentHome } from "../../src/adapters/agents/home.js";
import { AGENT_BIN, AGENT_CLIS_TIMEOUT, installAgentClis } from "../helpers/agent-clis.js";
import { cleanupTempDirs } from "../helpers/cli.js";
import { homeSetting, profileOf, put } from "./home-setting.js";

beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);
afterEach(cleanupTempDirs);

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
