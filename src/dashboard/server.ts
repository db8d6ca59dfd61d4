/**
 * The dashboard's web server (plain node:http: a dozen routes, server-sent events and a cookie
 * need no framework). Security model, in order of the checks every request meets:
 * - Host header: only the loopback names of this port (blocks DNS rebinding), unless bound
 *   elsewhere on purpose.
 * - Authentication: the random token of the printed URL, traded on first visit for a session
 *   cookie (HttpOnly, SameSite=Strict); nothing but a 403 without one of them.
 * - State-changing requests (POST only): same Origin as the Host, JSON body, and the session's
 *   CSRF token in the X-Ballador-CSRF header.
 * - Every page carries a strict Content-Security-Policy (no inline script, no eval, Trusted
 *   Types): the page renders agent text as text nodes, and the browser refuses the rest.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { addPersonNote, taskPage, typeInto } from "../observe/board/index.js";
import {
  type DashboardSession,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_IDLE_MS,
  dashboardActor,
  nameSession,
} from "../observe/index.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { openProject, type Project, UserError } from "../project/index.js";
import { act } from "./actions.js";
import { SessionGate } from "./auth.js";
import { type Editor, openInEditor, parseEditor, requestWithComments } from "./hands.js";
import { readPart, savePart } from "./parts.js";
import { TerminalHub } from "./terminals.js";
import { BoardWatcher } from "./watcher.js";

export interface DashboardOptions {
  cwd: string;
  host: string;
  port: number;
  /** Accept any Host header (the server is bound to a non-loopback address on purpose). */
  allowRemote?: boolean;
  /** The URL token; random when unset. */
  token?: string;
  pollMs?: number;
  /** A session unused this long ends (default 8h). */
  sessionIdleMs?: number;
  /** At most this many sessions; a new login ends the least recently seen (default 10). */
  maxSessions?: number;
  /** Named sessions may type into running agents (default: on, off with allowRemote). */
  typing?: boolean;
  /** The person's editor: a URL template with {path}, or a command (issue 34). */
  editor?: string;
}

export interface Dashboard {
  url: string;
  host: string;
  port: number;
  /** A URL for `--open`: a one-time code, good once and for a minute, instead of the token. */
  openUrl(): string;
  close(): Promise<void>;
}

// The built page (esbuild), wherever this module runs from (dist/, the bundle, src/ in tests).
const ASSETS_DIR = `${join(PACKAGE_ROOT, "dist", "dashboard", "web")}/`;
const ASSETS: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
  "xterm.css": "text/css; charset=utf-8",
};

/**
 * The page's policy. Styles: our stylesheet, plus the <style> elements the terminal emulator
 * creates for its theme and cell sizes, which the page marks with this response's nonce (their
 * content changes, so no hash fits); style attributes stay refused.
 */
export function csp(nonce?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${nonce ? ` 'nonce-${nonce}'` : ""}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const MAX_BODY = 64 * 1024;

/** What every request of one dashboard reaches: the open project and the live parts around it. */
interface Served {
  opts: DashboardOptions;
  project: Project;
  assets: Map<string, Buffer>;
  watcher: BoardWatcher;
  gate: SessionGate;
  terminals: TerminalHub;
  streams: Set<ServerResponse>;
  /** The loopback Host headers of the bound port (known once it listens). */
  allowedHosts: Set<string>;
  /** Actions run one at a time: two clicks on merge must not race inside one process. */
  actions: Promise<unknown>;
  editor: Editor | null;
  typing: boolean;
}

/** The built page's files, read once; refused with a hint when the page was never built. */
function loadAssets(): Map<string, Buffer> {
  for (const name of Object.keys(ASSETS)) {
    if (!existsSync(`${ASSETS_DIR}${name}`))
      throw new UserError(
        `the dashboard's page is not built: ${ASSETS_DIR}${name} is missing (run "npm run build" in the Ballador checkout)`,
      );
  }
  return new Map(Object.keys(ASSETS).map((n) => [n, readFileSync(`${ASSETS_DIR}${n}`)]));
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const assets = loadAssets();
  const project = await openProject(opts.cwd);
  const watcher = new BoardWatcher(project, opts.pollMs);
  const gate = new SessionGate(project, {
    idleMs: opts.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS,
    maxSessions: opts.maxSessions ?? DEFAULT_MAX_SESSIONS,
  });
  const served: Served = {
    opts,
    project,
    assets,
    watcher,
    gate,
    terminals: new TerminalHub(project),
    streams: new Set<ServerResponse>(),
    allowedHosts: new Set<string>(),
    actions: Promise.resolve(),
    editor: parseEditor(opts.editor),
    // A dashboard others can reach types into agents only when told to.
    typing: opts.typing ?? !opts.allowRemote,
  };
  const server = createServer((req, res) => {
    handle(served, req, res).catch((err: unknown) => {
      if (res.headersSent) res.end();
      else if (err instanceof URIError) sendJson(res, 400, { error: "malformed URL" });
      else sendJson(res, 500, { error: (err as Error).message });
    });
  });
  const stopStreams = streamBoard(served);
  await listen(server, opts);
  const port = (server.address() as AddressInfo).port;
  served.allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  watcher.start();
  const shownHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const urlHost = shownHost === "0.0.0.0" || shownHost === "[::]" ? "127.0.0.1" : shownHost;
  const origin = `http://${urlHost}:${port}`;
  const token = gate.start(origin, port, opts.token);
  return {
    url: `${origin}/?token=${token}`,
    host: opts.host,
    port,
    openUrl: () => `${origin}/?code=${gate.mintCode()}`,
    close: async () => {
      gate.stop();
      stopStreams();
      watcher.stop();
      served.terminals.closeAll();
      for (const s of served.streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      project.close();
    },
  };
}

function listen(server: Server, opts: DashboardOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new UserError(`port ${opts.port} on ${opts.host} is in use; pick another with --port`)
          : err,
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
}

/** The board's patches to every open event stream, and a keep-alive; returns the stop. */
function streamBoard(served: Served): () => void {
  const unsubscribe = served.watcher.subscribe((patch) => {
    const frame = `event: patch\ndata: ${JSON.stringify(patch)}\n\n`;
    for (const s of served.streams) s.write(frame);
  });
  // Proxies and browsers drop silent streams; a comment line every 15 s keeps them open.
  const keepAlive = setInterval(() => {
    for (const s of served.streams) s.write(": keep-alive\n\n");
  }, 15_000);
  keepAlive.unref();
  return () => {
    unsubscribe();
    clearInterval(keepAlive);
  };
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader("Content-Security-Policy", csp());
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Cache-Control", "no-store");
}

/** Every request: the Host, then the session, then the method's own checks and routes. */
async function handle(served: Served, req: IncomingMessage, res: ServerResponse): Promise<void> {
  securityHeaders(res);
  const host = req.headers.host ?? "";
  if (!served.opts.allowRemote && !served.allowedHosts.has(host))
    return sendText(res, 403, "Forbidden: unknown Host.\n");
  const url = parseUrl(req.url);
  if (!url) return sendText(res, 400, "Bad request: malformed URL.\n");
  if (served.gate.login(req, res, url)) return;
  const session = served.gate.session(req);
  if (!session)
    return sendText(
      res,
      403,
      "Forbidden: open the dashboard with the URL that `ballador dashboard` printed (it carries the token).\n",
    );
  if (req.method === "POST") return checkedPost(served, req, res, host, url.pathname, session);
  if (req.method !== "GET") return sendJson(res, 405, { error: "method not allowed" });
  return get(served, req, res, url.pathname, session);
}

/** A state-changing request: same Origin, the session's CSRF token, a JSON body of bounded size. */
async function checkedPost(
  served: Served,
  req: IncomingMessage,
  res: ServerResponse,
  host: string,
  path: string,
  session: DashboardSession,
): Promise<void> {
  if (req.headers.origin !== `http://${host}`)
    return sendJson(res, 403, { error: "cross-origin request refused" });
  const csrf = req.headers["x-ballador-csrf"];
  if (typeof csrf !== "string" || !same(csrf, session.csrf))
    return sendJson(res, 403, { error: "missing or wrong CSRF token (reload the page)" });
  if (!(req.headers["content-type"] ?? "").startsWith("application/json"))
    return sendJson(res, 415, { error: "send JSON" });
  const body = await readBody(req);
  if (body === null) return sendJson(res, 413, { error: "request too large" });
  return post(served, path, body, res, session);
}

async function get(
  served: Served,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  session: DashboardSession,
): Promise<void> {
  if (path === "/") return sendHtml(res, session);
  const asset = /^\/assets\/([a-z]+\.(?:js|css))$/.exec(path)?.[1];
  if (asset && served.assets.has(asset)) {
    res.writeHead(200, { "Content-Type": ASSETS[asset] as string });
    res.end(served.assets.get(asset));
    return;
  }
  if (path === "/api/board") return sendJson(res, 200, served.watcher.snapshot());
  if (path === "/api/session")
    return sendJson(res, 200, {
      id: session.id,
      name: session.name,
      typing: served.typing,
      editor: served.editor?.kind ?? null,
    });
  if (path === "/api/events") {
    served.gate.watch(req, res, session);
    return openEvents(served, req, res);
  }
  const part = /^\/api\/parts\/([^/]+)$/.exec(path)?.[1];
  if (part) return guarded(res, () => readPart(served.opts.cwd, decodeURIComponent(part)));
  const task = /^\/api\/tasks\/([^/]+)$/.exec(path)?.[1];
  if (task) return guarded(res, () => taskPage(served.project, decodeURIComponent(task)));
  const term = /^\/api\/tasks\/([^/]+)\/terminal$/.exec(path)?.[1];
  if (term) {
    served.gate.watch(req, res, session);
    return served.terminals.open(decodeURIComponent(term), req, res);
  }
  return sendJson(res, 404, { error: "not found" });
}

async function post(
  served: Served,
  path: string,
  body: Record<string, unknown>,
  res: ServerResponse,
  session: DashboardSession,
): Promise<void> {
  const { project, watcher } = served;
  if (path === "/api/session/name")
    return guarded(res, () => ({ id: session.id, name: nameSession(project, session, body.name) }));
  // Every write names who made it: the session's name, or its id until it has one.
  const actor = dashboardActor(session.name, session.id);
  const note = /^\/api\/tasks\/([^/]+)\/notes$/.exec(path)?.[1];
  if (note) {
    return guarded(res, () => {
      const r = addPersonNote(project, decodeURIComponent(note), String(body.text ?? ""), actor);
      watcher.poke();
      return r;
    });
  }
  if (path === "/api/parts") {
    // One at a time with the other actions: a part and a launch must not race.
    const run = served.actions.then(() => savePart(served.opts.cwd, body, actor));
    served.actions = run.catch(() => undefined);
    return guarded(res, async () => {
      try {
        return await run;
      } finally {
        watcher.poke();
      }
    });
  }
  const hands = await handsPost(served, path, body, res, session, actor);
  if (hands) return;
  const m = /^\/api\/tasks\/([^/]+)\/(launch|stop|resume|retry|request-changes|merge|pr|abandon)$/.exec(path);
  if (m || path === "/api/launch") {
    const id = m ? decodeURIComponent(m[1] as string) : null;
    const action = m ? (m[2] as string) : "launch";
    // Line comments (issue 34) join the person's words, file and line for each.
    const text =
      action === "request-changes"
        ? requestWithComments(body.text, body.comments)
        : typeof body.text === "string"
          ? body.text
          : undefined;
    const run = served.actions.then(() => act(served.opts.cwd, action, id, actor, text));
    served.actions = run.catch(() => undefined);
    return guarded(res, async () => {
      try {
        return await run;
      } finally {
        watcher.poke();
      }
    });
  }
  return sendJson(res, 404, { error: "not found" });
}

/** Typing into a live agent and opening the editor; false when the path is neither. */
async function handsPost(
  served: Served,
  path: string,
  body: Record<string, unknown>,
  res: ServerResponse,
  session: DashboardSession,
  actor: string,
): Promise<boolean> {
  const m = /^\/api\/tasks\/([^/]+)\/(type|open-editor)$/.exec(path);
  if (!m) return false;
  const id = decodeURIComponent(m[1] as string);
  if (m[2] === "open-editor") {
    await guarded(res, () => openInEditor(served.project, served.editor, id));
    return true;
  }
  if (!served.typing) {
    sendJson(res, 403, {
      error: "typing into agents is off for this dashboard (start it with --typing on)",
    });
    return true;
  }
  if (!session.name) {
    sendJson(res, 403, { error: "give this session your name first: what you type is recorded under it" });
    return true;
  }
  await guarded(res, async () => {
    const r = await typeInto(served.project, id, body, actor);
    served.watcher.poke();
    return r;
  });
  return true;
}

function sendHtml(res: ServerResponse, session: DashboardSession): void {
  const nonce = randomBytes(18).toString("base64url");
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": csp(nonce) });
  // The CSRF token and nonce are base64url: nothing in them can leave the attribute.
  res.end(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="ballador-csrf" content="${session.csrf}">
<meta name="ballador-style-nonce" content="${nonce}">
<title>Ballador</title>
<link rel="stylesheet" href="/assets/xterm.css">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body><div id="app"><p class="loading">Loading…</p></div></body>
</html>
`);
}

function openEvents(served: Served, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "text/event-stream", Connection: "keep-alive" });
  res.write(`retry: 1000\nevent: board\ndata: ${JSON.stringify(served.watcher.snapshot())}\n\n`);
  served.streams.add(res);
  req.on("close", () => served.streams.delete(res));
}

/** The request's URL, or null when it is malformed (a bad %-escape anywhere in its path: 400, not 500). */
function parseUrl(raw: string | undefined): URL | null {
  try {
    const url = new URL(raw ?? "/", "http://localhost");
    decodeURIComponent(url.pathname);
    return url;
  } catch {
    return null;
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function guarded(res: ServerResponse, fn: () => unknown): Promise<void> {
  try {
    sendJson(res, 200, await fn());
  } catch (err) {
    if (err instanceof UserError) sendJson(res, 400, { error: err.message, details: err.details });
    else sendJson(res, 500, { error: (err as Error).message });
  }
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      try {
        const v = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as unknown;
        resolve(v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
      } catch {
        resolve({});
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(value));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(text);
}
