import { describe, expect, it } from "vitest";
import {
  closedAfterTest,
  diagnose,
  pointAtFakeClaude,
  realCliProject,
  settle,
  useRealAgentClis,
} from "../helpers/agent-e2e.js";
import { agentTurns, startFakeAnthropic, textOf } from "../helpers/fake-anthropic.js";
import { CLAUDE_ENV } from "../helpers/profiles.js";
import { type NeedsYou, waitFor } from "../helpers/runtime.js";

useRealAgentClis();

describe("needs you, with the real Claude Code", () => {
  it("ends its turn without done: needs you within seconds, nudged, then reports done", async () => {
    const id = "asks-claude";
    const NUDGE = "Nobody is watching this session";
    const api = await startFakeAnthropic({
      steps: [`printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m "add hello.txt"`],
      finalText: "Should the greeting be formal or casual?",
      onPrompt: { marker: NUDGE, steps: [`ballador done --summary "chose casual"`], finalText: "Reported." },
    });
    closedAfterTest(api);
    const p = await realCliProject(
      { claude: { preset: "claude", env: [...CLAUDE_ENV] } },
      { config: { needs_you: { quiet: "1m", nudge_after: "4s" }, idle_timeout: "10m" } },
    );
    pointAtFakeClaude(p, api, "sk-ant-test-0123456789abcdefghijKEY");
    await p.part(id, { body: "Write hello.txt with a greeting and commit it.", verify: "test -f hello.txt" });
    await p.ok(["queue"]);
    const launched = await p.run(["launch", "--json"]);
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);

    let asks: NeedsYou;
    try {
      asks = await waitFor(
        async () => {
          const t = (await p.status()).tasks.find((x) => x.id === id) as
            | { needsYou?: NeedsYou | null }
            | undefined;
          return t?.needsYou ?? undefined;
        },
        `${id} to need you`,
        75_000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await diagnose(p, id)}`);
    }
    expect(asks.asked).toContain("ended its turn without ballador done");
    // Within seconds of the turn's end (the last API answer), not after the quiet period (1m):
    // the bound leaves a loaded machine slack and stays well under it.
    const lastAnswer = Date.parse(api.requests.at(-1)?.at ?? "");
    expect(Date.parse(asks.since) - lastAnswer).toBeLessThan(40_000);

    await settle(p, id, 75_000);
    const shown = await p.show(id);
    expect(shown.notes.map((n) => n.text)).toContain("needs you: nudged (nobody answered)");
    expect(shown.notes.map((n) => n.text)).toContain("chose casual");
    // The nudge reached the model as the person's next message.
    const nudged = agentTurns(api.requests).some((b) =>
      (b.messages ?? []).some((m) => m.role === "user" && textOf(m.content).includes(NUDGE)),
    );
    expect(nudged).toBe(true);
  }, 180_000);
});
