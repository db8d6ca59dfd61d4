/**
 * What Ballador's own processes cost in memory per running task (issue 35: at most 16 MiB
 * proportional), and the peak of a run of many trivial tasks to review on this machine.
 *
 * - Running: N tasks (BENCH_MEMORY_TASKS, default 10) in bubblewrap whose agent is `sleep`, all
 *   started; then the proportional set size (Pss, /proc/<pid>/smaps_rollup: shared pages split
 *   among the processes that map them) of every process under their tmux server, summed by
 *   kind: supervisor (node), socat, bwrap, tmux (the server, shared by all tasks), shell, and
 *   the agent apart (`sleep`, not Ballador's). Ballador's own per task: all but the agent, / N.
 * - Peak: BENCH_MEMORY_PEAK trivial tasks (default 50; 0 skips it), max_parallel as many, the
 *   scripted agent (write, commit, done) in bubblewrap, from the downbeat to all in review;
 *   everything under the launch and the tmux server sampled every 500 ms; the peak of the sum,
 *   Ballador's own and all (agents and git included).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, figure, killTmux, makeRepo, runAsync, trivialScript } from "../lib.js";
import { allInReview, writeConfig, writeParts } from "./parallel.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024;

/** Every process's parent, name and command line, from /proc. */
function processTable() {
  const table = new Map();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8").replaceAll("\0", " ");
      table.set(Number(e), { ppid, comm, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** The pids of `roots` and all their descendants. */
function descendants(table, roots) {
  const children = new Map();
  for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const out = new Set();
  const stack = roots.filter((r) => table.has(r));
  while (stack.length > 0) {
    const pid = stack.pop();
    if (out.has(pid)) continue;
    out.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Which part of a run a process is. "agent" is the agent's own (not Ballador's). */
function kindOf({ comm, cmd }) {
  if (comm === "sleep" || cmd.includes("scripted-agent")) return "agent";
  if (comm === "node" || comm.startsWith("node")) {
    if (cmd.includes("supervisor")) return "supervisor";
    if (/ballador\.js launch/.test(cmd)) return "launch";
    return "node (other ballador)";
  }
  if (comm.startsWith("tmux")) return "tmux server";
  if (comm === "socat" || comm === "bwrap" || comm === "git") return comm;
  if (comm === "sh" || comm === "bash" || comm === "dash" || comm === "env") return "shell";
  return `other (${comm})`;
}

function pssKiB(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Pss in KiB by kind (and the process count of each) of `roots` and their descendants. */
function memoryByKind(roots) {
  const table = processTable();
  const by = {};
  for (const pid of descendants(table, roots)) {
    const kind = kindOf(table.get(pid));
    by[kind] ??= { kib: 0, count: 0 };
    by[kind].kib += pssKiB(pid);
    by[kind].count += 1;
  }
  return by;
}

const own = (by) => Object.entries(by).reduce((s, [k, v]) => s + (k === "agent" ? 0 : v.kib), 0);
const all = (by) => Object.values(by).reduce((s, v) => s + v.kib, 0);

function tmuxServerPid(repo, socket) {
  for (const [pid, p] of processTable())
    if (p.comm === "tmux: server" && p.cmd.includes(`-L ${socket} `)) return pid;
  throw new Error(`no tmux server for socket ${socket} (${repo.dir})`);
}

async function allAgentsStarted(repo, count, timeoutMs) {
  const { createRequire } = await import("node:module");
  const Database = createRequire(import.meta.url)("better-sqlite3");
  const deadline = Date.now() + timeoutMs;
  const db = new Database(join(repo.stateDir, "ballador.db"), { readonly: true, fileMustExist: true });
  try {
    while (Date.now() < deadline) {
      const n = db
        .prepare("SELECT COUNT(*) AS n FROM runs WHERE agent_started_at IS NOT NULL AND ended_at IS NULL")
        .get().n;
      if (n === count) return;
      await sleep(250);
    }
  } finally {
    db.close();
  }
  throw new Error(`not all ${count} agents started (${repo.dir})`);
}

/** N tasks whose agent sleeps, all running: Pss by kind. */
export async function running(count, socket, { keep = false } = {}) {
  const repo = makeRepo("memory");
  writeConfig(repo, { socket, maxParallel: count, profile: '{ command: ["sleep", "600"], prompt: file }' });
  const ids = Array.from({ length: count }, (_, i) => `m${i}`);
  writeParts(repo, ids, () => "Goal: sleep while the bench measures memory.");
  try {
    await runAsync(process.execPath, [CLI, "launch", "--json"], { cwd: repo.dir, env: repo.env });
    await allAgentsStarted(repo, count, 300_000);
    // Settle: an agent runs for minutes; V8 gives back what start-up used once the process idles.
    await sleep(Number(process.env.BENCH_MEMORY_SETTLE_MS ?? 15_000));
    return memoryByKind([tmuxServerPid(repo, socket)]);
  } finally {
    if (!keep) killTmux(socket);
  }
}

/** `count` trivial tasks to review, sampled every 500 ms: the peak of Ballador's own and of all. */
async function peak(count, socket) {
  const repo = makeRepo("memory-peak");
  writeConfig(repo, { socket, maxParallel: count, profile: "{ preset: scripted }" });
  const ids = Array.from({ length: count }, (_, i) => `p${i}`);
  writeParts(repo, ids, (id) => trivialScript(id));
  const start = process.hrtime.bigint();
  const top = { own: 0, all: 0, by: {} };
  let done = false;
  const launch = runAsync(process.execPath, [CLI, "launch", "--json"], { cwd: repo.dir, env: repo.env });
  const sampler = (async () => {
    let server = null;
    while (!done) {
      const table = processTable();
      server ??=
        [...table].find(([, p]) => p.comm === "tmux: server" && p.cmd.includes(`-L ${socket} `))?.[0] ?? null;
      const launchPid = [...table].find(([, p]) => / launch --json/.test(p.cmd) && p.cmd.includes(CLI))?.[0];
      const by = memoryByKind([server, launchPid].filter(Boolean));
      if (own(by) > top.own) Object.assign(top, { own: own(by), by });
      top.all = Math.max(top.all, all(by));
      await sleep(500);
    }
  })();
  try {
    await launch;
    const ms = await allInReview(repo, count, start, 900_000);
    return { ms, ...top };
  } finally {
    done = true;
    await sampler;
    killTmux(socket);
  }
}

const mib = (kib) => `${(kib / MiB).toFixed(1)} MiB`;
const split = (by, n) =>
  Object.entries(by)
    .sort((a, b) => b[1].kib - a[1].kib)
    .map(([k, v]) => `${k} ${mib(v.kib / n)} (${v.count})`)
    .join(", ");

export const section = {
  name: "memory",
  order: 47,
  description: "Pss of Ballador's own processes per running task, and the peak of a 50-task run to review",
  async run(ctx) {
    const n = Number(process.env.BENCH_MEMORY_TASKS ?? 10);
    const many = Number(process.env.BENCH_MEMORY_PEAK ?? 50);
    const socket = `bl-bench-mem-${process.pid}`;
    const out = [];
    const by = await running(n, socket);
    const perTask = own(by) / n;
    const note = `${n} running, agent sleep; per task: ${split(by, n)}`;
    ctx.log(`running: ${mib(perTask)} per task; ${note}`);
    const one = { median: perTask / MiB, min: perTask / MiB, max: perTask / MiB, n: 1 };
    out.push(figure("memory", "Ballador's own Pss per running task", one, { unit: "MiB", target: 16, note }));
    if (many > 0) {
      const p = await peak(many, `${socket}-p`);
      const pn = `${many} trivial tasks, bwrap, reached review in ${(p.ms / 1000).toFixed(1)} s; peak of all ${mib(p.all)}; at Ballador's own peak: ${split(p.by, 1)}`;
      ctx.log(`peak: own ${mib(p.own)}; ${pn}`);
      const v = p.own / MiB;
      out.push(
        figure(
          "memory",
          `peak Pss of Ballador's own processes, ${many} tasks to review`,
          { median: v, min: v, max: v, n: 1 },
          { unit: "MiB", note: pn },
        ),
      );
    }
    return out;
  },
};
