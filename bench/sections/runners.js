/**
 * Runs on a runner (issue 32, spec 0013): launch to the agent's first line, for 4 runs launched
 * at once on a runner over SSH against 4 launched here, in rounds that alternate which goes
 * first. The runner is a host of the runner tests (test/helpers/runner-hosts.ts, compiled here
 * with esbuild): a network namespace with its own sshd and Unix user, the bare remote behind
 * another sshd; it needs root, `ip` and `sshd` (the section is skipped, saying why, without).
 * "The agent's first line" is the moment home's store marks the run's agent started: for a
 * remote run, when the relay applies the runner's `agent` event (runner-serve sends it when the
 * runner's store changes). The floor beside it: one SSH round trip (`ssh r1 true`, a fresh
 * connection, the handshake a launch pays once per runner: its runs share it). Target (issue
 * 32): remote median within 1.5x local + one round trip.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  ballador,
  CLI,
  figure,
  killTmux,
  makeRepo,
  ROOT,
  run,
  runAsync,
  stats,
  trivialScript,
} from "../lib.js";

const SECTION = "runners";
const ROUNDS = 3;
const RUNS = 4;

/** The test helper, bundled beside node_modules so its packages resolve. */
async function loadHostsHelper() {
  const { build } = await import("esbuild");
  const dir = join(ROOT, "node_modules", ".cache", "ballador-bench");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "runner-hosts.mjs");
  await build({
    entryPoints: [join(ROOT, "test", "helpers", "runner-hosts.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: out,
    logLevel: "warning",
  });
  return import(`${pathToFileURL(out).href}?t=${Date.now()}`);
}

function writeConfig(repo, h, remote, socket) {
  writeFileSync(
    join(repo.dir, ".ballador", "config.yaml"),
    [
      "base: main",
      `tmux_socket: ${socket}`,
      "max_parallel: 20",
      "agents:",
      "  default: scripted",
      "  profiles:",
      "    scripted: { preset: scripted }",
      "sandbox:",
      "  mode: bwrap",
      "  allow_hosts: []",
      "runners:",
      `  - { name: r1, ssh: r1, max_sessions: 8, root: ${JSON.stringify(`${h.home}/ballador`)} }`,
      `runners_remote: ${JSON.stringify(remote)}`,
      "",
    ].join("\n"),
  );
}

function writeParts(repo, ids) {
  const dir = join(repo.dir, ".ballador", "parts", "bench");
  mkdirSync(dir, { recursive: true });
  for (const id of ids)
    writeFileSync(join(dir, `${id}.md`), `---\nid: ${id}\ntitle: "Bench ${id}"\n---\n${trivialScript(id)}\n`);
  ballador(repo, ["queue"]);
}

/** Waits (untimed) until `check` of the store is true; the store is read read-only. */
async function until(repo, what, check, ms = 180_000) {
  const Database = createRequire(join(ROOT, "package.json"))("better-sqlite3");
  const deadline = Date.now() + ms;
  for (;;) {
    const db = new Database(join(repo.stateDir, "ballador.db"), { readonly: true, fileMustExist: true });
    try {
      const got = check(db);
      if (got) return got;
    } finally {
      db.close();
    }
    if (Date.now() > deadline)
      throw new Error(`bench runners: ${what} not reached in ${ms / 1000} s (${repo.dir})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Launches `ids` (here, or on r1) and returns each one's ms from the launch's spawn to its agent's start. */
async function launchFour(repo, ids, onRunner) {
  const t0 = Date.now();
  await runAsync(process.execPath, [CLI, "launch", ...ids, ...(onRunner ? ["--on", "r1"] : [])], {
    cwd: repo.dir,
    env: repo.env,
  });
  const marks = await until(repo, `the agents of ${ids.join(", ")}`, (db) => {
    const q = db.prepare(
      "SELECT agent_started_at AS at FROM runs WHERE task_id = ? ORDER BY rowid DESC LIMIT 1",
    );
    const at = ids.map((id) => q.get(id)?.at ?? null);
    return at.every((a) => a !== null) ? at : null;
  });
  // The runs finish before the next round starts (untimed), so rounds do not overlap.
  await until(repo, `the end of ${ids.join(", ")}`, (db) => {
    const q = db.prepare("SELECT state FROM tasks WHERE id = ?");
    return ids.every((id) => ["review", "failed", "merged"].includes(q.get(id)?.state));
  });
  return marks.map((at) => Date.parse(at) - t0);
}

/** One SSH round trip: a fresh connection running `true` there. */
function sshRoundTrips(hosts, n) {
  const times = [];
  for (let i = 0; i < n + 1; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync("ssh", ["-F", hosts.sshConfig, "-o", "BatchMode=yes", "r1", "true"], {
      stdio: "ignore",
    });
    if (r.status !== 0) throw new Error("bench runners: ssh r1 true failed");
    if (i > 0) times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return stats(times, []);
}

export const section = {
  name: "runners",
  order: 75,
  description:
    "launch to the agent's first line: 4 runs on a runner over SSH vs 4 local, and one SSH round trip",
  async run() {
    const helper = await loadHostsHelper();
    if (helper.RUNNER_HOSTS_MISSING) return [figure(SECTION, `skipped: ${helper.RUNNER_HOSTS_MISSING}`, 0)];
    const hosts = await helper.startRunnerHostsWithGit([{ name: "r1" }]);
    const socket = `bl-bench-${process.pid}-runners`;
    try {
      const repo = makeRepo("runners");
      Object.assign(repo.env, hosts.env);
      writeConfig(repo, hosts.hosts[0], hosts.remote.url, socket);
      const ids = Array.from({ length: ROUNDS * 2 * RUNS }, (_, i) => `r${String(i).padStart(2, "0")}`);
      writeParts(repo, ids);
      run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
      run("git", ["commit", "-q", "-m", "bench config"], { cwd: repo.dir, env: repo.env });
      ballador(repo, ["runner", "check", "r1"]);
      const local = [];
      const remote = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? [false, true] : [true, false];
        for (const onRunner of order) {
          const four = ids.splice(0, RUNS);
          (onRunner ? remote : local).push(...(await launchFour(repo, four, onRunner)));
        }
      }
      const rtt = sshRoundTrips(hosts, 10);
      const l = stats(local, []);
      const r = stats(remote, []);
      const target = 1.5 * l.median + rtt.median;
      return [
        figure(SECTION, "ssh r1 true (one SSH round trip, fresh connection)", rtt),
        figure(SECTION, `launch to agent start, ${RUNS} at once, local`, l),
        figure(SECTION, `launch to agent start, ${RUNS} at once, on runner r1`, r, {
          target,
          note: `${(r.median / l.median).toFixed(2)}x local; target 1.5x local + 1 round trip`,
        }),
      ];
    } finally {
      killTmux(socket);
      await hosts.close();
    }
  },
};
