/**
 * The sandbox's price (issue 5): start-up overhead per run and the proxy's cost on the
 * network, each against no sandbox.
 *
 * Uses Ballador's own adapter (dist/adapters/sandbox): buildPolicy for a real git worktree,
 * RunSandbox.start (the runtime's manager and its HTTP/SOCKS proxy, in this process, as in a
 * run's supervisor), wrapArgv/wrapShell, then an asynchronous spawn (a synchronous one would
 * block the proxy living in this process's event loop).
 *
 * Network: an HTTP server on 127.0.0.1 in a child process; curl straight to it versus curl
 * inside the sandbox through the proxy (127.0.0.1 allowlisted; wrapShell clears loopback from
 * NO_PROXY, otherwise curl would look for the server on the sandbox's own loopback).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DIST, figure, msSince, ROOT, run, stats, tempDir } from "../lib.js";

const BIG_MIB = 64;
const SMALL_REQUESTS = 50;

/** Spawns asynchronously and resolves with exit code, output and wall time. */
function spawnAsync(file, args, { cwd, env } = {}) {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { cwd, env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr, ms: msSince(start) }));
  });
}

const ok = (r, what) => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code ?? r.signal}: ${r.stderr.slice(0, 2000)}`);
  return r;
};

/** A loopback HTTP server in its own process: /small (3 bytes) and /big (BIG_MIB MiB). */
async function startServer() {
  const code = `
    const http = require("node:http");
    const big = Buffer.alloc(${BIG_MIB} * 1024 * 1024, 120);
    const server = http.createServer((req, res) => {
      if (req.url === "/big") {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": big.length });
        res.end(big);
      } else {
        // A new connection per small request, direct or through the proxy alike.
        res.writeHead(200, { "content-type": "text/plain", "content-length": 3, connection: "close" });
        res.end("ok\\n");
      }
    });
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));
    // Gone with the bench: its stdin closes when the bench process ends, however it ends.
    process.stdin.on("end", () => process.exit(0)).resume();
  `;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolvePromise, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolvePromise(Number.parseInt(out, 10));
    });
    child.on("error", reject);
    child.on("exit", (c) => reject(new Error(`test server exited ${c}`)));
  });
  return { port, stop: () => child.kill("SIGTERM") };
}

/** curl arguments: one process making `count` requests to `url`, printing each request's total time. */
const curlMany = (url, count) => [
  "-s",
  "-w",
  "%{time_total} %{http_code}\\n",
  ...Array.from({ length: count }, () => ["-o", "/dev/null", url]).flat(),
];

/** Per-request times (ms) from curl's -w output; every request must have been a 200. */
function perRequest(stdout, count, what) {
  const lines = stdout.trim().split("\n").filter(Boolean);
  if (lines.length !== count || lines.some((l) => !l.endsWith(" 200"))) {
    throw new Error(`${what}: expected ${count} answers 200, got:\n${stdout.slice(0, 1000)}`);
  }
  return lines.map((l) => Number.parseFloat(l) * 1000);
}

/** One BIG_MIB download: curl's own total time (ms) and speed (bytes/s). */
function download(stdout, what) {
  const [total, speed, size, codeStr] = stdout.trim().split(" ");
  if (codeStr !== "200" || Number(size) !== BIG_MIB * 1024 * 1024) {
    throw new Error(`${what}: bad download: ${stdout.slice(0, 500)}`);
  }
  return { ms: Number.parseFloat(total) * 1000, bps: Number.parseFloat(speed) };
}

const mibps = (bps) => `${(bps / 1024 / 1024).toFixed(0)} MiB/s`;

export const section = {
  name: "sandbox",
  order: 80,
  description:
    "sandbox start-up per run (wrapped `true` vs plain spawn), proxy latency and throughput on a loopback download vs direct",
  async run(ctx) {
    const N = 20;
    const { buildPolicy, RunSandbox } = await import(
      pathToFileURL(join(DIST, "adapters", "sandbox", "index.js")).href
    );

    // A run's paths, as launch lays them out: a real worktree of a real repository.
    const base = tempDir("ballador-bench-sandbox-");
    const repo = join(base, "repo");
    const worktreeRoot = join(base, "repo.ballador");
    const worktree = join(worktreeRoot, "bench-task");
    const stateDir = join(repo, ".ballador", "state");
    const runDir = join(stateDir, "runs", "bench-task-a1");
    const home = join(runDir, "home");
    const tmp = join(runDir, "tmp");
    const gitEnv = {
      ...process.env,
      GIT_AUTHOR_NAME: "bench",
      GIT_AUTHOR_EMAIL: "bench@example.invalid",
      GIT_COMMITTER_NAME: "bench",
      GIT_COMMITTER_EMAIL: "bench@example.invalid",
      GIT_CONFIG_NOSYSTEM: "1",
    };
    mkdirSync(repo, { recursive: true });
    run("git", ["init", "-q", "-b", "main"], { cwd: repo, env: gitEnv });
    run("git", ["commit", "-q", "--allow-empty", "-m", "init"], { cwd: repo, env: gitEnv });
    mkdirSync(worktreeRoot, { recursive: true });
    run("git", ["worktree", "add", "-q", "-b", "ballador/bench-task", worktree, "main"], {
      cwd: repo,
      env: gitEnv,
    });
    for (const d of [
      home,
      tmp,
      join(runDir, "inbox"),
      join(runDir, "objects"),
      join(runDir, "refs"),
      join(runDir, "reflogs"),
      join(stateDir, "bin"),
      join(repo, ".git", "logs", "refs", "heads", "ballador"),
    ])
      mkdirSync(d, { recursive: true });
    const policy = buildPolicy({
      kind: "agent",
      worktree,
      runDir,
      stateDir,
      shimDir: join(stateDir, "bin"),
      worktreeRoot,
      gitCommonDir: join(repo, ".git"),
      gitWorktreeDir: join(repo, ".git", "worktrees", "bench-task"),
      branch: "ballador/bench-task",
      allowHosts: ["127.0.0.1"],
      allowWrite: [],
      denyRead: [],
    });

    const runtimeVersion = JSON.parse(
      readFileSync(join(ROOT, "node_modules", "@anthropic-ai", "sandbox-runtime", "package.json"), "utf8"),
    ).version;
    const out = [];
    const server = await startServer();
    const savedCwd = process.cwd();
    const savedTmp = process.env.CLAUDE_TMPDIR;
    try {
      // ---- start-up ----------------------------------------------------------------------
      // What a fresh supervisor pays once: loading the runtime.
      const importCost = [];
      const floorRuns = [];
      const runtimeUrl = pathToFileURL(
        join(ROOT, "node_modules", "@anthropic-ai", "sandbox-runtime", "dist", "index.js"),
      );
      const importArgs = ["--input-type=module", "-e", `await import(${JSON.stringify(runtimeUrl.href)})`];
      run(process.execPath, importArgs, { cwd: ROOT });
      for (let i = 0; i < 5; i++) {
        floorRuns.push(run(process.execPath, ["-e", "0"]).ms);
        importCost.push(run(process.execPath, importArgs, { cwd: ROOT }).ms);
      }
      const floorMed = stats(floorRuns).median;
      const imp = stats(importCost.map((ms) => ms - floorMed));

      // Starting the manager and its proxy (once per supervisor process), then stopping it.
      const starts = [];
      for (let i = 0; i < 6; i++) {
        const t = process.hrtime.bigint();
        await RunSandbox.start(policy, { runDir, tmp });
        if (i > 0) starts.push(msSince(t)); // the first also imports the runtime
        await RunSandbox.stopAll();
      }
      const sandbox = await RunSandbox.start(policy, { runDir, tmp });

      // Plain spawn versus wrap + spawn of `true`, interleaved so noise hits both alike.
      const plain = [];
      const wrapped = [];
      const wrapOnly = [];
      for (let i = -2; i < N; i++) {
        const p = ok(await spawnAsync("true", [], { cwd: worktree }), "true");
        const t = process.hrtime.bigint();
        const w = await sandbox.wrapArgv(["true"], worktree);
        const wrapMs = msSince(t);
        const r = ok(await spawnAsync(w.file, w.args, { cwd: worktree }), "sandboxed true");
        if (i < 0) continue; // warm-up
        plain.push(p.ms);
        wrapOnly.push(wrapMs);
        wrapped.push(wrapMs + r.ms);
      }
      const pl = stats(plain);
      const wr = stats(wrapped);
      out.push(
        figure("sandbox", "spawn `true`, no sandbox", pl),
        figure("sandbox", "wrapArgv + spawn `true` in the sandbox", wr, {
          note: `+${(wr.median - pl.median).toFixed(1)} ms per command over no sandbox`,
        }),
        figure("sandbox", "  of which wrapArgv (runtime builds the bwrap command)", stats(wrapOnly), {
          note: `runtime ${runtimeVersion}: each wrap runs rg --files --max-depth 3 over the cwd and which /bin/sh`,
        }),
        figure("sandbox", "RunSandbox.start: manager + proxy, once per run's supervisor", stats(starts), {
          note: `runtime ${runtimeVersion}: starts 2 socat bridges, then polls for their sockets with setTimeout(i * 100 ms)`,
        }),
        figure("sandbox", "import @anthropic-ai/sandbox-runtime in a fresh node, over node -e 0", imp),
      );

      // ---- host-side care around each sandboxed step (refs copy, objects, own ref) ---------
      const { beforeSandboxedStep, afterSandboxedStep } = await import(
        pathToFileURL(join(DIST, "run", "run-steps.js")).href
      );
      const steps = [];
      for (let i = -2; i < N; i++) {
        const t = process.hrtime.bigint();
        const copy = await beforeSandboxedStep(repo, runDir, "ballador/bench-task");
        await afterSandboxedStep(repo, runDir, copy, "bench-task-a1");
        if (i >= 0) steps.push(msSince(t));
      }
      out.push(
        figure(
          "sandbox",
          "host care per sandboxed step: ref copy before, objects + own ref after",
          stats(steps),
          {
            note: "prepareRefCopy (for-each-ref, write the copy) + adoptObjects (walk, none new) + syncOwnRef (read back, no move)",
          },
        ),
      );

      // ---- network -----------------------------------------------------------------------
      const small = `http://127.0.0.1:${server.port}/small`;
      const bigUrl = `http://127.0.0.1:${server.port}/big`;
      const direct = async (args) => ok(await spawnAsync("curl", ["--noproxy", "*", ...args]), "curl");
      const inside = async (args) => {
        const w = await sandbox.wrapShell(["curl", ...args].map(shq).join(" "), worktree);
        return ok(await spawnAsync(w.file, w.args, { cwd: worktree }), "curl in the sandbox");
      };

      // Latency: one curl making SMALL_REQUESTS requests, a new connection each; per request.
      await direct(curlMany(small, 3));
      await inside(curlMany(small, 3));
      const latDirect = perRequest(
        (await direct(curlMany(small, SMALL_REQUESTS))).stdout,
        SMALL_REQUESTS,
        "direct",
      );
      const latProxy = perRequest(
        (await inside(curlMany(small, SMALL_REQUESTS))).stdout,
        SMALL_REQUESTS,
        "proxied",
      );
      const ld = stats(latDirect);
      const lp = stats(latProxy);
      out.push(
        figure("sandbox", "loopback HTTP request, direct (curl time_total)", ld, {
          note: `${SMALL_REQUESTS} requests, new connection each`,
        }),
        figure("sandbox", "loopback HTTP request, from the sandbox through the proxy", lp, {
          note: `+${(lp.median - ld.median).toFixed(2)} ms per request`,
        }),
      );

      // Throughput: BIG_MIB MiB, five downloads each way, interleaved.
      const dlArgs = [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{time_total} %{speed_download} %{size_download} %{http_code}",
        bigUrl,
      ];
      const dlDirect = [];
      const dlProxy = [];
      await direct(dlArgs);
      await inside(dlArgs);
      for (let i = 0; i < 5; i++) {
        dlDirect.push(download((await direct(dlArgs)).stdout, "direct"));
        dlProxy.push(download((await inside(dlArgs)).stdout, "proxied"));
      }
      const dd = stats(dlDirect.map((d) => d.ms));
      const dp = stats(dlProxy.map((d) => d.ms));
      const speed = (list) => stats(list.map((d) => d.bps)).median;
      out.push(
        figure("sandbox", `download ${BIG_MIB} MiB from 127.0.0.1, direct`, dd, {
          note: mibps(speed(dlDirect)),
        }),
        figure("sandbox", `download ${BIG_MIB} MiB from 127.0.0.1, through the proxy`, dp, {
          note: `${mibps(speed(dlProxy))}, ${(dp.median / dd.median).toFixed(1)}x the direct time`,
        }),
      );
    } finally {
      server.stop();
      await RunSandbox.stopAll();
      process.chdir(savedCwd);
      if (savedTmp === undefined) delete process.env.CLAUDE_TMPDIR;
      else process.env.CLAUDE_TMPDIR = savedTmp;
    }
    for (const f of out)
      ctx.log(`${f.name}: median ${f.median.toFixed(1)} ms${f.note ? ` (${f.note})` : ""}`);
    return out;
  },
};

/** POSIX single-quoting for the one shell line curl runs in inside the sandbox. */
function shq(s) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
