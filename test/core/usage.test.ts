/** The pure part of cost: parsing Claude Code's transcript and Codex's rollout lines, prices by glob, budgets. */
import { describe, expect, it } from "vitest";
import {
  addClaudeTranscript,
  addCodexRollout,
  costOf,
  emptyUsage,
  overBudget,
  sumUsage,
  usageText,
} from "../../src/core/usage.js";

const line = (id: string, usage: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: "assistant",
    timestamp: "2026-12-02T10:00:00.000Z",
    requestRef: `r-${id}`,
    message: { id, model: "claude-sonnet-4-5", usage },
    ...extra,
  });

describe("usage from a Claude Code transcript", () => {
  it("counts each answer once, only since the run began, and only believable numbers", () => {
    const u = emptyUsage("claude");
    const text = [
      line("a", { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100 }),
      line("a", { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100 }),
      line("old", { input_tokens: 999 }, { timestamp: "2026-12-01T00:00:00.000Z" }),
      line("bad", { input_tokens: 1.5 }),
      line("huge", { output_tokens: 1e12 }),
      line("str", { input_tokens: "10" }),
      JSON.stringify({ type: "user", message: { id: "u", usage: { input_tokens: 7 } } }),
      "{ broken",
      "",
    ].join("\n");
    addClaudeTranscript(u, text, { since: "2026-12-02T00:00:00.000Z", seen: new Set() });
    expect(u).toMatchObject({ input: 10, output: 5, cacheRead: 100, cacheWrite: 0, messages: 1 });
  });

  it("bounds the number of models a forged record can add", () => {
    const u = emptyUsage("claude");
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({
        type: "assistant",
        message: { id: `m${i}`, model: `model-${i}`, usage: { input_tokens: 1 } },
      }),
    );
    addClaudeTranscript(u, lines.join("\n"), { since: null, seen: new Set() });
    expect(Object.keys(u.byModel)).toHaveLength(20);
    expect(u.input).toBe(20);
  });
});

describe("usage from a Codex rollout", () => {
  const meta = (cwd: string) => JSON.stringify({ type: "session_meta", payload: { cwd } });
  const record = (id: string, usage: Record<string, unknown>) =>
    JSON.stringify({
      timestamp: "2026-12-02T10:00:00.000Z",
      type: "token_usage_record",
      payload: { response_id: id, usage },
    });
  it("counts each response once, input net of cached, under the turn's model, only for the run's worktree", () => {
    const text = [
      meta("/w/task"),
      JSON.stringify({ type: "turn_context", payload: { model: "gpt-5.5" } }),
      record("r1", { input_tokens: 100, cached_input_tokens: 40, output_tokens: 7 }),
      record("r1", { input_tokens: 100, cached_input_tokens: 40, output_tokens: 7 }),
      record("r2", { input_tokens: 5, cached_input_tokens: 9, output_tokens: 1 }),
    ].join("\n");
    const u = emptyUsage("codex");
    addCodexRollout(u, text, { since: null, seen: new Set(), cwd: "/w/task" });
    expect(u).toMatchObject({ input: 60, cacheRead: 40, output: 7, messages: 1 });
    expect(Object.keys(u.byModel)).toEqual(["gpt-5.5"]);
    const other = emptyUsage("codex");
    addCodexRollout(other, text, { since: null, seen: new Set(), cwd: "/w/elsewhere" });
    expect(other.messages).toBe(0);
  });
});

describe("cost and budgets", () => {
  const byModel = {
    "claude-sonnet-4-5": { input: 1_000_000, output: 100_000, cacheRead: 2_000_000, cacheWrite: 0 },
  };
  it("prices by exact name or glob, cache reads at their own price or the input's", () => {
    expect(costOf(byModel, { "claude-sonnet-*": { input: 3, output: 15, cache_read: 0.3 } }).usd).toBeCloseTo(
      3 + 1.5 + 0.6,
    );
    expect(costOf(byModel, { "claude-sonnet-4-5": { input: 3, output: 15 } }).usd).toBeCloseTo(3 + 1.5 + 6);
    expect(costOf(byModel, { "gpt-*": { input: 1, output: 1 } })).toEqual({
      usd: null,
      unpriced: ["claude-sonnet-4-5"],
    });
  });

  it("a budget in tokens or USD; USD without a price is not judged", () => {
    const u = { ...sumUsage([]), ...byModel["claude-sonnet-4-5"], byModel, source: "claude", messages: 1 };
    const priced = costOf(byModel, { "*": { input: 3, output: 15, cache_read: 0.3 } });
    expect(overBudget(u, priced, { tokens: 4_000_000 })).toBeNull();
    expect(overBudget(u, priced, { tokens: 3_000_000 })).toBe(
      "3100000 tokens used, over the budget of 3000000",
    );
    expect(overBudget(u, priced, { usd: 5 })).toBe("$5.10 spent, over the budget of $5.00");
    expect(overBudget(u, costOf(byModel, {}), { usd: 5 })).toBeNull();
    expect(overBudget(u, priced, { usd: 5 }, "launch L1")).toBe(
      "$5.10 spent by launch L1, over its budget of $5.00",
    );
    expect(usageText(u, priced)).toBe("3.1M tokens, $5.10");
  });
});
