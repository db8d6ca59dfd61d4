/**
 * The HTTP core the fake model servers (fake-anthropic, fake-openai-responses, fake-gemini) and the
 * tests' own loopback hosts share: listen on 127.0.0.1 (a free port), plain or HTTPS, read each
 * request's body whole (JSON parsed when it parses), and close without waiting for kept-alive
 * connections. What a server answers is its own handler's business.
 *
 *   const server = await serveHttp((r, res) => sendJson(res, 200, { path: r.path }), { tls });
 *   server.url;       // http(s)://127.0.0.1:<port>
 *   await server.close();
 */
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

/** A request, its body read whole. */
export interface ReadRequest {
  req: IncomingMessage;
  method: string;
  /** The request target as sent, query included. */
  url: string;
  /** The path without the query. */
  path: string;
  raw: string;
  /** `raw` parsed as JSON; `raw` itself when it is not JSON; null when empty. */
  body: unknown;
}

export interface HttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What it returns is not used (a handler may `return res.end(...)`). */
export type Handler = (r: ReadRequest, res: ServerResponse) => unknown;

/** Serves `handle` on 127.0.0.1; HTTPS with `tls`. */
export async function serveHttp(
  handle: Handler,
  opts: { tls?: { key: Buffer; cert: Buffer } } = {},
): Promise<HttpServer> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = req.url ?? "/";
      void handle(
        { req, method: req.method ?? "", url, path: url.split("?")[0] ?? "", raw, body: parseBody(raw) },
        res,
      );
    });
  };
  const server = opts.tls ? createHttpsServer(opts.tls, onRequest) : createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseBody(raw: string): unknown {
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Answers `text` with a content type and its length. */
export function send(res: ServerResponse, status: number, type: string, text: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json", JSON.stringify(value));
}

/** Keeps a record of every request, and (with `recordTo`) the whole list in that JSON file after each. */
export function recorder<T>(requests: T[], recordTo: string | undefined): (entry: T) => void {
  return (entry) => {
    requests.push(entry);
    if (recordTo) writeFileSync(recordTo, `${JSON.stringify(requests, null, 2)}\n`);
  };
}

/** A fake model's script: the steps it answers with, one a turn, then its final text. */
export interface ModelScript<Step> {
  steps: readonly Step[];
  finalText?: string;
}

/**
 * The script a fake model follows in a conversation, and the item it counts turns from: with
 * `onPrompt`, from the last user message holding its marker on (a later attempt's prompt);
 * otherwise the first script, from the start. `userTexts[i]` is the text of item i when the
 * agent's user wrote it, else null.
 */
export function scriptAt<Step>(
  opts: ModelScript<Step> & { onPrompt?: ModelScript<Step> & { marker: string } },
  userTexts: ReadonlyArray<string | null>,
): { script: ModelScript<Step>; from: number } {
  const later = opts.onPrompt;
  let from = -1;
  if (later)
    userTexts.forEach((t, i) => {
      if (t?.includes(later.marker)) from = i;
    });
  return { script: later && from >= 0 ? later : opts, from: Math.max(0, from) };
}
