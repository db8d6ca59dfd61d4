import { describe, expect, it } from "vitest";
import { retried, useRealAgentClis } from "../helpers/agent-e2e.js";
import { CODEX as CODEX_AGENT, type ShownUsage, tracked } from "../helpers/agents-under-test.js";
import { type ResponsesRequest, responsesTurns } from "../helpers/fake-openai-responses.js";

useRealAgentClis();

const requestsOf = (api: { requests: unknown[] }) => api.requests as ResponsesRequest[];
const { agent: CODEX, last } = tracked(CODEX_AGENT);
type Usage = ShownUsage;

describe("cost, with the real Codex CLI", () => {
  it("each attempt's usage comes from its rollout, every response once, none counted twice over the resumed retry", async () => {
    const r = await retried(CODEX, "codex-headless", false);
    const runs = (await r.p.show(r.id)).runs as unknown as Array<{ id: string; usage: Usage | null }>;
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      const u = run.usage as Usage;
      expect(u, `run ${run.id} has no usage`).not.toBeNull();
      expect(u.source).toBe("codex");
      expect(Object.keys(u.byModel)).toEqual(["fake-model"]);
      expect(u.messages).toBeGreaterThanOrEqual(2);
      expect(u.input).toBe(10 * u.messages);
      expect(u.output).toBe(5 * u.messages);
    }
    // The model's answers the fake gave (its requests with tools), each counted once at most.
    const answered = responsesTurns(requestsOf(last())).length;
    const counted = runs.reduce((n, run) => n + (run.usage?.messages ?? 0), 0);
    expect(counted).toBeLessThanOrEqual(answered);
    expect(counted).toBeGreaterThanOrEqual(answered - runs.length);
  }, 300_000);
});
