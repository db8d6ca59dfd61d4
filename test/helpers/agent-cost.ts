/**
 * The two cost journeys every agent CLI with usage records goes through (test/agents/*-cost):
 * a run that reaches review shows its answers, each once, at the fake's numbers, priced; a retry
 * shows each attempt's own answers, none twice. What differs between agents (their fake API, how
 * its answers are counted, the model, what one answer costs) is the spec's.
 */
import { describe, expect, it } from "vitest";
import { type AgentUnderTest, retried, toReview } from "./agent-e2e.js";
import { type ShownCost, type ShownUsage, tracked } from "./agents-under-test.js";
import { agentTurns, type RecordedRequest } from "./fake-anthropic.js";

/** What the fake answered: how many answers count as the agent's, and under which models. */
export interface Answered {
  count: number;
  models: string[];
}

export interface CostSpec {
  agent: AgentUnderTest;
  /** The preset run, e.g. `copilot-headless`. */
  preset: string;
  titles: { describe: string; run: string; retry: string };
  /** `usage.source` as shown. */
  source: string;
  /** The fake's answers that should be counted, from its recorded requests. */
  answered(requests: unknown[]): Answered;
  /** The fewest answers a run's usage must hold. */
  minMessages: number;
  /** Each counted answer's tokens, e.g. `{ input: 10, output: 20, cacheRead: 0 }`. */
  perAnswer: Partial<Record<"input" | "output" | "cacheRead" | "cacheWrite", number>>;
  /** Each counted answer's total tokens and its price in millionths of a dollar. */
  tokensPerAnswer: number;
  microUsdPerAnswer: number;
  prices: Record<string, Record<string, number>>;
  /**
   * Whether every answer but the one after the accepted done must be counted (at least n - 1 for
   * a run). Off where the fake also counts side requests that need not reach the records.
   */
  allButLast: boolean;
  /**
   * How many answers more than its answer lines a run's token totals may hold: Droid keeps a
   * session's totals apart from its answers and writes them first, so an answer Ballador stopped
   * it after is in the totals only. 0 (the default) where each answer carries its own tokens.
   */
  totalsAhead?: number;
  /** [budget, test timeout] in ms, for the run and for the retry. */
  ms: { run: [number, number]; retry: [number, number] };
}

/**
 * What the fake Messages API's answers cost: each reports 10 input and 20 output tokens, priced
 * at 3 and 15 USD per million (spread into an Anthropic agent's spec).
 */
export const FAKE_ANTHROPIC_COST = {
  perAnswer: { input: 10, output: 20, cacheRead: 0 },
  tokensPerAnswer: 30,
  microUsdPerAnswer: 10 * 3 + 20 * 15,
  prices: { "claude-*": { input: 3, output: 15 } },
} as const;

/** Anthropic agents: the model requests the fake answered (side requests included). */
export function messagesAnswered(requests: unknown[], model: string): Answered {
  const count = (requests as RecordedRequest[]).filter(
    (r) => r.method === "POST" && r.path.startsWith("/v1/messages") && r.answer !== "count_tokens",
  ).length;
  return { count, models: [model] };
}

/** Anthropic agents: the fake's answers to the agent's conversation (its requests with tools). */
export function turnsAnswered(requests: unknown[], model: string): Answered {
  return { count: agentTurns(requests as RecordedRequest[]).length, models: [model] };
}

/** The run's usage checked; `answers`: how many of the fake's answers its tokens hold. */
function expectAnswers(
  spec: CostSpec,
  u: ShownUsage | null,
  runId: string,
  models: string[],
): { usage: ShownUsage; answers: number } {
  expect(u, `run ${runId} has no usage`).not.toBeNull();
  const usage = u as ShownUsage;
  expect(usage.source).toBe(spec.source);
  expect(Object.keys(usage.byModel)).toEqual(models);
  expect(usage.messages).toBeGreaterThanOrEqual(spec.minMessages);
  const output = spec.perAnswer.output ?? 0;
  const answers = spec.totalsAhead && output > 0 ? usage.output / output : usage.messages;
  expect(answers).toBeGreaterThanOrEqual(usage.messages);
  expect(answers).toBeLessThanOrEqual(usage.messages + (spec.totalsAhead ?? 0));
  const expected = Object.fromEntries(Object.entries(spec.perAnswer).map(([k, v]) => [k, v * answers]));
  expect(usage).toMatchObject(expected);
  return { usage, answers };
}

/** The agent's two cost tests, in a describe block of their own. */
export function costTests(spec: CostSpec): void {
  const { agent, last } = tracked(spec.agent);
  const answered = () => spec.answered(last().requests);
  const config = { prices: spec.prices };
  describe(spec.titles.describe, () => {
    it(
      spec.titles.run,
      async () => {
        const r = await toReview(agent, spec.preset, spec.ms.run[0], config);
        const shown = (await r.p.show(r.id)) as unknown as ShownCost;
        const runs = shown.runs.filter((run) => !run.id.includes("review"));
        expect(runs).toHaveLength(1);
        const a = answered();
        console.log(`${spec.preset}: ${a.count} answers, usage ${JSON.stringify(runs[0]?.usage)}`);
        expect(a.models).toHaveLength(1);
        const { answers: n } = expectAnswers(spec, runs[0]?.usage ?? null, runs[0]?.id ?? "?", a.models);
        // Never more than the fake answered; the answer after the accepted done may be missing
        // (Ballador stops the agent once it has reported, and what it never wrote down is not in
        // its records).
        expect(n).toBeLessThanOrEqual(a.count);
        if (spec.allButLast) expect(n).toBeGreaterThanOrEqual(a.count - 1);
        expect(shown.cost?.tokens).toBe(spec.tokensPerAnswer * n);
        expect(shown.cost?.usd).toBeCloseTo((n * spec.microUsdPerAnswer) / 1e6, 12);
      },
      spec.ms.run[1],
    );

    it(
      spec.titles.retry,
      async () => {
        const r = await retried(agent, spec.preset, false, spec.ms.retry[0], config);
        const shown = (await r.p.show(r.id)) as unknown as ShownCost;
        const runs = shown.runs.filter((run) => !run.id.includes("review"));
        expect(runs).toHaveLength(2);
        const a = answered();
        const each = runs.map((run) => run.usage?.messages).join(" + ");
        console.log(`${spec.preset} retry: ${a.count} answers, ${each} counted`);
        const held = runs.map((run) => expectAnswers(spec, run.usage, run.id, a.models).answers);
        // A resumed attempt's records hold the earlier attempt's answers too (carried): counted in
        // the earlier attempt only.
        const counted = held.reduce((k, n) => k + n, 0);
        expect(counted).toBeLessThanOrEqual(a.count);
        if (spec.allButLast) expect(counted).toBeGreaterThanOrEqual(a.count - runs.length);
        expect(shown.cost?.tokens).toBe(spec.tokensPerAnswer * counted);
      },
      spec.ms.retry[1],
    );
  });
}
