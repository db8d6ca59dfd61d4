/**
 * The real Gemini CLI (@google/gemini-cli, pinned in test/agent-clis/) through the `gemini` and
 * `gemini-headless` presets, sandboxed, in tmux, against a local fake Gemini API
 * (GEMINI_API_KEY and GOOGLE_GEMINI_BASE_URL passed by the profile). Each reaches review, and a
 * failed attempt is retried in the same conversation: the interactive preset's retry runs
 * headless (`--resume latest --prompt`), since its own resume drops the new prompt.
 */
import { describe } from "vitest";
import { journeyTests, useRealAgentClis } from "../helpers/agent-e2e.js";
import { GEMINI } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Gemini CLI, real binary, sandboxed, against a fake Gemini API", () => {
  journeyTests(GEMINI, {
    headless: "headless (gemini --prompt): commits, reports done, reaches review",
    interactive: "interactive (gemini --prompt-interactive): starts unattended, reaches review",
    headlessRetry: "headless retry continues the conversation (--resume latest)",
    interactiveRetry: "interactive retry continues the conversation (resumed headless, with the new prompt)",
  });
});
