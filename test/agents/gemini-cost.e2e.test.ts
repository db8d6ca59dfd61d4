/**
 * Cost with the real Gemini CLI (issue 15): `gemini-headless`, sandboxed, in tmux, against the
 * fake Gemini API, whose every conversation turn reports 10 prompt tokens (4 of them cached),
 * 5 output and 3 thought tokens (GEMINI_TURN_USAGE) and every side request (routing) 1 and 1.
 * Each run's usage comes from the session file Gemini CLI wrote in the run's HOME
 * (`~/.gemini/tmp/<project>/chats/session-*.jsonl`): the turns only, each once, under the model
 * the CLI asked for, priced; over a retry that resumes the conversation (the session carried
 * into the new HOME and appended to) nothing is counted twice.
 */
import { describe, expect, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import {
  GEMINI as GEMINI_AGENT,
  type ShownCost,
  type ShownUsage,
  tracked,
} from "../helpers/agents-under-test.js";
import { GEMINI_TURN_USAGE, type GeminiRequest } from "../helpers/fake-gemini.js";

useRealAgentClis();

const requestsOf = (api: { requests: unknown[] }) => api.requests as GeminiRequest[];
const { agent: GEMINI, last } = tracked(GEMINI_AGENT);
type Usage = ShownUsage;
type Shown = ShownCost;

// What one turn costs in Ballador's terms: the prompt net of the cached part, thoughts as output.
const T = GEMINI_TURN_USAGE;
const PER_TURN = {
  input: T.promptTokenCount - T.cachedContentTokenCount,
  cacheRead: T.cachedContentTokenCount,
  output: T.candidatesTokenCount + T.thoughtsTokenCount,
};
const PRICES = { "gemini-*": { input: 0.3, output: 2.5, cache_read: 0.03 } };

/** The fake's conversation turns (requests with tools): how many, and the models they asked. */
function turnsAnswered(): { count: number; models: string[] } {
  const turns = requestsOf(last()).filter((r) => r.answer !== "text");
  const models = turns.map((r) => /\/models\/([^:]+):/.exec(r.path)?.[1] ?? "?");
  return { count: turns.length, models: [...new Set(models)] };
}

function expectTurns(u: Usage | null, runId: string, models: string[]): Usage {
  expect(u, `run ${runId} has no usage`).not.toBeNull();
  const usage = u as Usage;
  expect(usage.source).toBe("gemini");
  expect(Object.keys(usage.byModel)).toEqual(models);
  expect(usage.messages).toBeGreaterThanOrEqual(2);
  expect(usage).toMatchObject({
    input: PER_TURN.input * usage.messages,
    cacheRead: PER_TURN.cacheRead * usage.messages,
    output: PER_TURN.output * usage.messages,
    cacheWrite: 0,
  });
  return usage;
}

describe("cost, with the real Gemini CLI", () => {
  it("a run's usage is its session's turns, each once, at the fake's numbers, priced", async () => {
    const r = await toReview(GEMINI, "gemini-headless", 100_000, { prices: PRICES });
    const shown = (await r.p.show(r.id)) as unknown as Shown;
    const runs = shown.runs.filter((run) => !run.id.includes("review"));
    expect(runs).toHaveLength(1);
    const answered = turnsAnswered();
    console.log(`gemini-headless: ${answered.count} turns answered, usage ${JSON.stringify(runs[0]?.usage)}`);
    expect(answered.models).toHaveLength(1);
    const u = expectTurns(runs[0]?.usage ?? null, runs[0]?.id ?? "?", answered.models);
    // The answer after the accepted done may be missing: Ballador stops the agent once it has
    // reported, and what the CLI never wrote down is not in its records.
    expect(u.messages).toBeLessThanOrEqual(answered.count);
    expect(u.messages).toBeGreaterThanOrEqual(answered.count - 1);
    expect(shown.cost?.tokens).toBe(T.totalTokenCount * u.messages);
    const usd = u.messages * (PER_TURN.input * 0.3 + PER_TURN.output * 2.5 + PER_TURN.cacheRead * 0.03);
    expect(shown.cost?.usd).toBeCloseTo(usd / 1e6, 12);
  }, 150_000);

  it("over a resumed retry each attempt counts its own turns, none twice", async () => {
    const r = await retried(GEMINI, "gemini-headless", false, 150_000, { prices: PRICES });
    const shown = (await r.p.show(r.id)) as unknown as Shown;
    const runs = shown.runs.filter((run) => !run.id.includes("review"));
    expect(runs).toHaveLength(2);
    const answered = turnsAnswered();
    console.log(
      `gemini-headless retry: ${answered.count} turns, ${runs.map((run) => run.usage?.messages).join(" + ")} counted`,
    );
    for (const run of runs) expectTurns(run.usage, run.id, answered.models);
    // The second run's session holds the first's turns too (resumed): counted in the first only.
    const counted = runs.reduce((n, run) => n + (run.usage?.messages ?? 0), 0);
    expect(counted).toBeLessThanOrEqual(answered.count);
    expect(counted).toBeGreaterThanOrEqual(answered.count - runs.length);
    expect(shown.cost?.tokens).toBe(T.totalTokenCount * counted);
  }, 200_000);
});
