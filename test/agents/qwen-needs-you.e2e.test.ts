/**
 * Needs you with the real Qwen Code, read from its screen (its footer at the prompt, "YOLO mode (shift + tab to cycle)" alone): it ends its turn with a question,
 * the task needs you, the nudge typed into its pane reaches the model, and it reports done.
 */
import { describe, it } from "vitest";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { QWEN } from "../helpers/agents-under-test.js";
import { needsYouByScreen } from "../helpers/needs-you-screen.js";

useRealAgentClis();

describe("needs you, with the real Qwen Code", () => {
  it("ends its turn with a question: needs you from its screen, nudged, then reports done", async () => {
    const r = await needsYouByScreen(QWEN);
    console.log(`qwen: needs you after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
