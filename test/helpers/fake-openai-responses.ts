/**
 * A local fake of the OpenAI Responses API, for running the real Codex CLI offline
 * (`openai_base_url = "<url>/v1"` in its config.toml, any key, `model = "fake-model"`).
 *
 *   const api = await startFakeResponses({ steps: ["git commit ..."] });
 *   api.requests;            // every request received, bodies parsed
 *
 * It answers `POST /v1/responses` with server-sent events (response.created,
 * response.output_item.added/done, response.completed). Like the other fakes it is stateless
 * per request: a request with tools whose input holds n function call outputs gets a call of
 * the shell tool it offers (`exec_command` { cmd }, or `shell` { command: [bash, -lc, cmd] })
 * running `steps[n]`, or the final text once every step has its output. With a model name
 * Codex has no "code mode" for (e.g. fake-model), Codex offers the classic exec_command tool.
 * With `onPrompt`, a conversation that has gone on to a later user message holding its marker
 * (a retry's) follows that script, counting the outputs after that message.
 * `GET /v1/models` lists fake-model; anything else gets a 404 in the API's error shape.
 */
import type { ServerResponse } from "node:http";
import { recorder, scriptAt, sendJson, serveHttp } from "./fake-http.js";

export interface FakeResponsesOptions {
  steps: readonly string[];
  finalText?: string;
  recordTo?: string;
  onPrompt?: { marker: string; steps: readonly string[]; finalText?: string };
}

export interface ResponsesRequest {
  at: string;
  method: string;
  path: string;
  body: unknown;
  answer: string;
}

export interface FakeResponses {
  url: string;
  requests: ResponsesRequest[];
  close(): Promise<void>;
}

interface InputItem {
  type?: string;
  role?: string;
  content?: unknown;
  output?: unknown;
  call_id?: string;
  [k: string]: unknown;
}

interface ResponsesBody {
  model?: string;
  tools?: Array<{ type?: string; name?: string }>;
  input?: InputItem[] | string;
  stream?: boolean;
}

export async function startFakeResponses(opts: FakeResponsesOptions): Promise<FakeResponses> {
  const requests: ResponsesRequest[] = [];
  const keep = recorder(requests, opts.recordTo);
  let counter = 0;
  const server = await serveHttp(({ method, path, body }, res) => {
    const record = (answer: string) => keep({ at: new Date().toISOString(), method, path, body, answer });
    if (method === "GET" && path.endsWith("/models")) {
      record("models");
      sendJson(res, 200, {
        object: "list",
        data: [{ id: "fake-model", object: "model", created: 0, owned_by: "fake" }],
      });
      return;
    }
    if (method === "POST" && path.endsWith("/responses")) {
      counter += 1;
      const b = (body ?? {}) as ResponsesBody;
      const reply = answerFor(b, opts, counter);
      record(reply.label);
      sendStream(res, `resp_fake_${counter}`, b.model ?? "fake-model", reply.items);
      return;
    }
    record("404");
    sendJson(res, 404, {
      error: { message: `the fake API has no ${method} ${path}`, type: "not_found" },
    });
  });
  return { url: server.url, requests, close: server.close };
}

type OutputItem = Record<string, unknown>;

function inputOf(body: ResponsesBody): InputItem[] {
  return Array.isArray(body.input) ? body.input : [];
}

function answerFor(
  body: ResponsesBody,
  opts: FakeResponsesOptions,
  n: number,
): { items: OutputItem[]; label: string } {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const text = (t: string): OutputItem => ({
    type: "message",
    id: `msg_fake_${n}`,
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text: t, annotations: [] }],
  });
  if (tools.length === 0) return { items: [text("OK")], label: "text" };
  const input = inputOf(body);
  const { script, from } = scriptAt(
    opts,
    input.map((item) => (item.role === "user" ? textOf(item.content) : null)),
  );
  const done = input.slice(from).filter((i) => i.type === "function_call_output").length;
  const command = script.steps[done];
  if (command === undefined) {
    return { items: [text(script.finalText ?? "All steps are done.")], label: "final" };
  }
  const names = tools.map((t) => t.name);
  const call = names.includes("exec_command")
    ? { name: "exec_command", arguments: JSON.stringify({ cmd: command }) }
    : { name: "shell", arguments: JSON.stringify({ command: ["bash", "-lc", command] }) };
  return {
    items: [
      {
        type: "function_call",
        id: `fc_fake_${n}`,
        call_id: `call_fake_${n}`,
        status: "completed",
        ...call,
      },
    ],
    label: `tool_use:${done + 1}`,
  };
}

function sendStream(res: ServerResponse, id: string, model: string, items: OutputItem[]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let seq = 0;
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  const response = (status: string, output: OutputItem[]) => ({
    id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status,
    model,
    output,
    usage:
      status === "completed"
        ? {
            input_tokens: 10,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: 5,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 15,
          }
        : null,
  });
  event("response.created", { response: response("in_progress", []) });
  items.forEach((item, output_index) => {
    event("response.output_item.added", { output_index, item });
    event("response.output_item.done", { output_index, item });
  });
  event("response.completed", { response: response("completed", items) });
  res.end();
}

/** The text of a message's content (input_text/output_text parts, or a string). */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((c) =>
      c && typeof c === "object" && typeof (c as { text?: unknown }).text === "string"
        ? (c as { text: string }).text
        : "",
    )
    .filter(Boolean)
    .join("\n");
}

/** Requests to /responses that offered tools: the agent's own turns. */
export function responsesTurns(requests: readonly ResponsesRequest[]): ResponsesBody[] {
  return requests
    .filter((r) => r.method === "POST" && r.path.endsWith("/responses"))
    .map((r) => r.body as ResponsesBody)
    .filter((b) => Array.isArray(b?.tools) && b.tools.length > 0);
}

/** The user messages' text of the agent's first turn (the prompt it was given). */
export function responsesPrompt(requests: readonly ResponsesRequest[]): string {
  const first = responsesTurns(requests)[0];
  return (first ? inputOf(first) : [])
    .filter((i) => i.role === "user")
    .map((i) => textOf(i.content))
    .join("\n");
}

/** Every function call output Codex sent back (the scripted commands' output), in order. */
export function functionOutputs(requests: readonly ResponsesRequest[]): string[] {
  const seen = new Map<string, string>();
  for (const body of responsesTurns(requests)) {
    for (const item of inputOf(body)) {
      if (item.type === "function_call_output") {
        seen.set(
          String(item.call_id),
          typeof item.output === "string" ? item.output : JSON.stringify(item.output),
        );
      }
    }
  }
  return [...seen.values()];
}

/** The input items of a turn, for assertions on a resumed conversation. */
export function inputItems(body: ResponsesBody): InputItem[] {
  return inputOf(body);
}
