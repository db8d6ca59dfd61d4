import { describe, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import { QWEN_CHAT } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Qwen Code, real binary, sandboxed, through its openai auth type against a fake Chat Completions API", () => {
  // The OpenAI Chat Completions route (qwen.e2e covers its anthropic one): headless only, the
  // TUI being the same program whichever provider answers.
  it("headless (qwen --yolo): commits, reports done, reaches review", async () => {
    const r = await toReview(QWEN_CHAT, "qwen-headless");
    console.log(`qwen-headless (openai): review after ${r.seconds.toFixed(1)} s`);
  }, 240_000);

  it("headless retry continues the conversation (--continue)", async () => {
    const r = await retried(QWEN_CHAT, "qwen-headless", false);
    console.log(`qwen-headless (openai) retry: review after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
