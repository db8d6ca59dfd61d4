/**
 * A local fake of the OpenAI Chat Completions API, for the agents whose `openai` provider speaks
 * it (Qwen Code's `openai` auth type, Copilot CLI's `COPILOT_PROVIDER_TYPE=openai`):
 *
 *   const api = await startFakeChat({ steps: ["git commit ..."] });
 *   // OPENAI_BASE_URL=`${api.url}/v1` OPENAI_API_KEY=test OPENAI_MODEL=fake-model qwen --yolo "..."
 *
 * It answers `POST /v1/chat/completions` with server-sent chunks (`stream: true`, ending in
 * `data: [DONE]`, the usage in the last chunk) or one JSON completion. Like the other fakes it is
 * stateless per request: a request with tools whose messages hold n `tool` answers gets a call
 * of the shell tool it offers (`run_shell_command` or `bash`, `{ command }`) running `steps[n]`,
 * or the final text once every step has its answer; a request without tools gets "OK". With
 * `onPrompt`, a conversation that has gone on to a later user message holding its marker (a
 * retry's) follows that script, counting the tool answers after that message.
 * `GET /v1/models` lists fake-model; anything else gets a 404 in the API's error shape.
 */
import type { ServerResponse } from "node:http";
import { recorder, scriptAt, sendJson, serveHttp } from "./fake-http.js";
import { textOf } from "./fake-openai-responses.js";

export interface FakeChatOptions {
  steps: readonly string[];
  finalText?: string;
  recordTo?: string;
  onPrompt?: { marker: string; steps: readonly string[]; finalText?: string };
}

export interface ChatRequest {
  at: string;
  method: string;
  path: string;
  body: unknown;
  answer: string;
}

interface ChatMessage {
  role?: string;
  content?: unknown;
  tool_call_id?: string;
  [k: string]: unknown;
}

export interface ChatBody {
  model?: string;
  stream?: boolean;
  tools?: Array<{ type?: string; function?: { name?: string; parameters?: unknown } }>;
  messages?: ChatMessage[];
}

interface Reply {
  label: string;
  text: string | null;
  call: { name: string; arguments: string } | null;
}

export async function startFakeChat(
  opts: FakeChatOptions,
): Promise<{ url: string; requests: ChatRequest[]; close(): Promise<void> }> {
  const requests: ChatRequest[] = [];
  const keep = recorder(requests, opts.recordTo);
  let counter = 0;
  const server = await serveHttp(({ method, path, body }, res) => {
    const record = (answer: string) => keep({ at: new Date().toISOString(), method, path, body, answer });
    if (method === "GET" && path.endsWith("/models")) {
      record("models");
      sendJson(res, 200, { object: "list", data: [{ id: "fake-model", object: "model", owned_by: "fake" }] });
      return;
    }
    if (method === "POST" && path.endsWith("/chat/completions")) {
      counter += 1;
      const b = (body ?? {}) as ChatBody;
      const reply = answerFor(b, opts);
      record(reply.label);
      if (b.stream) sendStream(res, `chatcmpl-fake-${counter}`, b.model ?? "fake-model", reply, counter);
      else
        sendJson(res, 200, completion(`chatcmpl-fake-${counter}`, b.model ?? "fake-model", reply, counter));
      return;
    }
    record("404");
    sendJson(res, 404, { error: { message: `the fake API has no ${method} ${path}`, type: "not_found" } });
  });
  return { url: server.url, requests, close: server.close };
}

const SHELL_TOOLS = ["run_shell_command", "bash"];

function answerFor(body: ChatBody, opts: FakeChatOptions): Reply {
  const tools = (body.tools ?? []).map((t) => t.function?.name ?? "");
  if (tools.length === 0) return { label: "text", text: "OK", call: null };
  const messages = body.messages ?? [];
  const { script, from } = scriptAt(
    opts,
    messages.map((m) => (m.role === "user" ? textOf(m.content) : null)),
  );
  const done = messages.slice(from).filter((m) => m.role === "tool").length;
  const command = script.steps[done];
  if (command === undefined)
    return { label: "final", text: script.finalText ?? "All steps are done.", call: null };
  const name = SHELL_TOOLS.find((t) => tools.includes(t)) ?? "run_shell_command";
  const args = { command, description: `scripted step ${done + 1}` };
  return { label: `tool_call:${done + 1}`, text: null, call: { name, arguments: JSON.stringify(args) } };
}

const USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

function completion(id: string, model: string, reply: Reply, n: number) {
  const message = reply.call
    ? { role: "assistant", content: null, tool_calls: [toolCall(reply.call, n)] }
    : { role: "assistant", content: reply.text };
  return {
    id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: reply.call ? "tool_calls" : "stop" }],
    usage: USAGE,
  };
}

function toolCall(call: { name: string; arguments: string }, n: number) {
  return { id: `call_fake_${n}`, type: "function", function: call };
}

function sendStream(res: ServerResponse, id: string, model: string, reply: Reply, n: number): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: unknown) =>
    res.write(
      `data: ${JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...(usage ? { usage } : {}),
      })}\n\n`,
    );
  chunk({ role: "assistant", content: "" }, null);
  if (reply.call) chunk({ tool_calls: [{ index: 0, ...toolCall(reply.call, n) }] }, null);
  else chunk({ content: reply.text }, null);
  chunk({}, reply.call ? "tool_calls" : "stop", USAGE);
  res.write("data: [DONE]\n\n");
  res.end();
}

/** Requests to /chat/completions that offered tools: the agent's own turns. */
export function chatTurns(requests: readonly ChatRequest[]): ChatBody[] {
  return requests
    .filter((r) => r.method === "POST" && r.path.endsWith("/chat/completions"))
    .map((r) => r.body as ChatBody)
    .filter((b) => Array.isArray(b?.tools) && b.tools.length > 0);
}

/** The user messages' text of the agent's first turn (the prompt it was given). */
export function chatPrompt(requests: readonly ChatRequest[]): string {
  const first = chatTurns(requests)[0];
  return (first?.messages ?? [])
    .filter((m) => m.role === "user")
    .map((m) => textOf(m.content))
    .join("\n");
}

/** Every tool answer the agent sent back (the scripted commands' output), once per call id. */
export function chatToolOutputs(requests: readonly ChatRequest[]): string[] {
  const seen = new Map<string, string>();
  for (const body of chatTurns(requests))
    for (const m of body.messages ?? [])
      if (m.role === "tool") seen.set(String(m.tool_call_id), textOf(m.content) || JSON.stringify(m.content));
  return [...seen.values()];
}
