/**
 * A local fake of the Anthropic Messages API, for running the real Claude Code CLI offline.
 *
 *   const api = await startFakeAnthropic({ steps: ["echo hi > a.txt && git add -A && git commit -qm a"] });
 *   // ANTHROPIC_BASE_URL=api.url ANTHROPIC_API_KEY=test claude -p "..."
 *   api.requests;            // every request received, bodies parsed
 *   await api.close();
 *
 * It listens on 127.0.0.1 on a random port and answers `POST /v1/messages` with server-sent
 * events (message_start, content_block_start/delta/stop, message_delta, message_stop) or, when
 * the request does not ask for a stream, one JSON message. The script is stateless per
 * request, so side requests (titles, summaries, retries) never shift it:
 * - a request without tools gets a short text answer;
 * - a request with tools whose conversation holds n tool results gets a call of the shell tool
 *   it offers (`Bash`, `bash`, `run_shell_command`, `run_commands`, `Execute`) running `steps[n]`, or the final text once
 *   every step has its result;
 * - with `onPrompt`, a conversation that has gone on to a later prompt holding its marker (a
 *   retry's) follows that script, counting the tool results after that prompt.
 * `HEAD /` and count_tokens are answered; anything else gets a 404 in the API's error shape.
 * Every request is recorded (and, with `recordTo`, written to that JSON file after each one).
 */

import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { recorder, scriptAt, sendJson, serveHttp } from "./fake-http.js";

export interface FakeAnthropicOptions {
  /** Bash commands (or other tool calls: `{ tool, input }`), one tool call each, in order. */
  steps: readonly Step[];
  /** The answer after the last step's result. */
  finalText?: string;
  /** A JSON file that holds every request received so far (rewritten after each). */
  recordTo?: string;
  /** The model name echoed in answers. */
  model?: string;
  /**
   * Another script for a later prompt in the same conversation (a retry): once a user message
   * containing `marker` is in the conversation, the tool results after it count for `steps`.
   */
  onPrompt?: { marker: string; steps: readonly Step[]; finalText?: string };
  /** Serve HTTPS with this key and certificate instead of plain HTTP. */
  tls?: { key: Buffer; cert: Buffer };
}

/** A Bash command, or any tool call by name (e.g. an MCP tool: `mcp__ballador__status`). */
export type Step = string | { tool: string; input: Record<string, unknown> };

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  /** Request headers without credentials (x-api-key, authorization). */
  headers: Record<string, string | string[] | undefined>;
  /** sha256 of the x-api-key header (or of authorization's bearer token), "" without one. */
  keySha256: string;
  /** The parsed JSON body, or the raw text when it is not JSON, or null when empty. */
  body: unknown;
  /** What the fake answered with: "text", "tool_use:<n>", "final", "head", "count_tokens", "404". */
  answer: string;
}

export interface FakeAnthropic {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

interface ContentBlock {
  type: string;
  text?: string;
  content?: unknown;
  tool_use_id?: string;
  [k: string]: unknown;
}

interface Message {
  role: string;
  content: string | ContentBlock[];
}

interface MessagesBody {
  model?: string;
  stream?: boolean;
  tools?: unknown[];
  messages?: Message[];
}

export async function startFakeAnthropic(opts: FakeAnthropicOptions): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const keep = recorder(requests, opts.recordTo);
  let messageCounter = 0;
  const record = (req: IncomingMessage, body: unknown, answer: string) => {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    const key = String(req.headers["x-api-key"] ?? req.headers.authorization?.replace(/^Bearer /, "") ?? "");
    const keySha256 = key ? createHash("sha256").update(key).digest("hex") : "";
    delete headers["x-api-key"];
    delete headers.authorization;
    keep({
      at: new Date().toISOString(),
      method: req.method ?? "",
      path: req.url ?? "",
      headers,
      keySha256,
      body,
      answer,
    });
  };

  const server = await serveHttp(
    ({ req, method, path, raw, body }, res) => {
      if (method === "HEAD") {
        record(req, body, "head");
        res.writeHead(200).end();
        return;
      }
      if (method === "POST" && path === "/v1/messages/count_tokens") {
        record(req, body, "count_tokens");
        sendJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
        return;
      }
      if (method === "POST" && path === "/v1/messages") {
        messageCounter += 1;
        const b = (body ?? {}) as MessagesBody;
        const reply = answerFor(b, opts, messageCounter);
        record(req, body, reply.label);
        const model = b.model ?? opts.model ?? "claude-fake";
        const id = `msg_fake_${messageCounter}`;
        if (b.stream) sendStream(res, id, model, reply.blocks, reply.stop);
        else sendJson(res, 200, messageJson(id, model, reply.blocks, reply.stop));
        return;
      }
      record(req, body, "404");
      sendJson(res, 404, {
        type: "error",
        error: { type: "not_found_error", message: `the fake API has no ${method} ${path}` },
      });
    },
    opts.tls ? { tls: opts.tls } : {},
  );
  return { url: server.url, port: server.port, requests, close: server.close };
}

type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown };

function answerFor(
  body: MessagesBody,
  opts: FakeAnthropicOptions,
  requestNumber: number,
): { blocks: Block[]; stop: string; label: string } {
  if (!Array.isArray(body.tools) || body.tools.length === 0) {
    return { blocks: [{ type: "text", text: "OK" }], stop: "end_turn", label: "text" };
  }
  const messages = body.messages ?? [];
  const { script, from } = scriptAt(
    opts,
    messages.map((m) => (m.role === "user" ? textOf(m.content) : null)),
  );
  const n = toolResultsIn(messages.slice(from)).length;
  const step = script.steps[n];
  if (step === undefined) {
    return {
      blocks: [{ type: "text", text: script.finalText ?? "All steps are done." }],
      stop: "end_turn",
      label: "final",
    };
  }
  const call =
    typeof step === "string" ? shellCall(body.tools, step, n) : { name: step.tool, input: step.input };
  return {
    blocks: [
      { type: "text", text: `Step ${n + 1}.` },
      // Unique in the conversation: a resumed one holds the earlier attempt's calls too.
      { type: "tool_use", id: `toolu_fake_${requestNumber}`, ...call },
    ],
    stop: "tool_use",
    label: `tool_use:${n + 1}`,
  };
}

/**
 * The agent's shell tool called with `command`: Claude Code's `Bash`, else another agent's own
 * shell tool found among the request's tools (Copilot CLI's and Pi's `bash`, Qwen Code's `run_shell_command`, Cline's `run_commands`, Droid's
 * `Execute`), by name.
 */
function shellCall(tools: unknown[], command: string, n: number): { name: string; input: unknown } {
  const description = `scripted step ${n + 1}`;
  const named = (name: string) => tools.find((t) => (t as { name?: unknown }).name === name);
  if (named("Bash") || tools.length === 0) return { name: "Bash", input: { command, description } };
  const shell = SHELL_TOOLS.find((t) => named(t.name));
  if (!shell) return { name: "Bash", input: { command, description } };
  // A `description` where the tool's schema has one (OpenCode's bash asks for it; Pi's has none).
  const schema = (named(shell.name) as { input_schema?: { properties?: Record<string, unknown> } })
    .input_schema;
  const input = shell.input(command);
  return { name: shell.name, input: schema?.properties?.description ? { ...input, description } : input };
}

const SHELL_TOOLS: Array<{ name: string; input(command: string): Record<string, unknown> }> = [
  { name: "bash", input: (command) => ({ command }) },
  { name: "run_shell_command", input: (command) => ({ command }) },
  { name: "run_commands", input: (command) => ({ commands: [command] }) },
  // Droid's shell tool.
  { name: "Execute", input: (command) => ({ command, summary: "Run the scripted step" }) },
];

function toolResultsIn(messages: readonly Message[]): ContentBlock[] {
  return messages.flatMap((m) =>
    m.role === "user" && Array.isArray(m.content) ? m.content.filter((c) => c.type === "tool_result") : [],
  );
}

function usage(output: number) {
  return {
    input_tokens: 10,
    output_tokens: output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function messageJson(id: string, model: string, blocks: Block[], stop: string) {
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content: blocks,
    stop_reason: stop,
    stop_sequence: null,
    usage: usage(20),
  };
}

function sendStream(res: ServerResponse, id: string, model: string, blocks: Block[], stop: string): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event("message_start", {
    message: { ...messageJson(id, model, [], stop), stop_reason: null, usage: usage(1) },
  });
  blocks.forEach((block, index) => {
    if (block.type === "text") {
      event("content_block_start", { index, content_block: { type: "text", text: "" } });
      event("content_block_delta", { index, delta: { type: "text_delta", text: block.text } });
    } else {
      event("content_block_start", {
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      event("content_block_delta", {
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      });
    }
    event("content_block_stop", { index });
  });
  event("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 20 } });
  event("message_stop", {});
  res.end();
}

/** Helpers for assertions on what the agent sent. */

/** Requests to /v1/messages that carried tools: the agent's own conversation turns. */
export function agentTurns(requests: readonly RecordedRequest[]): MessagesBody[] {
  return requests
    .filter((r) => r.method === "POST" && r.path.split("?")[0] === "/v1/messages")
    .map((r) => r.body as MessagesBody)
    .filter((b) => Array.isArray(b?.tools) && b.tools.length > 0);
}

/** All text of a message's content (text blocks joined; strings as they are). */
export function textOf(content: Message["content"] | undefined): string {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  return content
    .map((c) => (c.type === "text" && typeof c.text === "string" ? c.text : ""))
    .filter(Boolean)
    .join("\n");
}

/** The text of the user messages of the agent's first turn (the prompt it was given). */
export function firstPrompt(requests: readonly RecordedRequest[]): string {
  const first = agentTurns(requests)[0];
  return (first?.messages ?? [])
    .filter((m) => m.role === "user")
    .map((m) => textOf(m.content))
    .join("\n");
}

/** Every tool result the agent sent back, with its text (content strings or text blocks). */
export function toolResults(
  requests: readonly RecordedRequest[],
): Array<{ toolUseId: string; text: string; isError: boolean }> {
  const seen = new Map<string, { toolUseId: string; text: string; isError: boolean }>();
  for (const body of agentTurns(requests)) {
    for (const block of toolResultsIn(body.messages ?? [])) {
      const id = String(block.tool_use_id ?? "");
      const content = block.content as Message["content"] | undefined;
      seen.set(id, { toolUseId: id, text: textOf(content), isError: block.is_error === true });
    }
  }
  return [...seen.values()];
}
