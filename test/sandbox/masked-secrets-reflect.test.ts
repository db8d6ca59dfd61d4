import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { Step } from "../helpers/runtime.js";
import {
  agentSteps,
  cleanupSandboxTests,
  expectInNoFile,
  leakPlaces,
  maskedSecretProject,
  sessionLog,
  startHttpsHost,
  uniqueValue,
} from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

interface Seen {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The echo host: each path reflects what it received in another way. */
async function startEchoServer(): Promise<{ port: number; caFile: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const host = await startHttpsHost(async ({ req, path, raw: body }, res) => {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    seen.push({ path, headers, body });
    const auth = headers.authorization ?? "";
    const token = auth.replace(/^Bearer /, "");
    const text = (s: string, extra: Record<string, string> = {}) => {
      res.writeHead(200, { "content-type": "text/plain", ...extra });
      res.end(s);
    };
    if (path === "/echo-headers") return text(JSON.stringify(headers));
    if (path === "/echo-body") return text(`you sent: ${body}\n`);
    if (path === "/header-echo")
      return text("see the headers\n", {
        "x-echo-authorization": auth,
        "www-authenticate": `Bearer error="invalid_token", token="${token}"`,
        "set-cookie": `session=${token}; Path=/; Secure`,
      });
    if (path === "/stream") {
      // Chunked, the value cut at odd places, each piece flushed on its own.
      res.writeHead(200, { "content-type": "text/event-stream" });
      const pieces = [
        `data: ${auth.slice(0, 9)}`,
        auth.slice(9, 13),
        auth.slice(13, 22),
        `${auth.slice(22)}\n\n`,
      ];
      for (const piece of pieces) {
        res.write(piece);
        await sleep(60);
      }
      const b64 = Buffer.from(`user:${token}`).toString("base64");
      res.write(`data: ${b64.slice(0, 11)}`);
      await sleep(60);
      res.end(`${b64.slice(11)}\n\n`);
      return;
    }
    if (path === "/base64") {
      const json = JSON.stringify({
        basic: Buffer.from(`user:${token}`).toString("base64"),
        url: Buffer.from(`x${token}yz`).toString("base64url"),
        raw: Buffer.from(`ab${token}`).toString("base64"),
        escaped: encodeURIComponent(auth),
      });
      return text(json);
    }
    if (path === "/gzip") {
      res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
      return res.end(gzipSync(`compressed ${auth}\n`));
    }
    if (path === "/br") {
      res.writeHead(200, { "content-type": "text/plain", "content-encoding": "br" });
      return res.end(brotliCompressSync(`compressed ${auth}\n`));
    }
    if (path === "/unknown-encoding") {
      res.writeHead(200, { "content-type": "text/plain", "content-encoding": "x-mystery" });
      return res.end(`mystery ${auth}\n`);
    }
    text("ok\n");
  });
  return { port: host.port, caFile: host.caFile, seen };
}

/** Pieces of the value's base64 and base64url at each alignment (well inside, so any text holding the encoded value holds one). */
function encodedNeedles(value: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    for (const enc of ["base64", "base64url"] as const) {
      const e = Buffer.from(`${"x".repeat(k)}${value}`).toString(enc);
      out.push(e.slice(4, -4));
    }
  }
  return [value, encodeURIComponent(value), ...out];
}

describe("sandbox: masked secrets are not reflected back", () => {
  it("a secret host echoing the value in headers, bodies, cookies, chunks, base64 and gzip hands the agent stand-ins only", async () => {
    const real = uniqueValue("tok-");
    const realBody = uniqueValue("bodytok-");
    const echo = await startEchoServer();
    const p = await maskedSecretProject({
      // Default placement: the Authorization header only.
      API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] },
      // Its own header, and request bodies too.
      BODY_TOKEN: { env: "BODY_TOKEN", hosts: ["127.0.0.1"], header: "x-api-key", in_body: true },
    });
    const host = `https://127.0.0.1:${echo.port}`;
    const curl = (name: string, path: string, extra = "") =>
      `curl -sS --fail --max-time 20 -H "Authorization: Bearer $API_TOKEN" ${extra} -D got/${name}.headers -o got/${name}.body '${host}${path}'`;
    const steps: Step[] = [
      { run: "mkdir -p got" },
      // A custom header and Authorization, echoed in the body.
      { run: curl("custom", "/echo-headers", '-H "X-Custom: $API_TOKEN" -H "X-Api-Key: $BODY_TOKEN"') },
      // --data echoed: a secret without in_body is not put into a body; one with it is.
      { run: curl("data", "/echo-body", '--data "token=$API_TOKEN"') },
      { run: curl("data-in-body", "/echo-body", '--data "token=$BODY_TOKEN"') },
      // Authorization echoed in response headers and as a cookie (kept in a cookie jar).
      { run: curl("headers", "/header-echo", "-c got/cookies.txt") },
      // Streamed, the value split across chunks; base64 of it split too.
      { run: curl("stream", "/stream", "-N") },
      { run: curl("base64", "/base64") },
      // Compressed bodies: decoded (and scrubbed) by the proxy.
      { run: curl("gzip", "/gzip", "--compressed") },
      { run: curl("br", "/br", "--compressed") },
      // An encoding the proxy cannot read, from the secret's host: refused.
      {
        run: `test "$(curl -sS --max-time 20 -o got/mystery.body -w '%{http_code}' -H "Authorization: Bearer $API_TOKEN" '${host}/unknown-encoding')" = 502`,
      },
      // Everything it got: on its terminal (the session log), in HOME and in a commit.
      { run: 'cat got/* && cp -r got "$HOME/got" && env > got/env.txt' },
      // The scrubbed answers hold the stand-ins where the values were.
      {
        run: 'grep -q "Bearer $API_TOKEN" got/custom.body && grep -qi "x-echo-authorization: Bearer $API_TOKEN" got/headers.headers',
      },
      {
        run: 'grep -q "session.*$API_TOKEN" got/cookies.txt && grep -q "compressed Bearer $API_TOKEN" got/gzip.body got/br.body',
      },
      {
        run: 'grep -q "data: Bearer $API_TOKEN" got/stream.body && grep -q "you sent: token=$BODY_TOKEN" got/data-in-body.body',
      },
      { commit: "what the echo host sent back" },
      { done: "tried" },
    ];
    await p.part("reflect", { steps });
    await p.ok(["queue"]);
    const launched = await p.run(["launch"], {
      env: { API_TOKEN: real, BODY_TOKEN: realBody, NODE_EXTRA_CA_CERTS: echo.caFile },
    });
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    const t = await p.waitState("reflect", ["review", "failed"], 120_000);
    // The host really got (and so reflected) the real values, where their config puts them.
    const at = (path: string) => echo.seen.filter((s) => s.path === path);
    const custom = at("/echo-headers")[0];
    expect(custom?.headers.authorization).toBe(`Bearer ${real}`);
    expect(custom?.headers["x-api-key"]).toBe(realBody);
    expect(custom?.headers["x-custom"]).toMatch(/^fake_value_/);
    const bodies = at("/echo-body").map((s) => s.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toMatch(/^token=fake_value_/);
    expect(bodies[1]).toBe(`token=${realBody}`);
    for (const path of ["/header-echo", "/stream", "/base64", "/gzip", "/br", "/unknown-encoding"]) {
      expect(at(path)[0]?.headers.authorization, path).toBe(`Bearer ${real}`);
    }

    // Nothing the agent wrote holds a real value in any encoding: files, HOME, logs, commits.
    const log = await p.git(["log", "-p", "--all"]);
    for (const needle of [...encodedNeedles(real), ...encodedNeedles(realBody)]) {
      await expectInNoFile(needle, leakPlaces(p));
      expect(log, needle).not.toContain(needle);
    }
    // Checked after the search: a run that stopped half-way has still written what it got.
    const transcript = await agentSteps(p, "reflect").catch(() => []);
    const failed = transcript.filter((s) => !s.ok);
    expect(
      t.state,
      `${t.reason}\n${JSON.stringify(failed, null, 1)}\n${await sessionLog(p, "reflect")}`,
    ).toBe("review");

    expect(log).toContain("fake_value_");
  }, 180_000);
});
