/**
 * Needs you with the real Kilo CLI, read from its screen (it has no command hooks; its preset's
 * pattern is its last line, "… ctrl+p commands …"): a 15 s command first must not count as
 * waiting, then it ends its turn with a question, the task needs you, the nudge typed into its
 * pane reaches the model, and it reports done.
 */
import { describe, it } from "vitest";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { KILO } from "../helpers/agents-under-test.js";
import { needsYouByScreen } from "../helpers/needs-you-screen.js";

useRealAgentClis();

describe("needs you, with the real Kilo CLI", () => {
  it("ends its turn with a question: needs you from its screen, nudged, then reports done", async () => {
    const r = await needsYouByScreen(KILO, { workSeconds: 15 });
    console.log(`kilo: needs you after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
