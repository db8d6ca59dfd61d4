/**
 * The real OpenCode CLI (the opencode-ai devDependency) through the `opencode` and
 * `opencode-headless` presets, sandboxed, in tmux, with its built-in anthropic provider pointed
 * at a local fake Messages API by the person's opencode.json (seeded into the run). Each
 * reaches review, and a failed attempt is retried in the same conversation: the interactive
 * preset's retry runs headless (`opencode run --continue`), since `--continue --prompt` never
 * sends the new prompt.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, it } from "vitest";
import { type AgentUnderTest, closeApis, retried, toReview } from "../helpers/agent-e2e.js";
import {
  agentTurns,
  firstPrompt,
  type RecordedRequest,
  startFakeAnthropic,
  toolResults,
} from "../helpers/fake-anthropic.js";
import { cleanupSandboxTests } from "../helpers/sandbox.js";

afterEach(async () => {
  await closeApis();
  await cleanupSandboxTests();
});

const requestsOf = (api: { requests: unknown[] }) => api.requests as RecordedRequest[];

const OPENCODE: AgentUnderTest = {
  name: "opencode",
  env: ["ANTHROPIC_API_KEY"],
  startApi: (script) => startFakeAnthropic(script),
  configure: async (p, api) => {
    p.env.ANTHROPIC_API_KEY = "sk-ant-test-opencode";
    const dir = join(p.home, ".config", "opencode");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "opencode.json"),
      JSON.stringify({
        $schema: "https://opencode.ai/config.json",
        model: "anthropic/claude-sonnet-4-5",
        provider: { anthropic: { options: { baseURL: `${api.url}/v1` } } },
      }),
    );
  },
  firstPrompt: (api) => firstPrompt(requestsOf(api)),
  toolOutputs: (api) => toolResults(requestsOf(api)).map((r) => r.text),
  turns: (api) => agentTurns(requestsOf(api)),
};

describe("OpenCode, real binary, sandboxed, against a fake Messages API", () => {
  it("headless (opencode run --auto): commits, reports done, reaches review", async () => {
    const r = await toReview(OPENCODE, "opencode-headless");
    console.log(`opencode-headless: review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  // Its seeded config folder is read-only, so it installs nothing from npm (no host denied):
  // writable, its TUI waited 40-100 s for that denied install before sending the prompt.
  it("interactive (opencode --prompt): starts unattended, reaches review", async () => {
    const r = await toReview(OPENCODE, "opencode");
    console.log(`opencode (interactive): review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  it("headless retry continues the conversation (run --continue)", async () => {
    const r = await retried(OPENCODE, "opencode-headless", false);
    console.log(`opencode-headless retry: review after ${r.seconds.toFixed(1)} s`);
  }, 180_000);

  it("interactive retry continues the conversation (resumed headless, with the new prompt)", async () => {
    const r = await retried(OPENCODE, "opencode", true);
    console.log(`opencode retry: review after ${r.seconds.toFixed(1)} s`);
  }, 180_000);
});
