/**
 * Needs you with the real Cline's CLI, read from its screen (its last line, "⏵⏵ Auto-approve all enabled (Shift+Tab)", the same while it works, when its spinner keeps the pane printing):
 * a 15 s command first does not count as waiting; it ends its turn with a question, the task
 * needs you, the nudge typed into its pane reaches the model, and it reports done.
 */
import { describe, it } from "vitest";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { CLINE } from "../helpers/agents-under-test.js";
import { needsYouByScreen } from "../helpers/needs-you-screen.js";

useRealAgentClis();

describe("needs you, with the real Cline's CLI", () => {
  it("works 15 s (not needing you), ends its turn with a question: needs you from its screen, nudged, then reports done", async () => {
    const r = await needsYouByScreen(CLINE, { workSeconds: 15 });
    console.log(`cline: needs you after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
