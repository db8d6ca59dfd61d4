import { describe } from "vitest";
import { journeyTests, useRealAgentClis } from "../helpers/agent-e2e.js";
import { CODEX } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Codex, real binary, sandboxed, against a fake Responses API", () => {
  journeyTests(CODEX, {
    headless: "headless (codex exec): commits, reports done through the shim, reaches review",
    interactive: "interactive (codex --no-daemon): starts past sign-in, reaches review",
    headlessRetry: "headless retry continues the conversation (codex exec resume --last)",
    interactiveRetry: "interactive retry continues the conversation (codex resume --last --no-daemon)",
  });
});
