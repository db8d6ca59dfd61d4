/**
 * The session records of the agents added after the first four (Copilot CLI, Qwen Code, Pi,
 * Cline), read into a RunUsage with usage.ts's bounds: a file of their own so usage.ts stays a
 * screenful per reader. Pure: the text comes from the caller, which reads it untrusted.
 */
import {
  add,
  count,
  firstJsonLine,
  isObj,
  type Json,
  jsonLines,
  MAX_GEMINI_MESSAGES,
  modelName,
  type RunUsage,
  tokensOf,
} from "./usage.js";

/**
 * Pi's session file (`~/.pi/agent/sessions/--<cwd>--/<time>_<id>.jsonl`, Pi 0.73.1): the first
 * line `{type: "session", cwd}` (another working directory is not this run's), then entries; an
 * answer is `{type: "message", id, timestamp, message: {role: "assistant", model, usage: {input
 * (net of the cache), output, cacheRead, cacheWrite}}}`. Counted once per entry id, since `since`.
 */
export function addPiSession(
  u: RunUsage,
  text: string,
  opts: { since: string | null; seen: Set<string>; cwd: string },
): void {
  const head = firstJsonLine(text);
  if (!isObj(head) || head.type !== "session" || head.cwd !== opts.cwd) return;
  for (const d of jsonLines(text, '"assistant"')) {
    if (!isObj(d) || d.type !== "message" || !isObj(d.message) || d.message.role !== "assistant") continue;
    const m = d.message;
    if (!isObj(m.usage) || typeof d.id !== "string" || d.id.length === 0 || d.id.length > 200) continue;
    if (opts.since && !(typeof d.timestamp === "string" && d.timestamp >= opts.since)) continue;
    if (opts.seen.has(d.id)) continue;
    const t = tokensOf(m.usage.input, m.usage.output, m.usage.cacheRead, m.usage.cacheWrite);
    if (t === null) continue;
    if (add(u, modelName(m.model), t)) opts.seen.add(d.id);
  }
}

/**
 * Cline's session (`~/.cline/data/sessions/<id>/<id>.messages.json`, Cline CLI 3.0.65; the
 * session's `<id>.json` beside it names its `cwd`, checked by the reader): `{messages: [...]}`,
 * an answer `{id, role: "assistant", ts (milliseconds), modelInfo: {id}, metrics: {inputTokens,
 * outputTokens, cacheReadTokens, cacheWriteTokens}}`. Counted once per message id, since `since`.
 */
export function addClineMessages(
  u: RunUsage,
  text: string,
  opts: { since: string | null; seen: Set<string> },
): void {
  let d: unknown;
  try {
    d = JSON.parse(text);
  } catch {
    return;
  }
  if (!isObj(d) || !Array.isArray(d.messages)) return;
  const since = opts.since ? Date.parse(opts.since) : null;
  for (const m of d.messages.slice(0, MAX_GEMINI_MESSAGES)) {
    if (!isObj(m) || m.role !== "assistant" || !isObj(m.metrics)) continue;
    if (typeof m.id !== "string" || m.id.length === 0 || m.id.length > 200) continue;
    if (since !== null && !(typeof m.ts === "number" && m.ts >= since)) continue;
    if (opts.seen.has(m.id)) continue;
    const x = m.metrics;
    const t = tokensOf(x.inputTokens, x.outputTokens, x.cacheReadTokens, x.cacheWriteTokens);
    if (t === null) continue;
    if (add(u, modelName(isObj(m.modelInfo) ? m.modelInfo.id : undefined), t)) opts.seen.add(m.id);
  }
}

/**
 * Copilot CLI's session events (`~/.copilot/session-state/<session>/events.jsonl`, Copilot CLI
 * 1.0.102): the first line (`session.start`) names the `context.cwd` (another working directory
 * is not this run's); each model answer is a `session.usage_record` whose `data.usage` holds
 * `model`, `apiCallId` and `inputTokens`, `outputTokens`, `cacheReadTokens`, `cacheWriteTokens`
 * (read as its status line passes them on: input without the cache, as Anthropic counts).
 * Counted once per call id, since `since` (the event's `timestamp`).
 */
export function addCopilotEvents(
  u: RunUsage,
  text: string,
  opts: { since: string | null; seen: Set<string>; cwd: string },
): void {
  const head = firstJsonLine(text);
  const context = isObj(head) && isObj(head.data) && isObj(head.data.context) ? head.data.context : null;
  if (!isObj(head) || head.type !== "session.start" || context?.cwd !== opts.cwd) return;
  for (const d of jsonLines(text, '"session.usage_record"')) {
    if (!isObj(d) || d.type !== "session.usage_record" || !isObj(d.data) || !isObj(d.data.usage)) continue;
    const m = d.data.usage;
    const id = typeof m.apiCallId === "string" ? m.apiCallId : typeof d.id === "string" ? d.id : "";
    if (id.length === 0 || id.length > 200 || opts.seen.has(id)) continue;
    if (opts.since && !(typeof d.timestamp === "string" && d.timestamp >= opts.since)) continue;
    const t = tokensOf(m.inputTokens, m.outputTokens, m.cacheReadTokens, m.cacheWriteTokens);
    if (t === null) continue;
    if (add(u, modelName(m.model), t)) opts.seen.add(id);
  }
}

/**
 * Qwen Code's chat records (`~/.qwen/projects/<cwd, every other character a dash>/chats/
 * <session>.jsonl`, Qwen Code 0.24.4): one record a line; a model answer is `type: "assistant"`
 * with `uuid`, `cwd` (another working directory is not this run's), `model` and
 * `usageMetadata` in Gemini's terms (promptTokenCount, the cache included;
 * cachedContentTokenCount; candidatesTokenCount; thoughtsTokenCount, billed as output).
 * Counted once per uuid, since `since`.
 */
export function addQwenChat(
  u: RunUsage,
  text: string,
  opts: { since: string | null; seen: Set<string>; cwd: string },
): void {
  for (const d of jsonLines(text, '"usageMetadata"')) {
    if (!isObj(d) || d.type !== "assistant" || !isObj(d.usageMetadata) || d.cwd !== opts.cwd) continue;
    if (typeof d.uuid !== "string" || d.uuid.length === 0 || d.uuid.length > 200) continue;
    if (opts.since && !(typeof d.timestamp === "string" && d.timestamp >= opts.since)) continue;
    if (opts.seen.has(d.uuid)) continue;
    const m = d.usageMetadata;
    const prompt = count(m.promptTokenCount);
    const cached = count(m.cachedContentTokenCount);
    const output = count(m.candidatesTokenCount);
    const thoughts = count(m.thoughtsTokenCount);
    if (prompt === null || cached === null || output === null || thoughts === null || cached > prompt)
      continue;
    const t = { input: prompt - cached, output: output + thoughts, cacheRead: cached, cacheWrite: 0 };
    if (add(u, modelName(d.model), t)) opts.seen.add(d.uuid);
  }
}

/**
 * A Droid session's header, its first line `{type: "session_start", id, cwd}`, when it names
 * `cwd` (another working directory's session is not this run's); else null. The usage reader and
 * the session a retry continues (adapters/agents/droid-session.ts) check it alike.
 */
export function droidSessionHead(jsonl: string, cwd: string): Json | null {
  const head = firstJsonLine(jsonl);
  return isObj(head) && head.type === "session_start" && head.cwd === cwd ? head : null;
}

/**
 * Droid's session (`~/.factory/sessions/<cwd, / as ->/<id>.jsonl` beside `<id>.settings.json`,
 * Droid 0.225.2): the jsonl's first line `{type: "session_start", cwd}` (another working
 * directory is not this run's), its answers `{type: "message", timestamp, message: {role:
 * "assistant", modelId}}`; the settings' `tokenUsage` holds the session's totals (inputTokens net
 * of the cache, outputTokens, cacheReadTokens, cacheCreationTokens, thinkingTokens billed as
 * output), not per answer. `models` names a custom model's `custom:<name>-<i>` by its own model.
 */
export function addDroidSession(
  u: RunUsage,
  jsonl: string,
  settings: string,
  opts: { since: string | null; cwd: string; models: ReadonlyMap<string, string> },
): void {
  if (!droidSessionHead(jsonl, opts.cwd)) return;
  let answers = 0;
  let model: unknown;
  for (const d of jsonLines(jsonl, '"assistant"')) {
    if (!isObj(d) || d.type !== "message" || !isObj(d.message) || d.message.role !== "assistant") continue;
    if (opts.since && !(typeof d.timestamp === "string" && d.timestamp >= opts.since)) continue;
    answers += 1;
    model ??= d.message.modelId;
  }
  const s = parseJson(settings);
  if (answers === 0 || !isObj(s) || !isObj(s.tokenUsage)) return;
  const t = s.tokenUsage;
  const tokens = tokensOf(t.inputTokens, t.outputTokens, t.cacheReadTokens, t.cacheCreationTokens);
  const thinking = count(t.thinkingTokens);
  if (tokens === null || thinking === null) return;
  tokens.output += thinking;
  const name = typeof model === "string" ? (opts.models.get(model) ?? model) : model;
  // One record per session: its answers counted as the jsonl holds them.
  if (add(u, modelName(name), tokens)) u.messages += answers - 1;
}

/** Droid's names of the custom models in its settings.json: `custom:<displayName, spaces as ->-<i>`. */
export function droidCustomModels(settings: string | null): Map<string, string> {
  const out = new Map<string, string>();
  const s = settings === null ? undefined : parseJson(settings);
  if (!isObj(s) || !Array.isArray(s.customModels)) return out;
  s.customModels.slice(0, 100).forEach((m: unknown, i: number) => {
    if (!isObj(m) || typeof m.displayName !== "string" || typeof m.model !== "string") return;
    out.set(`custom:${m.displayName.trim().replace(/\s+/g, "-")}-${i}`, m.model);
  });
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
