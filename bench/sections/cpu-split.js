/**
 * Where a trivial task's CPU goes, by kind of process (issue 35: Ballador's own CPU per task,
 * everything but the agent and its own git, at most 0.5x of the issue's account).
 *
 * N trivial tasks (BENCH_CPU_TASKS, default 10), max_parallel N, the scripted agent in
 * bubblewrap, from the downbeat to all in review (and 3 s for the supervisors' briefs), under
 * `perf record` of three scheduler tracepoints, machine-wide:
 * - sched_stat_runtime: CPU time per thread, in nanoseconds (not 10 ms ticks, which lose git);
 * - sched_process_fork and sched_process_exec: the process tree from the `launch` process down
 *   (threads included), and what each process runs. A process is of the kind of the program it
 *   last exec'd (git, socat, bwrap, tmux, sh, ...), a Node process by its command line (read
 *   from /proc while it lives: supervisor, launch, the scripted agent), and whatever the agent
 *   starts counts as the agent's, but for the `ballador` report helper it calls (Ballador's).
 * Needs root and perf; without them the section says so and measures nothing.
 */
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, figure, killTmux, makeRepo, tempDir, trivialScript } from "../lib.js";
import { allInReview, writeConfig, writeParts } from "./parallel.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Node processes' command lines, read every 20 ms while the run lasts (they live 50 ms and more). */
function commandLines() {
  const seen = new Map();
  let on = true;
  const loop = (async () => {
    while (on) {
      for (const e of readdirSync("/proc")) {
        if (!/^\d+$/.test(e) || seen.has(Number(e))) continue;
        try {
          const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8").replaceAll("\0", " ");
          if (/\bnode\b|\.js\b/.test(cmd)) seen.set(Number(e), cmd);
        } catch {
          // gone
        }
      }
      await sleep(20);
    }
  })();
  return {
    seen,
    async stop() {
      on = false;
      await loop;
    },
  };
}

function nodeRole(cmd) {
  if (!cmd) return "node (unidentified)";
  if (cmd.includes("supervisor")) return "supervisor";
  if (cmd.includes("scripted-agent")) return "agent";
  if (/ballador\.js launch/.test(cmd)) return "launch";
  return "node (other ballador)";
}

const FIELD = (line, name) => {
  const m = new RegExp(`${name}=(\\S+)`).exec(line);
  return m ? m[1] : null;
};

/** CPU ms by kind for the tree under `root`, from `perf script` lines in time order. */
export function splitByKind(lines, root, cmdlines) {
  // tid -> { kind, proc (the tid that exec'd, whose command line names a Node role), agent }
  const tids = new Map([[root, { exe: "node", proc: root, agent: false }]]);
  const cpu = new Map();
  for (const line of lines) {
    if (line.includes("sched:sched_process_fork:")) {
      const parent = tids.get(Number(FIELD(line, " pid")));
      if (!parent) continue;
      // Whatever the agent starts (its git, its shell) is the agent's.
      const agent =
        parent.agent || (parent.exe === "node" && nodeRole(cmdlines.get(parent.proc)) === "agent");
      tids.set(Number(FIELD(line, "child_pid")), { ...parent, agent });
    } else if (line.includes("sched:sched_process_exec:")) {
      const t = tids.get(Number(FIELD(line, " pid")));
      if (!t) continue;
      const exe = (FIELD(line, "filename") ?? "?").split("/").pop();
      t.exe = exe;
      t.proc = Number(FIELD(line, " pid"));
      // The `ballador` the agent calls is Ballador's report helper (spec 0018), not the agent.
      if (exe === "ballador") Object.assign(t, { agent: false, shim: true });
    } else if (line.includes("sched:sched_stat_runtime:")) {
      const tid = Number(FIELD(line, " pid"));
      const t = tids.get(tid);
      if (!t) continue;
      // The scripted agent's launcher script execs node: the agent's either way.
      let kind =
        t.exe === "node"
          ? nodeRole(cmdlines.get(t.proc))
          : t.exe.includes("scripted-agent")
            ? "agent"
            : t.exe;
      if (t.shim) kind = kind === "ballador" ? "report helper" : `report helper's ${kind}`;
      else if (t.agent && kind !== "agent") kind = `agent's ${kind}`;
      cpu.set(kind, (cpu.get(kind) ?? 0) + Number(FIELD(line, "runtime")) / 1e6);
    }
  }
  return cpu;
}

async function tracedRun(count, socket) {
  const repo = makeRepo("cpu-split");
  writeConfig(repo, { socket, maxParallel: count, profile: "{ preset: scripted }" });
  const ids = Array.from({ length: count }, (_, i) => `c${i}`);
  writeParts(repo, ids, (id) => trivialScript(id));
  const data = join(tempDir("ballador-perf-"), "perf.data");
  const events = ["sched:sched_stat_runtime", "sched:sched_process_fork", "sched:sched_process_exec"];
  const perf = spawn("perf", ["record", "-q", "-a", ...events.flatMap((e) => ["-e", e]), "-o", data], {
    stdio: "ignore",
  });
  await sleep(1500); // perf's own start
  const names = commandLines();
  const start = process.hrtime.bigint();
  const launch = spawn(process.execPath, [CLI, "launch", "--json"], {
    cwd: repo.dir,
    env: repo.env,
    stdio: "ignore",
  });
  const root = launch.pid;
  try {
    await new Promise((r) => launch.once("close", r));
    const ms = await allInReview(repo, count, start, 900_000);
    await sleep(3000); // the supervisors write the brief and end after the move to review
    return { ms, root, data, names: names.seen };
  } finally {
    await names.stop();
    perf.kill("SIGINT");
    await new Promise((r) => perf.once("close", r));
    killTmux(socket);
  }
}

export const section = {
  name: "cpu-split",
  order: 77,
  description:
    "CPU per trivial task by process kind (perf scheduler tracepoints): supervisor, launch, agent, git, bwrap, socat, tmux",
  async run(ctx) {
    if (spawnSync("perf", ["--version"]).status !== 0 || process.getuid?.() !== 0) {
      ctx.log("cpu-split: needs perf and root; skipped");
      return [];
    }
    const n = Number(process.env.BENCH_CPU_TASKS ?? 10);
    const reps = Number(process.env.BENCH_CPU_REPS ?? 2);
    const out = [];
    for (let i = 0; i < reps; i++) {
      const r = await tracedRun(n, `bl-bench-cpu-${process.pid}-${i}`);
      const script = spawnSync("perf", ["script", "-i", r.data, "-F", "comm,pid,tid,event,trace"], {
        encoding: "utf8",
        maxBuffer: 2 * 1024 * 1024 * 1024,
      });
      const byKind = splitByKind(script.stdout.split("\n"), r.root, r.names);
      const perTask = (k) => (byKind.get(k) ?? 0) / n;
      const agentKinds = [...byKind.keys()].filter((k) => k.startsWith("agent"));
      const ownKinds = [...byKind.keys()].filter((k) => !k.startsWith("agent"));
      const own = ownKinds.reduce((s, k) => s + perTask(k), 0);
      const agent = agentKinds.reduce((s, k) => s + perTask(k), 0);
      const split = [...byKind.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${(v / n).toFixed(1)}`)
        .join(", ");
      const note = `run ${i + 1}: ${n} tasks to review in ${(r.ms / 1000).toFixed(1)} s; ms per task by kind: ${split}; the agent's own ${agent.toFixed(0)} ms`;
      ctx.log(`Ballador's own ${own.toFixed(0)} ms per task; ${note}`);
      out.push(
        figure(
          "cpu-split",
          "Ballador's own CPU per trivial task (all but the agent and what it starts)",
          own,
          { note },
        ),
      );
    }
    return out;
  },
};
