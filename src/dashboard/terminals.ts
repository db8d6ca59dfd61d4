import type { IncomingMessage, ServerResponse } from "node:http";
import { terminalFrame } from "../observe/board/index.js";
import type { Project } from "../project/index.js";
import { UserError } from "../project/index.js";

/**
 * Live terminals: one poller per task being watched (not per viewer), sending the screen only
 * when it changed. What it sends is terminal data for the page's emulator, never HTML.
 */
export class TerminalHub {
  private watched = new Map<string, { clients: Set<ServerResponse>; timer: NodeJS.Timeout; last: string }>();

  constructor(private readonly project: Project) {}

  async open(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await terminalFrame(this.project, id);
    } catch (err) {
      if (err instanceof UserError) return sendJson(res, 404, { error: err.message });
      throw err;
    }
    res.writeHead(200, { "Content-Type": "text/event-stream", Connection: "keep-alive" });
    res.write("retry: 2000\n\n");
    let w = this.watched.get(id);
    if (!w) {
      const entry = {
        clients: new Set<ServerResponse>(),
        timer: setInterval(() => this.poll(id), 300),
        last: "",
      };
      entry.timer.unref();
      this.watched.set(id, entry);
      w = entry;
    }
    w.clients.add(res);
    if (w.last) res.write(w.last);
    else void this.poll(id);
    req.on("close", () => {
      const cur = this.watched.get(id);
      if (!cur) return;
      cur.clients.delete(res);
      if (cur.clients.size === 0) {
        clearInterval(cur.timer);
        this.watched.delete(id);
      }
    });
  }

  private polling = new Set<string>();

  private async poll(id: string): Promise<void> {
    if (this.polling.has(id)) return;
    this.polling.add(id);
    try {
      const frame = await terminalFrame(this.project, id).catch((err: Error) => ({
        live: false as const,
        log: `(terminal unavailable: ${err.message})`,
      }));
      const w = this.watched.get(id);
      if (!w) return;
      const text = `event: frame\ndata: ${JSON.stringify(frame)}\n\n`;
      if (text === w.last) return;
      w.last = text;
      for (const c of w.clients) c.write(text);
    } finally {
      this.polling.delete(id);
    }
  }

  closeAll(): void {
    for (const w of this.watched.values()) {
      clearInterval(w.timer);
      for (const c of w.clients) c.end();
    }
    this.watched.clear();
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(value));
}
