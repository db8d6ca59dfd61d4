import { describe } from "vitest";
import { journeyTests, useRealAgentClis } from "../helpers/agent-e2e.js";
import { OPENCODE } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("OpenCode, real binary, sandboxed, against a fake Messages API", () => {
  // Interactive: its seeded config folder is read-only, so it installs nothing from npm (no host denied):
  // writable, its TUI waited 40-100 s for that denied install before sending the prompt.
  journeyTests(OPENCODE, {
    headless: "headless (opencode run --auto): commits, reports done, reaches review",
    interactive: "interactive (opencode --prompt): starts unattended, reaches review",
    headlessRetry: "headless retry continues the conversation (run --continue)",
    interactiveRetry: "interactive retry continues the conversation (resumed headless, with the new prompt)",
  });
});
