/**
 * Cost and budgets (issue 15): a run's usage is read from the agent's own session records in its
 * HOME (Claude Code's transcript format, as Claude Code 2.1.330 writes it), shown by status and
 * show as the agent's claim, priced from the config; a task's budget stops the run that passes
 * it, counting the supervisor's automatic retries, and blocks the task with reason "budget".
 * The agents here are scripted and write the transcript lines themselves: the records are the
 * agent's to write, which is exactly why they are hostile input.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, gate, makeProject, type Step } from "../helpers/runtime.js";

afterEach(cleanupProjects);

/**
 * A shell step appending one assistant answer to the run's Claude Code transcript, as Claude Code
 * writes it: under ~/.claude/projects/<worktree with every other character a dash>/, stamped now.
 */
function answer(id: string, tokens: { input: number; output: number; cacheRead?: number }, extra = ""): Step {
  const usage = JSON.stringify({
    input_tokens: tokens.input,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: tokens.cacheRead ?? 0,
    output_tokens: tokens.output,
    service_tier: "standard",
  });
  return {
    run: [
      `d="$HOME/.claude/projects/$(printf '%s' "$BALLADOR_WORKTREE" | tr -c 'A-Za-z0-9' '-')"`,
      `mkdir -p "$d"`,
      `ts=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)`,
      `line='{"parentUuid":null,"isSidechain":false,"message":{"id":"${id}","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":"end_turn","usage":${usage}},"requestRef":"req-${id}","type":"assistant","uuid":"u-${id}","timestamp":"'"$ts"'","sessionId":"s1","version":"2.1.330"}'`,
      // One answer with two content blocks is two lines with the same id and usage: counted once.
      `printf '%s\\n%s\\n' "$line" "$line" >> "$d/s1.jsonl"`,
      extra,
    ]
      .filter(Boolean)
      .join("\n"),
  };
}

const done: Step[] = [
  { run: 'echo "$BALLADOR_RUN_ID" >> work.txt' },
  { commit: "work" },
  { done: { summary: "did the work" } },
];

interface RunUsageJson {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  messages: number;
  byModel: Record<string, { input: number; output: number }>;
}

interface CostJson {
  tokens: number;
  usd: number | null;
  unpriced: string[];
  text: string;
  source: string;
}

describe("cost", () => {
  it("reads a run's usage from its Claude Code transcript (each answer once, forged and foreign lines left out) and shows it, priced, as the agent's own records", async () => {
    const p = await makeProject({
      config: { prices: { "claude-sonnet-*": { input: 3, output: 15, cache_read: 0.3 } } },
    });
    const hostile = [
      // Written before the run started (as a carried conversation is): not this run's.
      `printf '%s\\n' '{"type":"assistant","timestamp":"2020-01-01T00:00:00.000Z","message":{"id":"old","model":"claude-sonnet-4-5","usage":{"input_tokens":500000,"output_tokens":0}}}' >> "$d/s1.jsonl"`,
      // Not numbers a model answer has: left out.
      `printf '%s\\n' '{"type":"assistant","timestamp":"'"$ts"'","message":{"id":"neg","model":"x","usage":{"input_tokens":-5,"output_tokens":1e30}}}' >> "$d/s1.jsonl"`,
      `printf '%s\\n' 'not json {"assistant"' >> "$d/s1.jsonl"`,
      // A link to a file elsewhere: never followed.
      `printf '%s\\n' "$line" | sed 's/"id":"a1"/"id":"linked"/' > "$HOME/elsewhere.jsonl"`,
      `ln -s "$HOME/elsewhere.jsonl" "$d/link.jsonl"`,
    ].join("\n");
    await p.part("priced", {
      steps: [
        answer("a1", { input: 1000, output: 200, cacheRead: 10_000 }, hostile),
        answer("a2", { input: 500, output: 100 }),
        ...done,
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "priced"]);
    await p.reaches("priced", "review");

    const shown = (await p.show("priced")) as unknown as {
      runs: Array<{ usage: RunUsageJson | null }>;
      cost: CostJson | null;
    };
    expect(shown.runs[0]?.usage).toMatchObject({
      source: "claude",
      input: 1500,
      output: 300,
      cacheRead: 10_000,
      cacheWrite: 0,
      messages: 2,
      byModel: { "claude-sonnet-4-5": { input: 1500, output: 300, cacheRead: 10_000, cacheWrite: 0 } },
    });
    // (1500 * 3 + 300 * 15 + 10000 * 0.3) / 1e6
    expect(shown.cost?.tokens).toBe(11_800);
    expect(shown.cost?.usd).toBeCloseTo(0.012, 6);
    expect(shown.cost?.source).toBe("the agent's own records");

    const status = JSON.parse((await p.ok(["status", "--json"])).stdout) as {
      tasks: Array<{ id: string; cost: CostJson | null }>;
    };
    expect(status.tasks.find((t) => t.id === "priced")?.cost?.text).toBe("11.8k tokens, $0.01");
    const table = (await p.ok(["status"])).stdout;
    expect(table).toContain("COST*");
    expect(table).toContain("11.8k tokens, $0.01");
    expect(table).toContain("from the agents' own session records (a claim)");
    const text = (await p.ok(["show", "priced"])).stdout;
    expect(text).toContain(
      "used 1500 input, 300 output, 10000 cache-read, 0 cache-write tokens (claude-sonnet-4-5",
    );
    expect(text).toContain("cost: 11.8k tokens, $0.01, from the agent's own records");
    const brief = JSON.parse((await p.ok(["review", "priced", "--json", "--no-diff"])).stdout) as {
      markdown: string;
    };
    expect(brief.markdown).toContain("Usage, from its own session records: 11.8k tokens, $0.01");
  }, 90_000);

  it("a task's budget stops the run that passes it, counting the automatic retries, and blocks the task with reason budget; a model without a price is named", async () => {
    const p = await makeProject({ config: { max_attempts: 3, budget: { tokens: 1000 } } });
    const first = answer("first", { input: 500, output: 100 }).run as string;
    await p.part("spender", {
      steps: [
        // Attempt 1: 600 tokens, then it exits without reporting (the supervisor retries).
        {
          run: `n=$(cat "$HOME/attempts" 2>/dev/null || echo 0); echo $((n+1)) > "$HOME/attempts"\nif [ "$n" -eq 0 ]; then\n${first}\nexit 1\nfi`,
        },
        // Attempt 2: 600 more (1200 in the count) and it keeps going: it must be stopped.
        answer("second", { input: 500, output: 100 }),
        gate(p, "never"),
        ...done,
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "spender"]);
    const t = await p.reaches("spender", "blocked");
    expect(t.reason).toBe("budget: 1200 tokens used, over the budget of 1000 (the agent's own records)");
    expect(t.attempt).toBe(2);
    const shown = await p.show("spender");
    expect(shown.runs.map((r) => r.outcome)).toEqual(["exited", "budget"]);
    expect(shown.events.map((e) => e.cause)).toContain("the task's budget is spent; the run was stopped");
    // Stopped: it never got past the gate to report done.
    expect(shown.notes.map((n) => n.kind)).not.toContain("summary");
    // No price configured for the model: tokens shown, the cost not guessed.
    const status = JSON.parse((await p.ok(["status", "--json"])).stdout) as {
      tasks: Array<{ id: string; cost: CostJson | null }>;
    };
    expect(status.tasks[0]?.cost).toMatchObject({ tokens: 1200, usd: null, unpriced: ["claude-sonnet-4-5"] });
    expect((await p.ok(["show", "spender"])).stdout).toContain(
      "no price for claude-sonnet-4-5: add it under prices:",
    );
  }, 90_000);

  it("a launch's budget counts every run it started: passing it stops them all, blocks their tasks with reason budget, and launch --watch starts no more", async () => {
    const p = await makeProject({ config: { max_parallel: 3, budget: { launch: { tokens: 1000 } } } });
    // Two spend 600 each (1200 in the launch: over 1000) and would go on; a third spends nothing
    // but belongs to the same launch; a fourth waits its turn.
    for (const id of ["one", "two"])
      await p.part(id, {
        priority: 1,
        steps: [answer(id, { input: 500, output: 100 }), gate(p, "never"), ...done],
      });
    await p.part("late", { priority: 1, steps: [gate(p, "never"), ...done] });
    await p.part("three", { steps: done });
    await p.ok(["queue"]);
    const watch = p.spawn(["launch", "--watch"]);
    expect(await watch.exited, watch.output()).toBe(0);
    const out = watch.output();
    expect(out).toMatch(/launch-\S+: budget 1000 tokens in all/);
    expect(out).toContain("refusing to launch: this launch's budget is spent");
    for (const id of ["one", "two", "late"]) {
      const t = await p.task(id);
      expect(t.state, id).toBe("blocked");
      expect(t.reason).toMatch(
        /^budget: 1200 tokens used by launch launch-\S+, over its budget of 1000 \(the agent's own records\)$/,
      );
      const shown = await p.show(id);
      expect(shown.runs.map((r) => r.outcome)).toEqual(["budget"]);
      expect(shown.events.map((e) => e.cause)).toContain("the launch's budget is spent; the run was stopped");
    }
    // status says what the launch spent, against what, and that it is spent.
    const st = JSON.parse((await p.ok(["status", "--json"])).stdout) as {
      launch: { budget: { tokens: number }; tokens: number; spent: string | null } | null;
    };
    expect(st.launch).toMatchObject({ budget: { tokens: 1000 }, tokens: 1200 });
    expect(st.launch?.spent).toContain("over its budget of 1000");
    expect((await p.ok(["status"])).stdout).toMatch(
      /launch launch-\S+: 1\.2k tokens.* of its budget of 1000 tokens; spent:/,
    );
    // Never started: the launch's budget was spent before a slot freed for it.
    expect((await p.task("three")).state).toBe("ready");
    expect((await p.show("three")).runs).toEqual([]);
    // A new downbeat is a new count: it starts the third.
    await p.ok(["launch", "three"]);
    await p.reaches("three", "review");
  }, 90_000);
});
