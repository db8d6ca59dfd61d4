import { describe, expect, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import {
  OPENCODE as OPENCODE_AGENT,
  type ShownCost,
  type ShownUsage,
  tracked,
} from "../helpers/agents-under-test.js";
import { agentTurns, type RecordedRequest } from "../helpers/fake-anthropic.js";

useRealAgentClis();

const requestsOf = (api: { requests: unknown[] }) => api.requests as RecordedRequest[];
const { agent: OPENCODE, last } = tracked(OPENCODE_AGENT);
type Usage = ShownUsage;
type Shown = ShownCost;

const PRICES = { "claude-*": { input: 3, output: 15 } };

/** The answers the fake gave to the agent's conversation (its requests with tools). */
function answered(): number {
  return agentTurns(requestsOf(last())).length;
}

function expectAnswers(u: Usage | null, runId: string): Usage {
  expect(u, `run ${runId} has no usage`).not.toBeNull();
  const usage = u as Usage;
  expect(usage.source).toBe("opencode");
  expect(Object.keys(usage.byModel)).toEqual(["claude-sonnet-4-5"]);
  // OpenCode writes an answer's tokens when its step ends, after its tool ran: the answer whose
  // tool was the accepted `ballador done` may be stopped before (seen in one of two runs).
  expect(usage.messages).toBeGreaterThanOrEqual(1);
  expect(usage).toMatchObject({ input: 10 * usage.messages, output: 20 * usage.messages, cacheRead: 0 });
  return usage;
}

describe("cost, with the real OpenCode", () => {
  it("a run's usage is its answers in OpenCode's database, each once, at the fake's numbers, priced", async () => {
    const r = await toReview(OPENCODE, "opencode-headless", 100_000, { prices: PRICES });
    const shown = (await r.p.show(r.id)) as unknown as Shown;
    const runs = shown.runs.filter((run) => !run.id.includes("review"));
    expect(runs).toHaveLength(1);
    const n = answered();
    console.log(`opencode-headless: ${n} answers, usage ${JSON.stringify(runs[0]?.usage)}`);
    const u = expectAnswers(runs[0]?.usage ?? null, runs[0]?.id ?? "?");
    // The last answer may be missing: Ballador stops the agent once it has reported, and what
    // OpenCode never wrote down is not in its records.
    expect(u.messages).toBeLessThanOrEqual(n);
    expect(u.messages).toBeGreaterThanOrEqual(n - 1);
    expect(shown.cost?.tokens).toBe(30 * u.messages);
    expect(shown.cost?.usd).toBeCloseTo((u.messages * (10 * 3 + 20 * 15)) / 1e6, 12);
  }, 150_000);

  it("over a continued retry each attempt counts its own answers, none twice", async () => {
    const r = await retried(OPENCODE, "opencode-headless", false, 150_000, { prices: PRICES });
    const shown = (await r.p.show(r.id)) as unknown as Shown;
    const runs = shown.runs.filter((run) => !run.id.includes("review"));
    expect(runs).toHaveLength(2);
    const n = answered();
    console.log(
      `opencode-headless retry: ${n} answers, ${runs.map((run) => run.usage?.messages).join(" + ")} counted`,
    );
    for (const run of runs) expectAnswers(run.usage, run.id);
    // The second run's database holds the first's answers too (carried): counted in the first only.
    const counted = runs.reduce((k, run) => k + (run.usage?.messages ?? 0), 0);
    expect(counted).toBeLessThanOrEqual(n);
    expect(counted).toBeGreaterThanOrEqual(n - runs.length);
    expect(shown.cost?.tokens).toBe(30 * counted);
  }, 200_000);
});
