/**
 * The pure part of cost: parsing Claude Code's transcript, Codex's rollout, Gemini CLI's session
 * lines, OpenCode's message rows, Pi's session lines and Cline's session messages, prices by
 * glob, budgets.
 */
import { describe, expect, it } from "vitest";
import {
  addClaudeTranscript,
  addCodexRollout,
  addGeminiSession,
  addOpencodeMessages,
  costOf,
  emptyUsage,
  overBudget,
  sumUsage,
  usageText,
} from "../../src/core/usage.js";
import { addClineMessages, addPiSession } from "../../src/core/usage-records.js";

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

describe("usage from a Gemini CLI session", () => {
  // As Gemini CLI 0.61.0 writes them (seen with the real binary against the fake API).
  const meta = (projectHash: string) =>
    JSON.stringify({ sessionId: "s1", projectHash, startTime: "2026-12-02T09:59:00.000Z", kind: "main" });
  const answer = (id: string, tokens: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    id,
    timestamp: "2026-12-02T10:00:00.000Z",
    type: "gemini",
    content: "",
    tokens,
    model: "gemini-3.8-flash",
    ...extra,
  });
  const t = { input: 10, output: 5, cached: 4, thoughts: 3, tool: 0, total: 18 };

  it("counts each answer once (written again as it changes), input net of cached, thoughts as output", () => {
    const text = [
      meta("h1"),
      JSON.stringify({ $set: { messages: [{ id: "u0", type: "user", content: [{ text: "context" }] }] } }),
      JSON.stringify({ id: "u1", timestamp: "2026-12-02T10:00:00.000Z", type: "user", content: "do it" }),
      JSON.stringify(answer("a1", t)),
      JSON.stringify({ $set: { lastUpdated: "2026-12-02T10:00:01.000Z" } }),
      JSON.stringify(answer("a1", t, { toolCalls: [{ id: "c1", name: "run_shell_command" }] })),
      JSON.stringify(answer("a2", { ...t, tool: 2 })),
      // The CLI restates the history: the same answers, not new ones.
      JSON.stringify({ $set: { messages: [answer("a1", t), answer("a2", { ...t, tool: 2 })] } }),
      JSON.stringify({ $rewindTo: "a2" }),
      "{ broken",
      "",
    ].join("\n");
    const u = emptyUsage("gemini");
    addGeminiSession(u, text, { since: null, seen: new Set(), projectHash: "h1" });
    expect(u).toMatchObject({ input: 6 + 8, cacheRead: 8, output: 16, cacheWrite: 0, messages: 2 });
    expect(Object.keys(u.byModel)).toEqual(["gemini-3.8-flash"]);
  });

  it("keeps an answer's last written tokens, skips what is older than the run or not believable", () => {
    const text = [
      meta("h1"),
      JSON.stringify(answer("a1", { input: 1, output: 1 })),
      JSON.stringify(answer("a1", { input: 20, output: 2 })),
      JSON.stringify(answer("old", t, { timestamp: "2026-12-01T00:00:00.000Z" })),
      JSON.stringify(answer("bad", { ...t, input: -1 })),
      JSON.stringify(answer("more-cached", { ...t, cached: 11 })),
      JSON.stringify(answer("huge", { ...t, output: 1e12 })),
      JSON.stringify(answer("str", { ...t, output: "5" })),
      JSON.stringify({ ...answer("user", t), type: "user" }),
      JSON.stringify(answer("nomodel", { input: 1 }, { model: undefined })),
    ].join("\n");
    const u = emptyUsage("gemini");
    const seen = new Set<string>();
    addGeminiSession(u, text, { since: "2026-12-02T00:00:00.000Z", seen, projectHash: "h1" });
    expect(u).toMatchObject({ input: 21, output: 2, cacheRead: 0, messages: 2 });
    expect(Object.keys(u.byModel).sort()).toEqual(["(unknown model)", "gemini-3.8-flash"]);
    // The same answers seen again (another read of the run's records): not counted twice.
    addGeminiSession(u, text, { since: "2026-12-02T00:00:00.000Z", seen, projectHash: "h1" });
    expect(u.messages).toBe(2);
  });

  it("counts nothing from another project's session or a file that is not a session", () => {
    const text = [meta("h1"), JSON.stringify(answer("a1", t))].join("\n");
    const other = emptyUsage("gemini");
    addGeminiSession(other, text, { since: null, seen: new Set(), projectHash: "h2" });
    expect(other.messages).toBe(0);
    const headless = emptyUsage("gemini");
    addGeminiSession(headless, JSON.stringify(answer("a1", t)), {
      since: null,
      seen: new Set(),
      projectHash: null,
    });
    expect(headless.messages).toBe(0);
  });

  it("bounds the number of models a forged session can add", () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify(answer(`m${i}`, { input: 1 }, { model: `model-${i}` })),
    );
    const u = emptyUsage("gemini");
    addGeminiSession(u, [meta("h1"), ...lines].join("\n"), {
      since: null,
      seen: new Set(),
      projectHash: "h1",
    });
    expect(Object.keys(u.byModel)).toHaveLength(20);
    expect(u.input).toBe(20);
  });
});

describe("usage from OpenCode's message rows", () => {
  // As OpenCode 1.18.33 writes them (its SQLite message table, seen with the real binary).
  const row = (id: string, data: Record<string, unknown>, created = Date.parse("2026-12-02T10:00:00.000Z")) =>
    JSON.stringify({ id, time_created: created, data: JSON.stringify(data) });
  const answer = (tokens: Record<string, unknown>, cwd = "/w/task") => ({
    role: "assistant",
    path: { cwd, root: cwd },
    tokens,
    modelID: "claude-sonnet-4-5",
    providerID: "anthropic",
  });
  const t = { total: 42, input: 10, output: 20, reasoning: 2, cache: { read: 7, write: 3 } };

  it("counts each answer of the worktree once, reasoning as output, since the run began", () => {
    const text = [
      row("msg_u", { role: "user", model: { modelID: "claude-sonnet-4-5" } }),
      row("msg_a", answer(t)),
      row("msg_a", answer(t)),
      row("msg_streaming", answer({ input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } })),
      row("msg_other", answer(t, "/w/elsewhere")),
      row("msg_old", answer(t), Date.parse("2026-12-01T00:00:00.000Z")),
      row("msg_bad", answer({ ...t, output: -3 })),
      row("msg_bad2", answer({ ...t, cache: { read: "7" } })),
      JSON.stringify({ id: "msg_raw", time_created: 1, data: answer(t) }),
      "{ broken",
    ].join("\n");
    const u = emptyUsage("opencode");
    addOpencodeMessages(u, text, { since: "2026-12-02T00:00:00.000Z", seen: new Set(), cwd: "/w/task" });
    expect(u).toMatchObject({ input: 10, output: 22, cacheRead: 7, cacheWrite: 3, messages: 1 });
    expect(Object.keys(u.byModel)).toEqual(["claude-sonnet-4-5"]);
  });
});

describe("usage from a Pi session file", () => {
  const entry = (id: string, usage: Record<string, unknown>, timestamp = "2026-12-02T10:00:01.000Z") =>
    JSON.stringify({
      type: "message",
      id,
      timestamp,
      message: { role: "assistant", model: "claude-opus-4-7", usage },
    });
  const head = JSON.stringify({ type: "session", id: "s1", cwd: "/w/t" });
  const ok = { input: 10, output: 20, cacheRead: 5, cacheWrite: 1, cost: { total: 1 } };

  it("counts each answer of the worktree's session once, since the run began, believable numbers only", () => {
    const u = emptyUsage("pi");
    const text = [
      head,
      entry("a", ok),
      entry("a", ok), // the same entry twice
      entry("old", ok, "2026-12-02T09:00:00.000Z"), // carried from an earlier run
      entry("big", { ...ok, input: 1e12 }),
      entry("neg", { ...ok, output: -1 }),
      JSON.stringify({ type: "message", id: "u", message: { role: "user", content: [] } }),
      "{broken",
      entry("b", { input: 1, output: 2 }),
    ].join("\n");
    addPiSession(u, text, { since: "2026-12-02T10:00:00.000Z", seen: new Set(), cwd: "/w/t" });
    expect(u).toMatchObject({ input: 11, output: 22, cacheRead: 5, cacheWrite: 1, messages: 2 });
    expect(Object.keys(u.byModel)).toEqual(["claude-opus-4-7"]);
  });

  it("counts nothing from another working directory's session or a file that is not a session", () => {
    const u = emptyUsage("pi");
    addPiSession(u, [JSON.stringify({ type: "session", cwd: "/elsewhere" }), entry("a", ok)].join("\n"), {
      since: null,
      seen: new Set(),
      cwd: "/w/t",
    });
    addPiSession(u, [entry("a", ok), entry("b", ok)].join("\n"), {
      since: null,
      seen: new Set(),
      cwd: "/w/t",
    });
    expect(u.messages).toBe(0);
  });
});

describe("usage from Cline's session messages", () => {
  const answer = (id: string, metrics: Record<string, unknown>, ts = Date.parse("2026-12-02T10:00:01Z")) => ({
    id,
    role: "assistant",
    ts,
    modelInfo: { id: "claude-sonnet-4-5", provider: "anthropic" },
    metrics,
  });
  const ok = { inputTokens: 10, outputTokens: 20, cacheReadTokens: 3, cacheWriteTokens: 0, cost: 0.1 };

  it("counts each answer once, since the run began, believable numbers only", () => {
    const u = emptyUsage("cline");
    const text = JSON.stringify({
      messages: [
        { id: "q", role: "user", content: [], ts: Date.parse("2026-12-02T10:00:01Z") },
        answer("a", ok),
        answer("a", ok),
        answer("old", ok, Date.parse("2026-12-02T09:00:00Z")),
        answer("big", { ...ok, outputTokens: 2e9 }),
        answer("frac", { ...ok, inputTokens: 1.5 }),
        answer("b", { inputTokens: 1, outputTokens: 2 }),
        "not a message",
      ],
    });
    addClineMessages(u, text, { since: "2026-12-02T10:00:00.000Z", seen: new Set() });
    expect(u).toMatchObject({ input: 11, output: 22, cacheRead: 3, cacheWrite: 0, messages: 2 });
    expect(Object.keys(u.byModel)).toEqual(["claude-sonnet-4-5"]);
  });

  it("counts nothing from text that is not a session's messages", () => {
    const u = emptyUsage("cline");
    for (const text of ["{broken", "[]", JSON.stringify({ messages: "x" })])
      addClineMessages(u, text, { since: null, seen: new Set() });
    expect(u.messages).toBe(0);
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
