/**
 * A local fake of the Gemini API (generativelanguage), for running the real Gemini CLI offline
 * (GEMINI_API_KEY=anything GOOGLE_GEMINI_BASE_URL=<url>).
 *
 *   const api = await startFakeGemini({ steps: ["git commit ..."] });
 *   api.requests;            // every request received, bodies parsed
 *
 * It answers `POST /v1beta/models/<model>:streamGenerateContent?alt=sse` with server-sent
 * events and `:generateContent` with JSON. Like the fake Anthropic API it is stateless per
 * request: a request with tools whose conversation holds n function responses gets a
 * `run_shell_command` call running `steps[n]`, or the final text once every step has its
 * response; a request without tools (the CLI's routing and checks) gets a JSON object that
 * satisfies its `responseJsonSchema`, or a short text.
 *
 * Every answer reports its tokens (`usageMetadata`): a conversation turn (a request with tools)
 * GEMINI_TURN_USAGE, the CLI's side requests GEMINI_SIDE_USAGE, so a test can tell which the
 * CLI recorded.
 */
import { recorder, scriptAt, send, sendJson, serveHttp } from "./fake-http.js";

/** Tokens of each answer to a request with tools: 10 prompt (4 of them cached), 5 + 3 thought out. */
export const GEMINI_TURN_USAGE = {
  promptTokenCount: 10,
  candidatesTokenCount: 5,
  cachedContentTokenCount: 4,
  thoughtsTokenCount: 3,
  totalTokenCount: 18,
} as const;
/** Tokens of each answer to a side request (no tools: routing, checks). */
export const GEMINI_SIDE_USAGE = {
  promptTokenCount: 1,
  candidatesTokenCount: 1,
  totalTokenCount: 2,
} as const;

export interface FakeGeminiOptions {
  steps: readonly string[];
  finalText?: string;
  /**
   * Another script for a later prompt in the same conversation (a retry): once a user turn
   * containing `marker` is in the conversation, the function responses after it count.
   */
  onPrompt?: { marker: string; steps: readonly string[]; finalText?: string };
  /** A JSON file that holds every request received so far. */
  recordTo?: string;
}

export interface GeminiRequest {
  at: string;
  method: string;
  path: string;
  body: unknown;
  answer: string;
}

export interface FakeGemini {
  url: string;
  requests: GeminiRequest[];
  close(): Promise<void>;
}

interface Part {
  text?: string;
  functionCall?: { name: string; args: unknown };
  functionResponse?: { name: string; response: unknown };
}

interface GenerateBody {
  contents?: Array<{ role?: string; parts?: Part[] }>;
  tools?: unknown[];
  generationConfig?: { responseJsonSchema?: Schema; responseSchema?: Schema };
}

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
}

export async function startFakeGemini(opts: FakeGeminiOptions): Promise<FakeGemini> {
  const requests: GeminiRequest[] = [];
  const record = recorder(requests, opts.recordTo);
  const server = await serveHttp(({ method, url: path, raw, body }, res) => {
    const reply = answerFor((body ?? {}) as GenerateBody, opts);
    record({ at: new Date().toISOString(), method, path, body, answer: reply.label });
    if (path.includes(":countTokens")) {
      sendJson(res, 200, { totalTokens: Math.ceil(raw.length / 4) });
      return;
    }
    const chunk = {
      candidates: [{ content: { role: "model", parts: reply.parts }, finishReason: "STOP", index: 0 }],
      usageMetadata: reply.label === "text" ? GEMINI_SIDE_USAGE : GEMINI_TURN_USAGE,
      modelVersion: "gemini-fake",
    };
    if (path.includes(":streamGenerateContent")) {
      send(res, 200, "text/event-stream", `data: ${JSON.stringify(chunk)}\r\n\r\n`);
    } else if (path.includes(":generateContent")) {
      sendJson(res, 200, chunk);
    } else {
      sendJson(res, 404, { error: { code: 404, message: `no ${path}` } });
    }
  });
  return { url: server.url, requests, close: server.close };
}

function answerFor(body: GenerateBody, opts: FakeGeminiOptions): { parts: Part[]; label: string } {
  if (!Array.isArray(body.tools) || body.tools.length === 0) {
    const schema = body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema;
    return { parts: [{ text: schema ? JSON.stringify(sample(schema)) : "OK" }], label: "text" };
  }
  const contents = body.contents ?? [];
  const { script, from } = scriptAt(
    opts,
    contents.map((c) => (c.role === "user" ? (c.parts ?? []).map((p) => p.text ?? "").join("\n") : null)),
  );
  const n = functionResponses({ contents: contents.slice(from) }).length;
  const command = script.steps[n];
  if (command === undefined)
    return { parts: [{ text: script.finalText ?? "All steps are done." }], label: "final" };
  return {
    parts: [
      {
        functionCall: { name: "run_shell_command", args: { command, description: `scripted step ${n + 1}` } },
      },
    ],
    label: `tool_use:${n + 1}`,
  };
}

/** A minimal value of a (Gemini- or JSON-) schema: what the CLI's side requests parse. */
function sample(schema: Schema): unknown {
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  switch ((schema.type ?? "").toLowerCase()) {
    case "object":
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sample(v)]));
    case "array":
      return [];
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return false;
    default:
      return "fake";
  }
}

function functionResponses(body: GenerateBody): Part[] {
  return (body.contents ?? []).flatMap((c) => (c.parts ?? []).filter((p) => p.functionResponse));
}

/** The text of the user turns of the first request with tools (the prompt the CLI sent). */
export function geminiPrompt(requests: readonly GeminiRequest[]): string {
  const first = requests
    .map((r) => r.body as GenerateBody)
    .find((b) => Array.isArray(b?.tools) && b.tools.length > 0);
  return (first?.contents ?? [])
    .filter((c) => c.role === "user")
    .flatMap((c) => (c.parts ?? []).map((p) => p.text ?? ""))
    .join("\n");
}

/** Every function response the CLI sent back (the output of the scripted shell commands). */
export function geminiFunctionResponses(requests: readonly GeminiRequest[]): string[] {
  const seen = new Set<string>();
  for (const body of geminiTurns(requests)) {
    for (const p of functionResponses(body)) seen.add(JSON.stringify(p.functionResponse?.response));
  }
  return [...seen];
}

/** The bodies of requests that carried tools: the CLI's own conversation turns. */
export function geminiTurns(requests: readonly GeminiRequest[]): GenerateBody[] {
  return requests
    .map((r) => r.body as GenerateBody)
    .filter((b) => Array.isArray(b?.tools) && b.tools.length > 0);
}
