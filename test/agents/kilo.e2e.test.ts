import { describe } from "vitest";
import { journeyTests, useRealAgentClis } from "../helpers/agent-e2e.js";
import { KILO } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Kilo Code's CLI, real binary, sandboxed, against a fake Messages API", () => {
  // An OpenCode fork: its anthropic provider reaches the fake through the person's kilo.json
  // (baseURL); its config folder is read-only in the sandbox, as OpenCode's.
  journeyTests(KILO, {
    headless: "headless (kilo run --auto): commits, reports done, reaches review",
    interactive: "interactive (kilo --auto --prompt): starts unattended, reaches review",
    headlessRetry: "headless retry continues the conversation (run --continue)",
    interactiveRetry: "interactive retry continues the conversation (resumed headless, with the new prompt)",
  });
});
