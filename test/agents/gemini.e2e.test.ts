/**
 * The real Gemini CLI (@google/gemini-cli, pinned in test/agent-clis/) through the `gemini` and
 * `gemini-headless` presets, sandboxed, in tmux, against a local fake Gemini API
 * (GEMINI_API_KEY and GOOGLE_GEMINI_BASE_URL passed by the profile). Each reaches review, and a
 * failed attempt is retried in the same conversation: the interactive preset's retry runs
 * headless (`--resume latest --prompt`), since its own resume drops the new prompt.
 */
import { describe, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import { GEMINI } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Gemini CLI, real binary, sandboxed, against a fake Gemini API", () => {
  it("headless (gemini --prompt): commits, reports done, reaches review", async () => {
    const r = await toReview(GEMINI, "gemini-headless");
    console.log(`gemini-headless: review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  it("interactive (gemini --prompt-interactive): starts unattended, reaches review", async () => {
    const r = await toReview(GEMINI, "gemini");
    console.log(`gemini (interactive): review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  it("headless retry continues the conversation (--resume latest)", async () => {
    const r = await retried(GEMINI, "gemini-headless", false);
    console.log(`gemini-headless retry: review after ${r.seconds.toFixed(1)} s`);
  }, 180_000);

  it("interactive retry continues the conversation (resumed headless, with the new prompt)", async () => {
    const r = await retried(GEMINI, "gemini", true);
    console.log(`gemini retry: review after ${r.seconds.toFixed(1)} s`);
  }, 180_000);
});
