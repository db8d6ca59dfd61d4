/**
 * The proxy hooks the bundle wires into the sandbox runtime (src/adapters/sandbox/proxy-hooks.ts),
 * between real HTTP servers on loopback: an upstream that answers with the real value, and a
 * forwarding server that calls respond() as the rewritten runtime does. Plus the fail-closed
 * refusal when the runtime in the process is not the rewritten one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http, { type OutgoingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { RunSandbox } from "../../src/adapters/sandbox/index.js";
import {
  bodySubstitutions,
  injectHeaders,
  respond,
  runtimePatched,
  setPlacements,
} from "../../src/adapters/sandbox/proxy-hooks.js";
import { startMaskedSandbox } from "./bare-sandbox.js";

const REAL = "real-token-0123456789abcdef";
const STAND_IN = "fake_value_00000000-1111-2222-3333-444444444444";
const servers: http.Server[] = [];

afterEach(async () => {
  setPlacements([]);
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

/** Upstream answers by path; the front forwards each request and answers through respond(). */
async function chain(
  answer: (path: string, res: http.ServerResponse) => void,
  host = "api.example.com",
): Promise<number> {
  const up = await listen((req, res) => answer(req.url ?? "/", res));
  return listen((req, res) => {
    http.get({ host: "127.0.0.1", port: up, path: req.url, method: req.method }, (upRes) => {
      const headers: OutgoingHttpHeaders = { ...upRes.headers };
      delete headers["transfer-encoding"];
      delete headers.connection;
      respond(upRes, res, headers, host, req.method);
    });
  });
}

async function get(port: number, path: string, method = "GET") {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      http
        .request({ host: "127.0.0.1", port, path, method }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
            }),
          );
        })
        .on("error", reject)
        .end();
    },
  );
}

const placement = {
  standIn: STAND_IN,
  real: REAL,
  hosts: ["api.example.com"],
  header: "authorization",
  inBody: false,
};

describe("proxy hooks: placement and response scrubbing", () => {
  it("puts the real value only into the secret's header, and into bodies only with in_body", () => {
    setPlacements([placement, { ...placement, standIn: `${STAND_IN}x`, header: "x-api-key", inBody: true }]);
    const headers: OutgoingHttpHeaders = {
      authorization: `Bearer ${STAND_IN}`,
      "x-custom": STAND_IN,
      cookie: `t=${STAND_IN}`,
      "x-api-key": `${STAND_IN}x`,
      "accept-encoding": "gzip, deflate, br, zstd",
    };
    injectHeaders(headers, "api.example.com");
    expect(headers).toEqual({
      authorization: `Bearer ${REAL}`,
      "x-custom": STAND_IN,
      cookie: `t=${STAND_IN}`,
      "x-api-key": REAL,
      "accept-encoding": "gzip, deflate, br",
    });
    // Another host: nothing.
    const other: OutgoingHttpHeaders = { authorization: `Bearer ${STAND_IN}` };
    injectHeaders(other, "elsewhere.example.com");
    expect(other.authorization).toBe(`Bearer ${STAND_IN}`);
    expect(bodySubstitutions("api.example.com").map((p) => p.realValue.toString())).toEqual([REAL]);
    expect(bodySubstitutions("elsewhere.example.com")).toEqual([]);
  });

  it("scrubs response headers and bodies, decoding gzip, deflate and br, and drops a Content-Length that no longer holds", async () => {
    setPlacements([placement]);
    const body = `token=${REAL}; b64=${Buffer.from(`u:${REAL}`).toString("base64")}\n`;
    const port = await chain((path, res) => {
      const enc = path.slice(1);
      const data =
        enc === "gzip"
          ? gzipSync(body)
          : enc === "deflate"
            ? deflateSync(body)
            : enc === "br"
              ? brotliCompressSync(body)
              : Buffer.from(body);
      res.writeHead(200, {
        "content-length": data.length,
        "x-echo": `Bearer ${REAL}`,
        "set-cookie": [`a=${REAL}`, "b=1"],
        ...(enc !== "plain" ? { "content-encoding": enc } : {}),
      });
      res.end(data);
    });
    for (const enc of ["plain", "gzip", "deflate", "br"]) {
      const r = await get(port, `/${enc}`);
      expect(r.status, enc).toBe(200);
      expect(r.body, enc).toContain(`token=${STAND_IN};`);
      expect(r.body + JSON.stringify(r.headers), enc).not.toContain(REAL);
      expect(r.body, enc).not.toContain(Buffer.from(`u:${REAL}`).toString("base64").slice(4, -4));
      expect(r.headers["x-echo"]).toBe(`Bearer ${STAND_IN}`);
      expect(r.headers["set-cookie"]).toEqual([`a=${STAND_IN}`, "b=1"]);
      expect(r.headers["content-encoding"]).toBeUndefined();
      expect(r.headers["content-length"]).toBeUndefined();
    }
  });

  it("refuses a body in an encoding it cannot read from a secret's host, passes it from another", async () => {
    setPlacements([placement]);
    const answer = (_path: string, res: http.ServerResponse) => {
      res.writeHead(200, { "content-encoding": "zstd" });
      res.end(`opaque ${REAL}`);
    };
    const refused = await get(await chain(answer), "/x");
    expect(refused.status).toBe(502);
    expect(refused.body).toContain('encoded as "zstd"');
    expect(refused.body).not.toContain(REAL);
    const passed = await get(await chain(answer, "other.example.com"), "/x");
    expect(passed.status).toBe(200);
    expect(passed.headers["content-encoding"]).toBe("zstd");
  });

  it("passes responses untouched while no secret is masked", async () => {
    const port = await chain((_p, res) => {
      res.writeHead(200, { "content-length": REAL.length, "content-encoding": "gzip" });
      res.end(REAL);
    });
    const r = await get(port, "/");
    expect(r.body).toBe(REAL);
    expect(r.headers["content-length"]).toBe(String(REAL.length));
  });

  it("a process whose runtime is not the bundle's rewritten one refuses masked secrets, naming the fix", async () => {
    // This test runs the sources: the runtime comes from node_modules as published.
    expect(runtimePatched()).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "ballador-hooks-"));
    try {
      await expect(startMaskedSandbox(dir)).rejects.toThrow(
        /masked secrets need Ballador's bundled build.*npm run build/,
      );
    } finally {
      await RunSandbox.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
