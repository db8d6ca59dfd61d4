/**
 * Cost with the real Claude Code (issue 15): `claude-headless`, sandboxed, in tmux, against the
 * fake Messages API, over two attempts (the first's done is refused by verify, the retry
 * continues the conversation with the previous HOME carried). Each run's usage is read from the
 * session transcript Claude Code wrote in the run's own HOME: every answer the fake gave counted
 * once, in the run that received it (the carried transcript is not counted again), and priced.
 */
import { describe, expect, it } from "vitest";
import {
  closedAfterTest,
  pointAtFakeClaude,
  realCliProject,
  useRealAgentClis,
} from "../helpers/agent-e2e.js";
import type { ShownUsage } from "../helpers/agents-under-test.js";
import { startFakeAnthropic } from "../helpers/fake-anthropic.js";
import { CLAUDE_ENV } from "../helpers/profiles.js";

useRealAgentClis();

type Usage = ShownUsage;

describe("cost, with the real Claude Code", () => {
  it("each attempt's usage comes from its own transcript in the run's HOME, every answer once", async () => {
    const id = "counted";
    const api = await startFakeAnthropic({
      steps: [
        `printf 'wrong\\n' > hello.txt && git add hello.txt && git commit -q -m "first try"`,
        `ballador done --summary "first try"`,
      ],
      onPrompt: {
        marker: "This is attempt 2",
        steps: [
          `printf 'hello\\n' > hello.txt && git commit -q -am "fix the greeting"`,
          `ballador done --summary "fixed"`,
        ],
      },
    });
    closedAfterTest(api);
    const p = await realCliProject(
      { "claude-headless": { preset: "claude-headless", env: [...CLAUDE_ENV] } },
      { config: { max_attempts: 2, prices: { "claude-*": { input: 3, output: 15 } } } },
    );
    pointAtFakeClaude(p, api, "sk-ant-test-cost");
    await p.part(id, { body: "Write hello.txt saying hello.", verify: "grep -qx hello hello.txt" });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState(id, ["review", "failed", "blocked"], 120_000);
    const task = await p.task(id);
    expect(task.state, task.reason ?? "").toBe("review");
    expect(task.attempt).toBe(2);

    const shown = (await p.show(id)) as unknown as {
      runs: Array<{ id: string; usage: Usage | null }>;
      cost: { tokens: number; usd: number | null } | null;
    };
    const runs = shown.runs.filter((r) => !r.id.includes("review"));
    expect(runs).toHaveLength(2);
    // The fake answers every turn with 10 input and 20 output tokens.
    const answered = api.requests.filter((r) => /^(tool_use|final)/.test(r.answer)).length;
    for (const r of runs) {
      const u = r.usage as Usage;
      expect(u, `run ${r.id} has no usage`).not.toBeNull();
      expect(u.source).toBe("claude");
      expect(u.messages).toBeGreaterThanOrEqual(2);
      expect(u.input).toBe(10 * u.messages);
      expect(u.output).toBe(20 * u.messages);
    }
    // Together the answers the fake gave in the conversation: the second run's carried
    // transcript (the first run's answers) is not counted again (counting it twice would pass the total).
    // The answer that follows an accepted done may be missing: Ballador stops the agent once it
    // has reported, and what Claude Code never wrote down is not in its records.
    const counted = runs.reduce((n, r) => n + (r.usage?.messages ?? 0), 0);
    expect(counted).toBeLessThanOrEqual(answered);
    expect(counted).toBeGreaterThanOrEqual(answered - 1);
    expect(shown.cost?.tokens).toBe(30 * counted);
    expect(shown.cost?.usd).toBeCloseTo((counted * (10 * 3 + 20 * 15)) / 1e6, 9);
  }, 150_000);
});
