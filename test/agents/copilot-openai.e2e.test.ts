import { describe, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import { COPILOT_CHAT } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Copilot CLI, real binary, sandboxed, through its openai provider against a fake Chat Completions API", () => {
  // The OpenAI Chat Completions route of its own-model provider (copilot.e2e covers its
  // anthropic type): headless only, the TUI being the same program whichever provider answers.
  it("headless (copilot -p): commits, reports done, reaches review", async () => {
    const r = await toReview(COPILOT_CHAT, "copilot-headless");
    console.log(`copilot-headless (openai): review after ${r.seconds.toFixed(1)} s`);
  }, 240_000);

  it("headless retry continues the conversation (--continue)", async () => {
    const r = await retried(COPILOT_CHAT, "copilot-headless", false);
    console.log(`copilot-headless (openai) retry: review after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
