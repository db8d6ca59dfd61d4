/**
 * Needs you with the real Qwen Code, from its own hooks (Claude Code's Stop, Notification,
 * UserPromptSubmit and PreToolUse in its settings.json, running `ballador hook`): it ends its
 * turn with a question, the task needs you from the Stop hook within seconds (the screen would
 * take the quiet minute), the nudge typed into its pane reaches the model, and it reports done.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "vitest";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { QWEN } from "../helpers/agents-under-test.js";
import { needsYouByHooks } from "../helpers/needs-you-hooks.js";
import { needsYouByScreen } from "../helpers/needs-you-screen.js";

useRealAgentClis();

describe("needs you, with the real Qwen Code", () => {
  it("ends its turn with a question: needs you from its Stop hook, nudged, then reports done", async () => {
    const r = await needsYouByHooks(QWEN);
    console.log(`qwen: needs you ${r.seconds.toFixed(1)} s after its last answer`);
  }, 300_000);

  // The person turned their hooks off (disableAllHooks): the screen still says it (its footer).
  it("with hooks off: needs you from its screen, nudged, then reports done", async () => {
    const r = await needsYouByScreen({
      ...QWEN,
      configure: async (p, api) => {
        await QWEN.configure(p, api);
        await mkdir(join(p.home, ".qwen"), { recursive: true });
        await writeFile(join(p.home, ".qwen", "settings.json"), JSON.stringify({ disableAllHooks: true }));
      },
    });
    console.log(`qwen (hooks off): needs you after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
