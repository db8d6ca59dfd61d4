/**
 * Cost with the real Copilot CLI: `copilot-headless`, sandboxed, against the fake Messages API, whose
 * every answer reports 10 input and 20 output tokens. Each run's usage comes from its session events (`~/.copilot/session-state/<session>/events.jsonl`, `session.usage_record`) in the
 * run's HOME: its answers, each once, under the model asked for, priced; over a retry that
 * resumes the conversation (--continue: the records carried into the new HOME and appended to) no
 * answer is counted twice.
 */
import { describe, expect, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import {
  COPILOT as COPILOT_AGENT,
  type ShownCost,
  type ShownUsage,
  tracked,
} from "../helpers/agents-under-test.js";
import type { RecordedRequest } from "../helpers/fake-anthropic.js";

useRealAgentClis();

const { agent: COPILOT, last } = tracked(COPILOT_AGENT);
const PRICES = { "claude-*": { input: 3, output: 15 } };

/** The answers the fake gave to the agent's model requests (side requests included). */
function answered(): number {
  return (last().requests as RecordedRequest[]).filter(
    (r) => r.method === "POST" && r.path.startsWith("/v1/messages") && r.answer !== "count_tokens",
  ).length;
}

function expectAnswers(u: ShownUsage | null, runId: string): ShownUsage {
  expect(u, `run ${runId} has no usage`).not.toBeNull();
  const usage = u as ShownUsage;
  expect(usage.source).toBe("copilot");
  expect(Object.keys(usage.byModel)).toEqual(["claude-sonnet-4.5"]);
  expect(usage.messages).toBeGreaterThanOrEqual(2);
  expect(usage).toMatchObject({
    input: 10 * usage.messages,
    output: 20 * usage.messages,
    cacheRead: 0,
    cacheWrite: 0,
  });
  return usage;
}

describe("cost, with the real Copilot CLI", () => {
  it("a run's usage is its answers in its own records, each once, at the fake's numbers, priced", async () => {
    const r = await toReview(COPILOT, "copilot-headless", 150_000, { prices: PRICES });
    const shown = (await r.p.show(r.id)) as unknown as ShownCost;
    const runs = shown.runs.filter((run) => !run.id.includes("review"));
    expect(runs).toHaveLength(1);
    const n = answered();
    console.log(`copilot-headless: ${n} answers, usage ${JSON.stringify(runs[0]?.usage)}`);
    const u = expectAnswers(runs[0]?.usage ?? null, runs[0]?.id ?? "?");
    // Never more than the fake answered; the answer after the accepted done may be missing
    // (Ballador stops the agent once it has reported).
    expect(u.messages).toBeLessThanOrEqual(n);
    expect(shown.cost?.tokens).toBe(30 * u.messages);
    expect(shown.cost?.usd).toBeCloseTo((u.messages * (10 * 3 + 20 * 15)) / 1e6, 12);
  }, 200_000);

  it("over a resumed retry each attempt counts its own answers, none twice", async () => {
    const r = await retried(COPILOT, "copilot-headless", false, 200_000, { prices: PRICES });
    const shown = (await r.p.show(r.id)) as unknown as ShownCost;
    const runs = shown.runs.filter((run) => !run.id.includes("review"));
    expect(runs).toHaveLength(2);
    const n = answered();
    console.log(
      `copilot-headless retry: ${n} answers, ${runs.map((run) => run.usage?.messages).join(" + ")} counted`,
    );
    for (const run of runs) expectAnswers(run.usage, run.id);
    const counted = runs.reduce((k, run) => k + (run.usage?.messages ?? 0), 0);
    expect(counted).toBeLessThanOrEqual(n);
    expect(shown.cost?.tokens).toBe(30 * counted);
  }, 260_000);
});
