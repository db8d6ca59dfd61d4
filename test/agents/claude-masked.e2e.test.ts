/**
 * Claude Code (the real binary) with a masked ANTHROPIC_API_KEY: it runs in the sandbox holding
 * a stand-in, talks HTTPS to a fake Messages API on 127.0.0.1 (its own CA) through the proxy,
 * which adds the real key; the task reaches review and the key is in no file.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, AGENT_CLIS_TIMEOUT, installAgentClis } from "../helpers/agent-clis.js";
import { type FakeAnthropic, startFakeAnthropic } from "../helpers/fake-anthropic.js";
import {
  cleanupSandboxTests,
  filesContaining,
  makeSandboxProject,
  sessionLog,
  uniqueValue,
} from "../helpers/sandbox.js";
import { cleanupTls, testCertificates } from "../helpers/tls.js";

const apis: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
  await cleanupSandboxTests();
  cleanupTls();
});

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

// The real CLI: installed on demand (pinned, cached in .cache/agent-clis) the first time.
beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);

describe("Claude Code with a masked API key", () => {
  it("works holding a stand-in; every request reaches the API with the real key; the key is in no file", async () => {
    const tls = testCertificates();
    const api = await startFakeAnthropic({
      tls: { key: tls.key, cert: tls.cert },
      steps: [
        `printf 'hi\\n' > hello.txt && git add hello.txt && git commit -q -m "add hello.txt" && echo COMMITTED`,
        `ballador done --summary "wrote hello.txt"`,
      ],
      finalText: "Done.",
    });
    apis.push(api);
    const real = `sk-ant-${uniqueValue("masked-")}`;
    const p = await makeSandboxProject({
      allowHosts: ["127.0.0.1"],
      config: {
        agents: {
          default: "claude",
          profiles: {
            claude: {
              preset: "claude-headless",
              env: ["ANTHROPIC_BASE_URL"],
              // Claude Code sends its key as x-api-key.
              secrets: {
                ANTHROPIC_API_KEY: { env: "ANTHROPIC_API_KEY", hosts: ["127.0.0.1"], header: "x-api-key" },
              },
            },
          },
        },
      },
    });
    p.env.PATH = `${AGENT_BIN}:${p.env.PATH ?? ""}`;
    await p.part("hello", { body: "Write hello.txt and commit it.", verify: "test -f hello.txt" });
    await p.ok(["queue"]);
    await p.run(["launch"], {
      env: { ANTHROPIC_API_KEY: real, ANTHROPIC_BASE_URL: api.url, NODE_EXTRA_CA_CERTS: tls.caFile },
    });
    const t = await p.waitState("hello", ["review", "failed"], 120_000);
    expect(t.state, `${t.reason}\n${await sessionLog(p, "hello")}`).toBe("review");
    const messages = api.requests.filter((r) => r.path.startsWith("/v1/messages"));
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.every((r) => r.keySha256 === sha(real))).toBe(true);
    for (const dir of [join(p.dir, ".ballador", "state"), p.worktreeRoot, p.dir, p.home]) {
      expect(await filesContaining(dir, real), `the key in ${dir}`).toEqual([]);
      // Claude Code's approved-key list holds the last 20 characters: not the real ones either.
      expect(await filesContaining(dir, real.slice(-20)), `the key's tail in ${dir}`).toEqual([]);
    }
  }, 180_000);
});
