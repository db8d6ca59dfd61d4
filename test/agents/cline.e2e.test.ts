import { describe } from "vitest";
import { journeyTests, useRealAgentClis } from "../helpers/agent-e2e.js";
import { CLINE } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Cline's CLI, real binary, sandboxed, against a fake Messages API", () => {
  // Its anthropic provider reaches the fake through the person's providers.json (baseUrl), as
  // `cline auth` writes it. It cannot continue a conversation with a new prompt (`--id` opens the
  // TUI on the old one and drops the prompt), so each retry is a new conversation.
  journeyTests(CLINE, {
    headless: "headless (cline with the prompt): commits, reports done, reaches review",
    interactive: "interactive (cline --tui): its TUI starts unattended, reaches review",
    headlessRetry: "headless retry starts a new conversation whose prompt says what failed",
    interactiveRetry: "interactive retry starts a new conversation whose prompt says what failed",
  });
});
