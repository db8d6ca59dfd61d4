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
 *
 * Two placements of the processes, side by side in the same run (rounds alternate them): "shared
 * cores", every process on any core, as the runner host is a namespace on this same machine; and
 * "separate cores" (when the machine has two or more), home's processes (this bench, launch, the
 * tmux server with its relays and local supervisors, home's ssh) on core 0 and the runner's (its
 * sshd and everything under it or run by its user, and the bare remote's sshd) on core 1, set
 * with sched_setaffinity (`taskset`), which children inherit: the runner as a machine of its own,
 * and local runs with home's one core.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
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
async function launchFour(repo, ids, onRunner, groups) {
  const argv = [process.execPath, CLI, "launch", ...ids, ...(onRunner ? ["--on", "r1"] : [])];
  const enter = groups
    ? ["sh", "-c", `echo $$ > ${join(groups.dirs.home, "cgroup.procs")} && exec "$@"`, "sh"]
    : [];
  const before = groups?.usedMs();
  const t0 = Date.now();
  const [file, ...args] = [...enter, ...argv];
  await runAsync(file, args, { cwd: repo.dir, env: repo.env });
  const marks = await until(repo, `the agents of ${ids.join(", ")}`, (db) => {
    const q = db.prepare(
      "SELECT agent_started_at AS at FROM runs WHERE task_id = ? ORDER BY rowid DESC LIMIT 1",
    );
    const at = ids.map((id) => q.get(id)?.at ?? null);
    return at.every((a) => a !== null) ? at : null;
  });
  // CPU of each side from the launch to the last agent's start, per run.
  const after = groups?.usedMs();
  const cpu =
    before && after
      ? { home: (after.home - before.home) / ids.length, runner: (after.runner - before.runner) / ids.length }
      : null;
  // The runs finish before the next round starts (untimed), so rounds do not overlap.
  await until(repo, `the end of ${ids.join(", ")}`, (db) => {
    const q = db.prepare("SELECT state FROM tasks WHERE id = ?");
    return ids.every((id) => ["review", "failed", "merged"].includes(q.get(id)?.state));
  });
  return { ms: marks.map((at) => Date.parse(at) - t0), cpu };
}

/** Every process: pid -> { ppid, uid, cmd }. */
function processes() {
  const all = new Map();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const status = readFileSync(`/proc/${e}/status`, "utf8");
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8").replaceAll("\0", " ");
      all.set(Number(e), { ppid, uid, cmd });
    } catch {
      // gone
    }
  }
  return all;
}

function withDescendants(all, roots) {
  const out = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of all)
      if (!out.has(pid) && out.has(p.ppid)) {
        out.add(pid);
        grew = true;
      }
  }
  return out;
}

/**
 * Places home's processes and the runner's: "shared" on every core, "separate" home on core 0
 * and the runner (its sshd and all under it, its user's, the remote's) on core 1. Children
 * inherit the affinity, so what starts later follows its parent.
 */
function place(hosts, socket, mode, groups) {
  const all = processes();
  const keys = join(hosts.dir, "keys");
  const sshd = readdirSync(keys)
    .filter((f) => /^sshd-.*\.pid$/.test(f))
    .map((f) => Number(readFileSync(join(keys, f), "utf8").trim()));
  const users = [...hosts.hosts.map((h) => h.user), hosts.remote.user];
  const uids = new Set(users.map((u) => Number(run("id", ["-u", u]).stdout.trim())));
  const runner = withDescendants(all, [
    ...sshd,
    ...[...all].filter(([, p]) => uids.has(p.uid)).map(([pid]) => pid),
  ]);
  const tmux = spawnSync("tmux", ["-L", socket, "display-message", "-p", "#{pid}"], { encoding: "utf8" });
  const roots = [process.pid, ...(tmux.status === 0 ? [Number(tmux.stdout.trim())] : [])];
  // Home's detached ssh (shared connections) name the hosts' ssh_config.
  for (const [pid, p] of all) if (p.cmd.includes(hosts.dir) && !runner.has(pid)) roots.push(pid);
  const home = [...withDescendants(all, roots)].filter((pid) => !runner.has(pid));
  const cpus = mode === "separate" ? { home: "0", runner: "1" } : { home: "0,1", runner: "0,1" };
  for (const [side, pids, list] of [
    ["home", home, cpus.home],
    ["runner", [...runner], cpus.runner],
  ])
    for (const pid of pids) {
      spawnSync("taskset", ["-a", "-p", "-c", list, String(pid)], { stdio: "ignore" });
      // This bench's own process stays out of the groups (its launch goes in, below).
      if (groups && pid !== process.pid) groups.enter(side, pid);
    }
}

/**
 * Two cpuacct cgroups (v1, as root): what home runs for the runs (launch, the tmux server with
 * its relays and supervisors, home's ssh) and what the runner runs (its sshd and all under it,
 * the remote's). `place` puts the processes in; children inherit. Without them, no CPU figure.
 */
function cpuGroups() {
  const made = {};
  for (const side of ["home", "runner"]) {
    const dir = join("/sys/fs/cgroup/cpuacct", `ballador-bench-${process.pid}-runners-${side}`);
    try {
      mkdirSync(dir);
      made[side] = dir;
    } catch {
      return null;
    }
  }
  return {
    dirs: made,
    usedMs: () =>
      Object.fromEntries(
        Object.entries(made).map(([side, dir]) => [
          side,
          Number(readFileSync(join(dir, "cpuacct.usage"), "utf8")) / 1e6,
        ]),
      ),
    enter: (side, pid) => {
      try {
        writeFileSync(join(made[side], "cgroup.procs"), String(pid));
      } catch {
        // gone
      }
    },
    close() {
      for (const dir of Object.values(made)) {
        for (const pid of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean))
          try {
            writeFileSync("/sys/fs/cgroup/cpuacct/cgroup.procs", pid);
          } catch {
            // gone
          }
        try {
          rmdirSync(dir);
        } catch {
          // a process still leaving: the group stays, empty
        }
      }
    },
  };
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
    const groups = cpuGroups();
    try {
      const repo = makeRepo("runners");
      Object.assign(repo.env, hosts.env);
      writeConfig(repo, hosts.hosts[0], hosts.remote.url, socket);
      const separate = availableParallelism() >= 2 && spawnSync("taskset", ["-V"]).status === 0;
      const modes = separate ? ["shared", "separate"] : ["shared"];
      const ids = Array.from(
        { length: ROUNDS * 2 * RUNS * modes.length },
        (_, i) => `r${String(i).padStart(2, "0")}`,
      );
      writeParts(repo, ids);
      run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
      run("git", ["commit", "-q", "-m", "bench config"], { cwd: repo.dir, env: repo.env });
      ballador(repo, ["runner", "check", "r1"]);
      const times = Object.fromEntries(
        modes.map((m) => [m, { local: [], remote: [], cpu: { local: [], remote: [] } }]),
      );
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
          place(hosts, socket, mode, groups);
          const order = round % 2 === 0 ? [false, true] : [true, false];
          for (const onRunner of order) {
            const four = ids.splice(0, RUNS);
            const got = await launchFour(repo, four, onRunner, groups);
            const where = onRunner ? "remote" : "local";
            times[mode][where].push(...got.ms);
            if (got.cpu) times[mode].cpu[where].push(got.cpu);
          }
        }
      }
      place(hosts, socket, "shared", null);
      const rtt = sshRoundTrips(hosts, 10);
      const out = [figure(SECTION, "ssh r1 true (one SSH round trip, fresh connection)", rtt)];
      for (const mode of modes) {
        const where = mode === "shared" ? "shared cores" : "separate cores: home core 0, runner core 1";
        const l = stats(times[mode].local, []);
        const r = stats(times[mode].remote, []);
        const cpu = (where) => {
          const c = times[mode].cpu[where];
          if (c.length === 0) return "";
          const home = stats(
            c.map((x) => x.home),
            [],
          ).median;
          const runner = stats(
            c.map((x) => x.runner),
            [],
          ).median;
          return `; CPU per run to the last agent's start: home ${home.toFixed(0)} ms, runner ${runner.toFixed(0)} ms`;
        };
        out.push(
          figure(SECTION, `launch to agent start, ${RUNS} at once, local (${where}${cpu("local")})`, l),
          figure(SECTION, `launch to agent start, ${RUNS} at once, on runner r1 (${where})`, r, {
            target: 1.5 * l.median + rtt.median,
            note: `${(r.median / l.median).toFixed(2)}x local; target 1.5x local + 1 round trip${cpu("remote")}`,
          }),
        );
      }
      if (!separate) out.push(figure(SECTION, "separate cores: skipped (needs 2 cores and taskset)", 0));
      return out;
    } finally {
      killTmux(socket);
      await hosts.close();
      groups?.close();
    }
  },
};
