/**
 * The real Codex CLI (the @openai/codex devDependency) through the `codex` and `codex-headless`
 * presets, sandboxed, in tmux, against a local fake Responses API: out of the box, with only
 * OPENAI_API_KEY and OPENAI_BASE_URL set (the model name in the person's config.toml picks the
 * classic exec_command tool the fake scripts). Each reaches review, and a failed attempt is
 * retried in the same conversation.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentUnderTest, closeApis, retried, toReview } from "../helpers/agent-e2e.js";
import {
  functionOutputs,
  type ResponsesRequest,
  responsesPrompt,
  responsesTurns,
  startFakeResponses,
} from "../helpers/fake-openai-responses.js";
import { cleanupSandboxTests } from "../helpers/sandbox.js";

afterEach(async () => {
  await closeApis();
  await cleanupSandboxTests();
});

const requestsOf = (api: { requests: unknown[] }) => api.requests as ResponsesRequest[];

const CODEX: AgentUnderTest = {
  name: "codex",
  env: ["OPENAI_API_KEY", "OPENAI_BASE_URL"],
  startApi: (script) => startFakeResponses(script),
  configure: async (p, api) => {
    p.env.OPENAI_API_KEY = "sk-test-codex-0123456789";
    p.env.OPENAI_BASE_URL = `${api.url}/v1`;
    // The person's own config: only the model (the fake's tool shape); the rest is Ballador's.
    await mkdir(join(p.home, ".codex"), { recursive: true });
    await writeFile(join(p.home, ".codex", "config.toml"), 'model = "fake-model"\n');
  },
  firstPrompt: (api) => responsesPrompt(requestsOf(api)),
  toolOutputs: (api) => functionOutputs(requestsOf(api)),
  turns: (api) => responsesTurns(requestsOf(api)),
  // The TUI's announcement tip (raw.githubusercontent.com/openai/codex/main/announcement_tip.toml):
  // no setting of 0.169.0 turns it off (show_tooltips = false does not).
  deniedExtras: ["raw.githubusercontent.com"],
};

describe("Codex, real binary, sandboxed, against a fake Responses API", () => {
  it("headless (codex exec): commits, reports done through the shim, reaches review", async () => {
    const r = await toReview(CODEX, "codex-headless");
    console.log(`codex-headless: review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  it("interactive (codex --no-daemon): starts past sign-in, reaches review", async () => {
    const r = await toReview(CODEX, "codex");
    console.log(`codex (interactive): review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  it("headless retry continues the conversation (codex exec resume --last)", async () => {
    const r = await retried(CODEX, "codex-headless", false);
    console.log(`codex-headless retry: review after ${r.seconds.toFixed(1)} s`);
  }, 180_000);

  it("interactive retry continues the conversation (codex resume --last --no-daemon)", async () => {
    const r = await retried(CODEX, "codex", true);
    console.log(`codex retry: review after ${r.seconds.toFixed(1)} s`);
    expect(r.id).toBe("retry-codex");
  }, 180_000);
});
