/**
 * What a running task costs in CPU while its agent is quiet (issue 35: Ballador's own CPU per
 * task; an agent runs for minutes, much of it without output: waiting for its model, a long
 * tool call, a question to a person).
 *
 * N tasks (BENCH_IDLE_TASKS, default 5) in bubblewrap whose agent is `sleep` (no output at all),
 * `needs_you.quiet: 1s` so that the supervisors reach their quiet-agent checks at once (the
 * default is 30 s); after BENCH_IDLE_SETTLE_MS (default 8 s), the CPU over BENCH_IDLE_WINDOW_MS
 * (default 20 s) of each supervisor with the children it reaped (utime, stime, cutime and
 * cstime from /proc: the tmux clients, git, ... it started) and of the run's tmux server, in
 * ms of CPU per second per task. Ticks of 10 ms: the window is long enough for that.
 */
import { readdirSync, readFileSync } from "node:fs";
import { CLI, figure, killTmux, makeRepo, runAsync } from "../lib.js";
import { writeConfig, writeParts } from "./parallel.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK_MS = 1000 / 100; // USER_HZ

/** CPU (ms) of a process, its own and its reaped children's, or null when it is gone. */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
  } catch {
    return null;
  }
}

/** Supervisors of this repository's runs and the tmux server of `socket`. */
function processes(repoDir, socket) {
  const out = { supervisors: [], server: null };
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    let cmd;
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const line = cmd.join(" ");
    // The server keeps the argv of the client that started it (new-session, with the command).
    if (cmd[0]?.endsWith("tmux") && line.includes(`-L ${socket}`) && line.includes("new-session"))
      out.server = Number(e);
    else if (
      cmd[0]?.endsWith("node") &&
      cmd.some((a) => a.endsWith("supervisor.js")) &&
      line.includes(repoDir)
    )
      out.supervisors.push(Number(e));
  }
  return out;
}

export const section = {
  name: "idle",
  order: 79,
  description:
    "CPU per second of a running task whose agent is quiet: its supervisor (and what it starts) and tmux",
  async run(ctx) {
    const n = Number(process.env.BENCH_IDLE_TASKS ?? 5);
    const socket = `bl-bench-idle-${process.pid}`;
    const repo = makeRepo("idle");
    writeConfig(repo, {
      socket,
      maxParallel: n,
      profile: '{ command: ["sleep", "600"], prompt: file }',
      extra: ["needs_you:", "  quiet: 1s"],
    });
    const ids = Array.from({ length: n }, (_, i) => `q${i}`);
    writeParts(repo, ids, () => "Goal: stay quiet while the bench measures.");
    try {
      await runAsync(process.execPath, [CLI, "launch", "--json"], { cwd: repo.dir, env: repo.env });
      await sleep(Number(process.env.BENCH_IDLE_SETTLE_MS ?? 8000));
      const found = processes(repo.dir, socket);
      if (found.supervisors.length !== n) ctx.log(`idle: ${found.supervisors.length} supervisors of ${n}`);
      const pids = [...found.supervisors, ...(found.server ? [found.server] : [])];
      const before = pids.map(cpuOf);
      const started = Date.now();
      await sleep(Number(process.env.BENCH_IDLE_WINDOW_MS ?? 20_000));
      const after = pids.map(cpuOf);
      const secs = (Date.now() - started) / 1000;
      const used = (i) => (after[i] === null || before[i] === null ? 0 : after[i] - before[i]);
      const sup = found.supervisors.reduce((s, _, i) => s + used(i), 0);
      const server = found.server ? used(pids.length - 1) : 0;
      const perTask = (sup + server) / found.supervisors.length / secs;
      const note = `${found.supervisors.length} tasks, agent sleep, needs_you.quiet 1s, ${secs.toFixed(0)} s window; per task: supervisor with its children ${(sup / found.supervisors.length / secs).toFixed(2)}, tmux server ${(server / found.supervisors.length / secs).toFixed(2)} ms/s`;
      ctx.log(`idle: ${perTask.toFixed(2)} ms of CPU per second per quiet task (${note})`);
      return [
        figure("idle", "Ballador's CPU per second of a running task whose agent is quiet", perTask, {
          note,
          unit: "ms/s",
        }),
      ];
    } finally {
      killTmux(socket);
    }
  },
};
