/**
 * One runner-serve for all of a launch's runs on this runner (spec 0013, "Speed: one serve per
 * launch"): `launch` at home starts it once per runner (`__runner-serve hub <root>`, its key,
 * token and the number of runs on stdin); each run's relay reaches it over the shared SSH
 * connection through `socat` on a 0700 Unix socket, sends the token and its order, and reads its
 * run's events, exactly as from `__runner-serve run`. One Node start and one load of Ballador here
 * for the launch's runs instead of one per run; each run keeps its own throwaway project, store
 * and supervisor (the supervisors run in tmux, not in this process: a crash here drops the
 * streams, which the relays reattach with `__runner-serve run`, never the runs).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import type { RemoteEvent } from "./protocol.js";
import { runnerRoot } from "./serve-prepare.js";

/** What `launch` sends the hub on its stdin. */
export interface HubPlan {
  key: string;
  token: string;
  runs: number;
}

/** How long the hub waits for its runs' orders before it stops listening (they reattach with `run`). */
const ACCEPT_MS = 60_000;
/** An order's most bytes (as `__runner-serve run`'s stdin). */
const MAX_ORDER = 2 * 1024 * 1024;

/** The hub's socket on the runner: short (a socket path has 107 bytes), named by the launch's key. */
export function hubSocket(root: string, key: string): string {
  return join(runnerRoot(root), "serve", `${key}.sock`);
}

export function parseHubPlan(text: string): HubPlan {
  const v = JSON.parse(text) as Partial<HubPlan>;
  if (
    typeof v.key !== "string" ||
    !/^[0-9a-f]{16}$/.test(v.key) ||
    typeof v.token !== "string" ||
    !/^[0-9a-f]{64}$/.test(v.token) ||
    typeof v.runs !== "number" ||
    !Number.isInteger(v.runs) ||
    v.runs < 1 ||
    v.runs > 1000
  )
    throw new Error("invalid hub plan: key (16 hex), token (64 hex) and runs (1-1000) are needed");
  return { key: v.key, token: v.token, runs: v.runs };
}

function sameToken(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

type Serve = (order: Promise<string>, emit: (e: RemoteEvent) => void, gone: AbortSignal) => Promise<void>;

/**
 * Listens until the plan's runs have all sent their orders (or ACCEPT_MS passed), serves each
 * connection as `__runner-serve run` serves its stdin, and resolves when every stream is done.
 */
export function serveHub(root: string, plan: HubPlan, serve: Serve): Promise<void> {
  const path = hubSocket(root, plan.key);
  mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
  chmodSync(join(path, ".."), 0o700);
  rmSync(path, { force: true });
  let left = plan.runs;
  const streams = new Set<Promise<void>>();
  // A run's place is taken once its token is right: a stranger's connection uses up nothing.
  const take = (): boolean => {
    if (left <= 0) return false;
    left -= 1;
    if (left === 0) stopListening();
    return true;
  };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const s = serveOne(socket, plan.token, take, serve);
    streams.add(s);
    s.finally(() => streams.delete(s));
  });
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const stopListening = () => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    server.close();
    rmSync(path, { force: true });
  };
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    // Only this user: the socket's folder is 0700, and the socket is made 0600 (its bind, which
    // happens within listen(), under this umask): no moment when it is open to others.
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => {
        // Not holding the process open by itself: the server does, while it listens.
        if (!closed) timer = setTimeout(stopListening, ACCEPT_MS).unref();
        sweepDead(join(path, ".."), path);
      });
    } finally {
      process.umask(umask);
    }
    server.on("close", () => {
      void Promise.allSettled([...streams]).then(async () => {
        // Streams accepted just before the close may still be running.
        while (streams.size > 0) await Promise.allSettled([...streams]);
        resolve();
      });
    });
  });
}

/** Sockets of earlier serves that died (kill -9 leaves them): one nobody listens on is removed. */
function sweepDead(dir: string, own: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /^[0-9a-f]{16}\.sock$/.test(n));
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (path === own) continue;
    const probe = connect(path);
    probe.on("connect", () => probe.destroy());
    probe.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") rmSync(path, { force: true });
    });
  }
}

/** One relay's connection: the token line, then its order to the end of its writing; then events. */
async function serveOne(socket: Socket, token: string, take: () => boolean, serve: Serve): Promise<void> {
  socket.on("error", () => undefined);
  const gone = new AbortController();
  socket.on("close", () => gone.abort());
  const write = (e: unknown) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(e)}\n`);
  };
  const order = readAll(socket).then((text) => {
    const nl = text.indexOf("\n");
    if (nl < 0 || !sameToken(text.slice(0, nl), token)) throw new Error("the hub's token does not match");
    if (!take()) throw new Error("the hub has served all of its launch's runs");
    return text.slice(nl + 1);
  });
  try {
    await order;
    await serve(order, write, gone.signal);
  } catch (err) {
    const message = (err as Error).message.split("\n")[0]?.slice(0, 3000) ?? "error";
    write({
      t: "end",
      state: "failed",
      reason: `launch: on the runner: ${message}`,
      outcome: "runner-error",
      commit: null,
    });
  } finally {
    socket.end();
  }
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // A connection that never finishes its order does not hold the hub open for ever.
    const timer = setTimeout(() => {
      reject(new Error("no run order came"));
      socket.destroy();
    }, ACCEPT_MS);
    socket.on("close", () => clearTimeout(timer));
    socket.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_ORDER) {
        reject(new Error(`the run order is larger than ${MAX_ORDER} bytes`));
        socket.destroy();
        return;
      }
      chunks.push(c);
    });
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("close", () => reject(new Error("the relay's connection closed before its order")));
  });
}
