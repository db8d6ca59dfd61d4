/**
 * The real Qwen Code (@qwen-code/qwen-code, pinned in test/agent-clis/) through the `qwen` and
 * `qwen-headless` presets, sandboxed, in tmux, against a local fake Messages API (its anthropic
 * auth type, chosen by the seeding from ANTHROPIC_API_KEY; ANTHROPIC_BASE_URL passed by the
 * profile). Each reaches review, and a failed attempt is retried in the same conversation
 * (`--continue`).
 */
import { describe } from "vitest";
import { journeyTests, useRealAgentClis } from "../helpers/agent-e2e.js";
import { QWEN } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Qwen Code, real binary, sandboxed, against a fake Messages API", () => {
  journeyTests(QWEN, {
    headless: "headless (qwen PROMPT): commits, reports done, reaches review",
    interactive: "interactive (qwen --prompt-interactive): starts unattended, reaches review",
    headlessRetry: "headless retry continues the conversation (--continue)",
    interactiveRetry: "interactive retry continues the conversation (--continue --prompt-interactive)",
  });
});
