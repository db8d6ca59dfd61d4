/**
 * Masked secrets' price (issue 17): HTTPS from the sandbox through the proxy as an opaque tunnel
 * (no masked secret) versus terminated by the proxy with the run's CA, a masked secret's
 * stand-in replaced in every request's header. A loopback HTTPS server with its own CA runs in
 * its own process; the measurement runs in a child (bench/masked-child.js) started with
 * NODE_EXTRA_CA_CERTS naming that CA, as a run's supervisor is, bundled with the sandbox runtime
 * as dist/bundle is (only that runtime scrubs responses). Also, in this process: the response
 * scrubber (src/core/scrub.ts) per MiB beside a plain copy of the same chunks (issue 29).
 */
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR, DIST, figure, ROOT, stats, tempDir } from "../lib.js";

const BIG_MIB = 64;

async function startServer(dir) {
  const code = `
    const https = require("node:https");
    const fs = require("node:fs");
    const big = Buffer.alloc(${BIG_MIB} * 1024 * 1024, 120);
    const server = https.createServer({ key: fs.readFileSync(${JSON.stringify(join(dir, "srv.key"))}), cert: fs.readFileSync(${JSON.stringify(join(dir, "srv.crt"))}) }, (req, res) => {
      if (req.url === "/big") {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": big.length });
        res.end(big);
      } else {
        res.writeHead(200, { "content-type": "text/plain", "content-length": 3, connection: "close" });
        res.end("ok\\n");
      }
    });
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));
    process.stdin.on("end", () => process.exit(0)).resume();
  `;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolvePromise, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolvePromise(Number.parseInt(out, 10));
    });
    child.on("exit", (c) => reject(new Error(`server exited ${c}`)));
  });
  return { port, stop: () => child.kill("SIGTERM") };
}

function certificates(dir) {
  const ssl = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=bench CA",
  );
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  execFileSync("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"], { cwd: dir });
  ssl(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.crt",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  return join(dir, "ca.crt");
}

/** The child, bundled beside dist/bundle (whose vendor folder the runtime finds there). */
async function bundleChild() {
  const { bundleWithRuntime } = await import(
    pathToFileURL(join(ROOT, "scripts", "sandbox-runtime-plugin.mjs")).href
  );
  return bundleWithRuntime(
    ROOT,
    join(BENCH_DIR, "masked-child.js"),
    join(DIST, "bundle", "bench-masked-child.js"),
  );
}

const SCRUB_MIB = 64;
const CHUNK = 64 * 1024;

/**
 * Response scrubbing per MiB: the same 64 MiB (text-like: base64 of random bytes, so the
 * patterns' first bytes occur everywhere) in 64 KiB chunks, copied, and scrubbed for one and for
 * four masked secrets (each ~20 patterns: plain, URL, JSON, base64 cores). Alternating rounds.
 */
async function scrubFigures() {
  const { StreamScrubber, scrubPatterns } = await import(pathToFileURL(join(DIST, "core", "scrub.js")).href);
  const { randomBytes } = await import("node:crypto");
  const data = Buffer.from(randomBytes((SCRUB_MIB * 1024 * 1024 * 3) / 4).toString("base64"));
  const chunks = [];
  for (let i = 0; i < data.length; i += CHUNK) chunks.push(data.subarray(i, i + CHUNK));
  const secret = (i) => ({
    real: `sk-live-${randomBytes(24).toString("base64url")}/${i}+x`,
    standIn: `fake_value_${randomBytes(16).toString("hex")}`,
  });
  const one = scrubPatterns([secret(0)]);
  const four = scrubPatterns([0, 1, 2, 3].map(secret));
  const ways = {
    copy: () => {
      for (const c of chunks) Buffer.from(c);
    },
    one: () => {
      const s = new StreamScrubber(one);
      for (const c of chunks) s.push(c);
      s.end();
    },
    four: () => {
      const s = new StreamScrubber(four);
      for (const c of chunks) s.push(c);
      s.end();
    },
  };
  const times = { copy: [], one: [], four: [] };
  for (let round = 0; round < 5; round++) {
    for (const [name, fn] of Object.entries(ways)) {
      const t = process.hrtime.bigint();
      fn();
      times[name].push(Number(process.hrtime.bigint() - t) / 1e6 / SCRUB_MIB);
    }
  }
  const c = stats(times.copy);
  const perMiB = (st) => `${(1000 / st.median).toFixed(0)} MiB/s`;
  const vs = (st) => `${perMiB(st)}; +${(st.median - c.median).toFixed(2)} ms per MiB over the copy`;
  return [
    figure("masked-secrets", `response body, plain copy, per MiB (${SCRUB_MIB} MiB in 64 KiB chunks)`, c, {
      note: perMiB(c),
    }),
    figure(
      "masked-secrets",
      `response body scrubbed, 1 masked secret (${one.length} patterns), per MiB`,
      stats(times.one),
      {
        note: vs(stats(times.one)),
      },
    ),
    figure(
      "masked-secrets",
      `response body scrubbed, 4 masked secrets (${four.length} patterns), per MiB`,
      stats(times.four),
      {
        note: vs(stats(times.four)),
      },
    ),
  ];
}

const mibps = (bps) => `${(bps / 1024 / 1024).toFixed(0)} MiB/s`;

export const section = {
  name: "masked-secrets",
  order: 85,
  description:
    "HTTPS through the proxy: opaque tunnel vs TLS terminated with the run's CA, a masked secret substituted and the response scrubbed (latency per request, 64 MiB throughput); the scrubber per MiB beside a plain copy",
  async run(ctx) {
    const scrub = await scrubFigures();
    const childFile = await bundleChild();
    const base = tempDir("ballador-bench-masked-");
    const caFile = certificates(base);
    const server = await startServer(base);
    let result;
    try {
      const child = spawn(process.execPath, [childFile, join(base, "w"), String(server.port), caFile], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d) => {
        out += d;
      });
      const code = await new Promise((r) => child.on("close", r));
      if (code !== 0) throw new Error(`bench/masked-child.js exited ${code}`);
      result = JSON.parse(out.trim().split("\n").pop());
    } finally {
      server.stop();
    }
    const lt = stats(result.tunnel.latency);
    const lm = stats(result.terminated.latency);
    const dt = stats(result.tunnel.downloads.map((d) => d.ms));
    const dm = stats(result.terminated.downloads.map((d) => d.ms));
    const speed = (list) => stats(list.map((d) => d.bps)).median;
    const figures = [
      figure("masked-secrets", "HTTPS request from the sandbox, proxy as a tunnel", lt, {
        note: "new connection each; curl verifies the server itself",
      }),
      ...scrub,
      figure(
        "masked-secrets",
        "HTTPS request, TLS terminated by the proxy, masked secret substituted, response scrubbed",
        lm,
        {
          note: `${lm.median >= lt.median ? "+" : ""}${(lm.median - lt.median).toFixed(2)} ms per request vs the tunnel`,
        },
      ),
      figure("masked-secrets", `download ${BIG_MIB} MiB over HTTPS, tunnel`, dt, {
        note: mibps(speed(result.tunnel.downloads)),
      }),
      figure("masked-secrets", `download ${BIG_MIB} MiB over HTTPS, terminated and scrubbed`, dm, {
        note: `${mibps(speed(result.terminated.downloads))}, ${(dm.median / dt.median).toFixed(1)}x the tunnel's time`,
      }),
    ];
    for (const f of figures)
      ctx.log(`${f.name}: median ${f.median.toFixed(1)} ms${f.note ? ` (${f.note})` : ""}`);
    return figures;
  },
};
