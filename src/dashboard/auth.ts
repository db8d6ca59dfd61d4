/**
 * Who may use a dashboard (issue 29): the login token (or a one-time code from `--open`) is
 * traded for a session whose state lives in the task store, so `ballador dashboard sessions`
 * can list, revoke and rotate while the server runs. Open event streams are re-checked every
 * second: a revoked, expired or rotated-out browser gets a `logout` event and the stream ends.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createSession,
  type DashboardSession,
  liveSessionKeys,
  registerDashboard,
  type SessionPolicy,
  sessionOf,
  tokenMatches,
  unregisterDashboard,
} from "../observe/index.js";
import type { Project } from "../project/index.js";

/** How long the code in the URL `--open` hands to the browser stays good (it is good once). */
export const CODE_TTL_MS = 60_000;

export class SessionGate {
  private id = "";
  private cookieName = "ballador_dashboard";
  private codes = new Map<string, number>();
  private streams = new Map<ServerResponse, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly project: Project,
    readonly policy: SessionPolicy,
  ) {}

  /** Registers the listening dashboard; returns its first login token. */
  start(origin: string, port: number, token?: string): string {
    // Cookies ignore ports: name the cookie after this one, so two dashboards do not clash.
    this.cookieName = `ballador_dashboard_${port}`;
    const r = registerDashboard(this.project, { origin, idleMs: this.policy.idleMs, token });
    this.id = r.id;
    this.timer = setInterval(() => this.checkStreams(), 1000);
    this.timer.unref();
    return r.token;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.id) unregisterDashboard(this.project, this.id);
  }

  /** A one-time code for `--open`: the argv that carries it holds nothing usable once it is used. */
  mintCode(): string {
    const code = randomBytes(24).toString("base64url");
    this.codes.set(code, Date.now() + CODE_TTL_MS);
    return code;
  }

  private takeCode(given: string): boolean {
    for (const [code, until] of this.codes) {
      if (until < Date.now()) this.codes.delete(code);
      else if (same(code, given)) {
        this.codes.delete(code);
        return true;
      }
    }
    return false;
  }

  /**
   * The printed URL (`?token=`) or `--open`'s (`?code=`): trade it for a session cookie, then
   * drop it from the address bar. Returns false when the request carries neither.
   */
  login(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const token = url.searchParams.get("token");
    const code = url.searchParams.get("code");
    if (req.method !== "GET" || url.pathname !== "/" || (token === null && code === null)) return false;
    const ok =
      this.id !== "" &&
      (token !== null ? tokenMatches(this.project, this.id, token) : this.takeCode(code as string));
    if (!ok) {
      res.writeHead(403, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(
        token !== null
          ? "Forbidden: wrong token (or it was rotated). Open the URL ballador printed.\n"
          : "Forbidden: this code was used already or is too old. Open the URL ballador printed.\n",
      );
      return true;
    }
    const remote = req.socket.remoteAddress ?? "unknown";
    const { cookie } = createSession(this.project, this.id, remote, this.policy);
    res.setHeader("Set-Cookie", `${this.cookieName}=${cookie}; HttpOnly; SameSite=Strict; Path=/`);
    res.writeHead(303, { Location: "/" });
    res.end();
    return true;
  }

  session(req: IncomingMessage): DashboardSession | null {
    if (!this.id) return null;
    for (const part of (req.headers.cookie ?? "").split(";")) {
      const [k, v] = part.trim().split("=");
      if (k === this.cookieName && v) return sessionOf(this.project, this.id, v, this.policy);
    }
    return null;
  }

  /** An event stream of this session: ended when the session ends. */
  watch(req: IncomingMessage, res: ServerResponse, session: DashboardSession): void {
    this.streams.set(res, session.key);
    req.on("close", () => this.streams.delete(res));
    res.on("close", () => this.streams.delete(res));
  }

  private checkStreams(): void {
    if (this.streams.size === 0) return;
    const live = liveSessionKeys(this.project, this.id, this.policy);
    for (const [res, key] of this.streams) {
      if (live.has(key)) continue;
      this.streams.delete(res);
      res.end("event: logout\ndata: {}\n\n");
      // EventSource reconnects after an ended stream; its next request gets the 403.
      setTimeout(() => res.socket?.destroy(), 100).unref();
    }
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
