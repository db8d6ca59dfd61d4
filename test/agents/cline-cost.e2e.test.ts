import { describe, expect, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import { CLINE as AGENT, type ShownCost, type ShownUsage, tracked } from "../helpers/agents-under-test.js";
import { agentTurns, type RecordedRequest } from "../helpers/fake-anthropic.js";

useRealAgentClis();

const { agent, last } = tracked(AGENT);
const PRICES = { "claude-*": { input: 3, output: 15 } };

/** The answers the fake gave to the agent's conversation (its requests with tools). */
const answered = () => agentTurns(last().requests as RecordedRequest[]).length;

function expectAnswers(u: ShownUsage | null, runId: string): ShownUsage {
  expect(u, `run ${runId} has no usage`).not.toBeNull();
  const usage = u as ShownUsage;
  expect(usage.source).toBe("cline");
  expect(Object.keys(usage.byModel)).toEqual(["claude-sonnet-4-5"]);
  expect(usage.messages).toBeGreaterThanOrEqual(1);
  // The fake answers every request with 10 input and 20 output tokens.
  expect(usage).toMatchObject({ input: 10 * usage.messages, output: 20 * usage.messages, cacheRead: 0 });
  return usage;
}

describe("cost, with the real Cline's CLI", () => {
  it("a run's usage is its answers in Cline's CLI's own session records, each once, priced", async () => {
    const r = await toReview(agent, "cline-headless", 120_000, { prices: PRICES });
    const shown = (await r.p.show(r.id)) as unknown as ShownCost;
    const runs = shown.runs.filter((run) => !run.id.includes("review"));
    expect(runs).toHaveLength(1);
    const n = answered();
    console.log(`cline-headless: ${n} answers, usage ${JSON.stringify(runs[0]?.usage)}`);
    const u = expectAnswers(runs[0]?.usage ?? null, runs[0]?.id ?? "?");
    // The last answer may be missing: Ballador stops the agent once it has reported.
    expect(u.messages).toBeLessThanOrEqual(n);
    expect(u.messages).toBeGreaterThanOrEqual(n - 1);
    expect(shown.cost?.tokens).toBe(30 * u.messages);
    expect(shown.cost?.usd).toBeCloseTo((u.messages * (10 * 3 + 20 * 15)) / 1e6, 12);
  }, 150_000);

  it("over a retry each attempt counts its own answers, none twice", async () => {
    const r = await retried(agent, "cline-headless", false, 180_000, { prices: PRICES });
    const shown = (await r.p.show(r.id)) as unknown as ShownCost;
    const runs = shown.runs.filter((run) => !run.id.includes("review"));
    expect(runs).toHaveLength(2);
    const n = answered();
    console.log(
      `cline-headless retry: ${n} answers, ${runs.map((run) => run.usage?.messages).join(" + ")} counted`,
    );
    for (const run of runs) expectAnswers(run.usage, run.id);
    const counted = runs.reduce((k, run) => k + (run.usage?.messages ?? 0), 0);
    expect(counted).toBeLessThanOrEqual(n);
    expect(counted).toBeGreaterThanOrEqual(n - runs.length);
    expect(shown.cost?.tokens).toBe(30 * counted);
  }, 220_000);
});
