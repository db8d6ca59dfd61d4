/**
 * What a run cost, from the agent's own session records: token counts per model, and a price
 * from the config. Pure. The records are written by the agent (its HOME is its own): a claim,
 * not an observation. Every number is checked (a non-negative whole number below a bound) and
 * the number of models is bounded, so a forged record can mislead the count but not break it.
 */
import picomatch from "picomatch";

export interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface RunUsage extends Tokens {
  /**
   * Whose records: "claude" (Claude Code's session transcript), "codex" (its rollout), "gemini"
   * (Gemini CLI's session file), "opencode" (OpenCode's message table), "copilot" (Copilot
   * CLI's session events), "qwen" (Qwen Code's chat records), "pi" (Pi's session file),
   * "cline" (Cline's session messages), "droid" (Droid's session totals); the last five are
   * read in usage-records.ts.
   */
  source: string;
  /** Tokens per model, as the records name them. */
  byModel: Record<string, Tokens>;
  /** Model answers counted. */
  messages: number;
}

/** One answer of more than this many tokens of one kind is not believed. */
const MAX_TOKENS = 10_000_000;
const MAX_MODELS = 20;

const zero = (): Tokens => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });

export function emptyUsage(source: string): RunUsage {
  return { source, ...zero(), byModel: {}, messages: 0 };
}

export const count = (v: unknown): number | null =>
  v === undefined || v === null
    ? 0
    : typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= MAX_TOKENS
      ? v
      : null;

export type Json = Record<string, unknown>;
export const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** One answer's four counts; null when one of them is not believable. */
export function tokensOf(
  input: unknown,
  output: unknown,
  cacheRead: unknown,
  cacheWrite: unknown,
): Tokens | null {
  const t = {
    input: count(input),
    output: count(output),
    cacheRead: count(cacheRead),
    cacheWrite: count(cacheWrite),
  };
  return t.input === null || t.output === null || t.cacheRead === null || t.cacheWrite === null
    ? null
    : (t as Tokens);
}

/** The model a record names, bounded; "(unknown model)" when it names none. */
export const modelName = (v: unknown): string =>
  typeof v === "string" && v.length > 0 ? v.slice(0, 100) : "(unknown model)";

/** The parsed lines of a JSON-lines text that hold `mark`; a line being written, or garbage, is passed over. */
export function* jsonLines(text: string, mark: string): Generator<unknown> {
  for (const raw of text.split("\n")) {
    if (!raw.includes(mark)) continue;
    try {
      yield JSON.parse(raw);
    } catch {
      // not (yet) a whole record
    }
  }
}

/** The first non-blank line of a JSON-lines text, parsed (a session's header); undefined when it is not JSON. */
export function firstJsonLine(text: string): unknown {
  const raw = text.split("\n").find((l) => l.trim());
  try {
    return raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Adds one answer's tokens; false when the model table is full (the answer is then not counted). */
export function add(u: RunUsage, model: string, t: Tokens): boolean {
  if (!u.byModel[model] && Object.keys(u.byModel).length >= MAX_MODELS) return false;
  const m = u.byModel[model] ?? zero();
  u.byModel[model] = m;
  for (const k of ["input", "output", "cacheRead", "cacheWrite"] as const) {
    m[k] += t[k];
    u[k] += t[k];
  }
  u.messages += 1;
  return true;
}

/**
 * Claude Code's session transcript (`~/.claude/projects/<cwd>/<session>.jsonl`, Claude Code
 * 2.1.330): one JSON object per line; `type: "assistant"` lines carry `message.id`,
 * `message.model` and `message.usage` (input_tokens, output_tokens, cache_read_input_tokens,
 * cache_creation_input_tokens). One answer with several content blocks is written as several
 * lines with the same message id and the same usage: counted once (`seen`, shared across the
 * files of a run). Lines stamped before `since` (a conversation carried from an earlier run)
 * are not this run's.
 */
export function addClaudeTranscript(
  u: RunUsage,
  text: string,
  opts: { since: string | null; seen: Set<string> },
): void {
  for (const d of jsonLines(text, '"assistant"')) {
    if (!isObj(d) || d.type !== "assistant" || !isObj(d.message)) continue;
    const m = d.message;
    if (!isObj(m.usage) || typeof m.id !== "string" || m.id.length > 200) continue;
    if (opts.since && !(typeof d.timestamp === "string" && d.timestamp >= opts.since)) continue;
    const ref =
      typeof d.requestRef === "string" ? d.requestRef : typeof d.requestId === "string" ? d.requestId : "";
    const key = `${m.id}|${ref.slice(0, 200)}`;
    if (opts.seen.has(key)) continue;
    const u1 = m.usage;
    const t = tokensOf(
      u1.input_tokens,
      u1.output_tokens,
      u1.cache_read_input_tokens,
      u1.cache_creation_input_tokens,
    );
    if (t === null) continue;
    if (add(u, modelName(m.model), t)) opts.seen.add(key);
  }
}

/**
 * Codex's session rollout (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, Codex 0.169.0): the
 * first line (`session_meta`) names the `cwd`, and a file of another working directory is not
 * this run's (the person's HOME holds every session); `turn_context` lines name the `model`;
 * each model answer is a `token_usage_record` with `payload.response_id` and `payload.usage`
 * (`input_tokens` including `cached_input_tokens`, `cache_write_input_tokens`, `output_tokens`
 * including reasoning). Counted once per response id, since `since`.
 */
export function addCodexRollout(
  u: RunUsage,
  text: string,
  opts: { since: string | null; seen: Set<string>; cwd: string },
): void {
  let model = "(unknown model)";
  let first = true;
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    let d: unknown;
    try {
      d = JSON.parse(raw);
    } catch {
      continue;
    }
    if (!isObj(d) || !isObj(d.payload)) continue;
    const p = d.payload;
    if (first) {
      first = false;
      if (d.type !== "session_meta" || p.cwd !== opts.cwd) return;
      continue;
    }
    if (d.type === "turn_context" && typeof p.model === "string" && p.model.length > 0) {
      model = p.model.slice(0, 100);
      continue;
    }
    if (d.type !== "token_usage_record" || !isObj(p.usage) || typeof p.response_id !== "string") continue;
    if (opts.since && !(typeof d.timestamp === "string" && d.timestamp >= opts.since)) continue;
    const key = p.response_id.slice(0, 200);
    if (opts.seen.has(key)) continue;
    const input = count(p.usage.input_tokens);
    const cached = count(p.usage.cached_input_tokens);
    const written = count(p.usage.cache_write_input_tokens);
    const output = count(p.usage.output_tokens);
    if (input === null || cached === null || written === null || output === null || cached > input) continue;
    const t = { input: input - cached, output, cacheRead: cached, cacheWrite: written };
    if (add(u, model, t)) opts.seen.add(key);
  }
}

/** A Gemini session file holds more messages than this: the rest are not counted. */
export const MAX_GEMINI_MESSAGES = 100_000;

/**
 * Gemini CLI's session file (`~/.gemini/tmp/<project>/chats/session-*.jsonl`, Gemini CLI
 * 0.61.0): the first line is the session's metadata, whose `projectHash` (the SHA-256 of the
 * project's folder) must be the run's (`projectHash`; a session of another project is not this
 * run's); then one message per line, a message written again, whole, each time it changes (its
 * tool calls, its tokens), and `{"$set": {"messages": [...]}}` lines that restate them. A model
 * answer is `type: "gemini"` with `model` and `tokens` {input (the prompt, `cached` included),
 * output, cached, thoughts, tool}: counted once per message id, with its last written tokens,
 * since `since`. A rewound message still counts: its tokens were spent.
 */
export function addGeminiSession(
  u: RunUsage,
  text: string,
  opts: { since: string | null; seen: Set<string>; projectHash: string | null },
): void {
  const answers = new Map<string, { model: string; t: Tokens }>();
  const take = (m: unknown) => {
    if (!isObj(m) || m.type !== "gemini" || !isObj(m.tokens) || typeof m.id !== "string") return;
    if (m.id.length === 0 || m.id.length > 200) return;
    if (opts.since && !(typeof m.timestamp === "string" && m.timestamp >= opts.since)) return;
    if (!answers.has(m.id) && answers.size >= MAX_GEMINI_MESSAGES) return;
    const input = count(m.tokens.input);
    const cached = count(m.tokens.cached);
    const output = count(m.tokens.output);
    const thoughts = count(m.tokens.thoughts);
    const tool = count(m.tokens.tool);
    if (input === null || cached === null || output === null || thoughts === null || tool === null) return;
    if (cached > input) return;
    const model = modelName(m.model);
    // Thoughts are billed as output, the tool-use prompt as input; neither is in the other counts.
    answers.set(m.id, {
      model,
      t: { input: input - cached + tool, output: output + thoughts, cacheRead: cached, cacheWrite: 0 },
    });
  };
  let first = true;
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    if (!first && !raw.includes('"tokens"')) continue; // a user turn, a time stamp
    let d: unknown;
    try {
      d = JSON.parse(raw);
    } catch {
      if (first) return;
      continue;
    }
    if (first) {
      first = false;
      if (!isObj(d) || typeof d.sessionId !== "string") return;
      if (opts.projectHash !== null && d.projectHash !== opts.projectHash) return;
    }
    if (!isObj(d)) continue;
    take(d);
    const restated = isObj(d.$set) ? d.$set.messages : d.messages;
    if (Array.isArray(restated)) for (const m of restated) take(m);
  }
  for (const [id, a] of answers) {
    if (opts.seen.has(id)) continue;
    if (add(u, a.model, a.t)) opts.seen.add(id);
  }
}

/**
 * OpenCode's messages (OpenCode 1.18.33 keeps them in a SQLite database,
 * `~/.local/share/opencode/opencode.db`, table `message`): one row a line, as JSON
 * {id, time_created, data}, `data` the message as JSON text. An answer is `role: "assistant"`
 * with `modelID`, `path.cwd` (another working directory is not this run's) and `tokens`
 * {input (net of the cache), output (net of reasoning), reasoning, cache {read, write}}.
 * Counted once per message id, since `since` (`time_created`, milliseconds).
 */
export function addOpencodeMessages(
  u: RunUsage,
  text: string,
  opts: { since: string | null; seen: Set<string>; cwd: string },
): void {
  const since = opts.since ? Date.parse(opts.since) : null;
  for (const raw of text.split("\n")) {
    if (!raw.includes("assistant")) continue;
    let row: unknown;
    let m: unknown;
    try {
      row = JSON.parse(raw);
      m = isObj(row) && typeof row.data === "string" ? JSON.parse(row.data) : null;
    } catch {
      continue;
    }
    if (!isObj(row) || !isObj(m) || m.role !== "assistant" || !isObj(m.tokens)) continue;
    if (typeof row.id !== "string" || row.id.length === 0 || row.id.length > 200) continue;
    if (!isObj(m.path) || m.path.cwd !== opts.cwd) continue;
    if (since !== null && !(typeof row.time_created === "number" && row.time_created >= since)) continue;
    if (opts.seen.has(row.id)) continue;
    const cache = isObj(m.tokens.cache) ? m.tokens.cache : {};
    const input = count(m.tokens.input);
    const output = count(m.tokens.output);
    const reasoning = count(m.tokens.reasoning);
    const cacheRead = count(cache.read);
    const cacheWrite = count(cache.write);
    if (input === null || output === null || reasoning === null || cacheRead === null || cacheWrite === null)
      continue;
    // An answer still streaming: its tokens are written when it ends.
    if (input + output + reasoning + cacheRead + cacheWrite === 0) continue;
    // Reasoning is billed as output.
    if (add(u, modelName(m.modelID), { input, output: output + reasoning, cacheRead, cacheWrite }))
      opts.seen.add(row.id);
  }
}

export function totalTokens(t: Tokens): number {
  return t.input + t.output + t.cacheRead + t.cacheWrite;
}

/** USD per million tokens, per model name or glob (the config's `prices:`). */
export interface Price {
  input: number;
  output: number;
  cache_read?: number | undefined;
  cache_write?: number | undefined;
}

export interface Cost {
  /** null when some model has no price. */
  usd: number | null;
  /** Models the config has no price for. */
  unpriced: string[];
}

/** The first price whose key is the model's name or a glob matching it. */
function priceFor(model: string, prices: Readonly<Record<string, Price>>): Price | null {
  if (prices[model]) return prices[model] ?? null;
  for (const [pattern, p] of Object.entries(prices)) if (picomatch.isMatch(model, pattern)) return p;
  return null;
}

export function costOf(
  byModel: Readonly<Record<string, Tokens>>,
  prices: Readonly<Record<string, Price>>,
): Cost {
  let usd = 0;
  const unpriced: string[] = [];
  for (const [model, t] of Object.entries(byModel)) {
    if (totalTokens(t) === 0) continue;
    const p = priceFor(model, prices);
    if (!p) {
      unpriced.push(model);
      continue;
    }
    usd +=
      (t.input * p.input +
        t.output * p.output +
        t.cacheRead * (p.cache_read ?? p.input) +
        t.cacheWrite * (p.cache_write ?? p.input)) /
      1_000_000;
  }
  return { usd: unpriced.length > 0 ? null : usd, unpriced };
}

/** Several runs' usage together (a task's). */
export function sumUsage(list: readonly RunUsage[]): RunUsage {
  const out = emptyUsage(list.length === 0 ? "none" : [...new Set(list.map((u) => u.source))].join("+"));
  for (const u of list) {
    for (const [model, t] of Object.entries(u.byModel)) {
      const m = out.byModel[model] ?? zero();
      out.byModel[model] = m;
      for (const k of ["input", "output", "cacheRead", "cacheWrite"] as const) m[k] += t[k];
    }
    for (const k of ["input", "output", "cacheRead", "cacheWrite"] as const) out[k] += u[k];
    out.messages += u.messages;
  }
  return out;
}

/** "12.3k tokens, $0.42" (or "no price for X"), for a table cell or a line. */
export function usageText(u: Tokens, cost: Cost): string {
  const n = totalTokens(u);
  const tokens =
    n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
  const usd =
    cost.usd !== null
      ? `, $${cost.usd < 0.01 && cost.usd > 0 ? cost.usd.toFixed(4) : cost.usd.toFixed(2)}`
      : "";
  return `${tokens} tokens${usd}`;
}

/** What a budget allows: tokens (every kind together) and/or USD (needs prices). */
export interface Budget {
  tokens?: number | undefined;
  usd?: number | undefined;
}

/** Why the usage passed the budget, or null while within it. `by`: whose spend ("this launch"). */
export function overBudget(u: RunUsage, cost: Cost, budget: Budget, by?: string): string | null {
  const n = totalTokens(u);
  const who = by ? ` by ${by}` : "";
  const whose = by ? "its budget" : "the budget";
  if (budget.tokens !== undefined && n > budget.tokens)
    return `${n} tokens used${who}, over ${whose} of ${budget.tokens}`;
  if (budget.usd !== undefined && cost.usd !== null && cost.usd > budget.usd)
    return `$${cost.usd.toFixed(2)} spent${who}, over ${whose} of $${budget.usd.toFixed(2)}`;
  return null;
}
