/**
 * The real GitHub Copilot CLI (@github/copilot, pinned in test/agent-clis/) through the `copilot`
 * and `copilot-headless` presets, sandboxed, in tmux, against a local fake Messages API: its own
 * model provider (COPILOT_PROVIDER_BASE_URL, COPILOT_PROVIDER_TYPE=anthropic), so no GitHub login
 * is needed. Each reaches review, and a failed attempt is retried in the same conversation
 * (`--continue`).
 */
import { describe } from "vitest";
import { journeyTests, useRealAgentClis } from "../helpers/agent-e2e.js";
import { COPILOT } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Copilot CLI, real binary, sandboxed, against a fake Messages API (its BYOK provider)", () => {
  journeyTests(COPILOT, {
    headless: "headless (copilot -p): commits, reports done, reaches review",
    interactive: "interactive (copilot -i): starts unattended in a trusted folder, reaches review",
    headlessRetry: "headless retry continues the conversation (--continue -p)",
    interactiveRetry: "interactive retry continues the conversation (--continue -i)",
  });
});
