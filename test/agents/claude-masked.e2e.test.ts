/**
 * Claude Code (the real binary) with a masked ANTHROPIC_API_KEY: it runs in the sandbox holding
 * a stand-in, talks HTTPS to a fake Messages API on 127.0.0.1 (its own CA) through the proxy,
 * which adds the real key; the task reaches review and the key is in no file.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { closedAfterTest, realCliProject, useRealAgentClis } from "../helpers/agent-e2e.js";
import { startFakeAnthropic } from "../helpers/fake-anthropic.js";
import { expectInNoFile, leakPlaces, sessionLog, uniqueValue } from "../helpers/sandbox.js";
import { testCertificates } from "../helpers/tls.js";

useRealAgentClis();

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

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
    closedAfterTest(api);
    const real = `sk-ant-${uniqueValue("masked-")}`;
    const p = await realCliProject({
      claude: {
        preset: "claude-headless",
        env: ["ANTHROPIC_BASE_URL"],
        // Claude Code sends its key as x-api-key.
        secrets: {
          ANTHROPIC_API_KEY: { env: "ANTHROPIC_API_KEY", hosts: ["127.0.0.1"], header: "x-api-key" },
        },
      },
    });
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
    await expectInNoFile(real, leakPlaces(p), "the key");
    // Claude Code's approved-key list holds the last 20 characters: not the real ones either.
    await expectInNoFile(real.slice(-20), leakPlaces(p), "the key's tail");
  }, 180_000);
});
