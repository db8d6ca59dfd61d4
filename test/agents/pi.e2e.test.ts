import { describe } from "vitest";
import { journeyTests, useRealAgentClis } from "../helpers/agent-e2e.js";
import { PI } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Pi, real binary, sandboxed, against a fake Messages API", () => {
  // Its anthropic provider reaches the fake through the baseUrl the seeding writes from
  // ANTHROPIC_BASE_URL (Pi ignores the variable itself).
  journeyTests(PI, {
    headless: "headless (pi -p): commits, reports done, reaches review",
    interactive: "interactive (pi with the prompt): its TUI starts unattended, reaches review",
    headlessRetry: "headless retry continues the conversation (pi --continue -p)",
    interactiveRetry: "interactive retry continues the conversation (pi --continue, with the new prompt)",
  });
});
