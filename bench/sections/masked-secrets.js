/**
 * Masked secrets' price (issue 17): HTTPS from the sandbox through the proxy as an opaque tunnel
 * (no masked secret) versus terminated by the proxy with the run's CA, a masked secret's
 * stand-in replaced in every request's header. A loopback HTTPS server with its own CA runs in
 * its own process; the measurement runs in a child (bench/masked-child.js) started with
 * NODE_EXTRA_CA_CERTS naming that CA, as a run's supervisor is.
 */
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { BENCH_DIR, figure, stats, tempDir } from "../lib.js";

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

const mibps = (bps) => `${(bps / 1024 / 1024).toFixed(0)} MiB/s`;

export const section = {
  name: "masked-secrets",
  order: 85,
  description:
    "HTTPS through the proxy: opaque tunnel vs TLS terminated with the run's CA and a masked secret substituted (latency per request, 64 MiB throughput)",
  async run(ctx) {
    const base = tempDir("ballador-bench-masked-");
    const caFile = certificates(base);
    const server = await startServer(base);
    let result;
    try {
      const child = spawn(
        process.execPath,
        [join(BENCH_DIR, "masked-child.js"), join(base, "w"), String(server.port), caFile],
        {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
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
      figure("masked-secrets", "HTTPS request, TLS terminated by the proxy, masked secret substituted", lm, {
        note: `${lm.median >= lt.median ? "+" : ""}${(lm.median - lt.median).toFixed(2)} ms per request vs the tunnel`,
      }),
      figure("masked-secrets", `download ${BIG_MIB} MiB over HTTPS, tunnel`, dt, {
        note: mibps(speed(result.tunnel.downloads)),
      }),
      figure("masked-secrets", `download ${BIG_MIB} MiB over HTTPS, terminated`, dm, {
        note: `${mibps(speed(result.terminated.downloads))}, ${(dm.median / dt.median).toFixed(1)}x the tunnel's time`,
      }),
    ];
    for (const f of figures)
      ctx.log(`${f.name}: median ${f.median.toFixed(1)} ms${f.note ? ` (${f.note})` : ""}`);
    return figures;
  },
};
