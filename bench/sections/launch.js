import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  ballador,
  CLI,
  figure,
  killTmux,
  makeRepo,
  msSince,
  ROOT,
  run,
  runAsync,
  stats,
  tempDir,
  timeCli,
  trivialScript,
} from "../lib.js";

const SECTION = "launch";

// ---- repositories ----------------------------------------------------------------------------

/** Writes `count` tracked files (100 per folder) and commits them. */
function addFiles(repo, count) {
  for (let d = 0; d * 100 < count; d++) {
    const dir = join(repo.dir, "src", `m${d}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 100 && d * 100 + i < count; i++) {
      writeFileSync(join(dir, `f${i}.js`), `export const v${i} = ${d * 100 + i};\n`);
    }
  }
  run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
  run("git", ["commit", "-q", "-m", `${count} files`], { cwd: repo.dir, env: repo.env });
}

function writeConfig(repo, { socket, mode, maxParallel = 100, profile }) {
  writeFileSync(
    join(repo.dir, ".ballador", "config.yaml"),
    [
      "base: main",
      `tmux_socket: ${socket}`,
      `max_parallel: ${maxParallel}`,
      "agents:",
      `  default: ${profile === "scripted" ? "scripted" : "sleeper"}`,
      "  profiles:",
      profile === "scripted"
        ? "    scripted: { preset: scripted }"
        : '    sleeper: { command: ["sleep", "30"], prompt: file }',
      "sandbox:",
      `  mode: ${mode}`,
      "  allow_hosts: []",
      "",
    ].join("\n"),
  );
}

function writeParts(repo, parts) {
  const dir = join(repo.dir, ".ballador", "parts", "bench");
  mkdirSync(dir, { recursive: true });
  for (const p of parts) {
    writeFileSync(
      join(dir, `${p.id}.md`),
      `---\nid: ${p.id}\ntitle: "Bench ${p.id}"\n---\n${p.body ?? "Goal: be launched."}\n`,
    );
  }
  ballador(repo, ["queue"]);
}

/** A repository with `files` tracked files, the sleeper profile and `tasks` ready tasks. */
function launchRepo(name, files, tasks, socket) {
  const repo = makeRepo(name);
  addFiles(repo, files);
  repo.socket = socket;
  repo.sha = run("git", ["rev-parse", "HEAD"], { cwd: repo.dir, env: repo.env }).stdout.trim();
  writeConfig(repo, { socket, mode: "bwrap" });
  repo.ids = Array.from({ length: tasks }, (_, i) => `t${String(i).padStart(3, "0")}`);
  writeParts(
    repo,
    repo.ids.map((id) => ({ id })),
  );
  return repo;
}

/** Ends the tmux server of a socket and removes the socket file it leaves behind. */

// ---- one launch, several ways ----------------------------------------------------------------

/**
 * Bare worktree adds (alone and with their tmux session), the least Node launch, and launches
 * (sandbox none, bwrap, bwrap --no-wait) of fresh tasks, interleaved and rotated so that a noisy
 * moment hits every way alike. Returns their stats.
 */
function measureLaunches(repo, n, { warmup = 1, dir } = {}) {
  const order = ["bare", "session", "least", "none", "bwrap", "nowait"];
  const times = Object.fromEntries(order.map((w) => [w, []]));
  const cpu = Object.fromEntries(order.map((w) => [w, []]));
  let bareNo = 0;
  const bareRoot = join(repo.base, "bare");
  mkdirSync(bareRoot, { recursive: true });
  const least = join(dir, "least-launch.mjs");
  writeFileSync(least, LEAST_LAUNCH);
  const add = (prefix, i) =>
    run(
      "git",
      [
        "worktree",
        "add",
        "-q",
        "--no-track",
        "-b",
        `${prefix}/${i}`,
        "--",
        join(bareRoot, `${prefix}${i}`),
        repo.sha,
      ],
      { cwd: repo.dir, env: repo.env },
    );
  const ways = {
    bare: () => add("bare", bareNo++),
    // The issue's floor: the worktree and its session, one program after the other.
    session: () => {
      const i = bareNo++;
      const a = add("session", i);
      const t = run("tmux", ["-L", repo.socket, "new-session", "-d", "-s", `bare-${i}`, "sleep 30"], {
        cwd: repo.dir,
        env: repo.env,
      });
      return { ms: a.ms + t.ms, cpuMs: a.cpuMs === null || t.cpuMs === null ? null : a.cpuMs + t.cpuMs };
    },
    least: () => {
      const i = bareNo++;
      return run(
        process.execPath,
        [
          least,
          join(repo.base, "least.db"),
          join(bareRoot, `least${i}`),
          `least/${i}`,
          repo.sha,
          repo.socket,
        ],
        { cwd: repo.dir, env: { ...repo.env, BALLADOR_BENCH_ROOT: ROOT } },
      );
    },
    none: () => launchOne(repo, "none"),
    bwrap: () => launchOne(repo, "bwrap"),
    nowait: () => launchOne(repo, "bwrap", { noWait: true }),
  };
  for (let i = -warmup; i < n; i++) {
    const rot = ((i % order.length) + order.length) % order.length;
    for (const way of [...order.slice(rot), ...order.slice(0, rot)]) {
      const r = ways[way]();
      if (i >= 0) {
        times[way].push(r.ms);
        cpu[way].push(r.cpuMs);
      }
    }
  }
  return Object.fromEntries(order.map((w) => [w, stats(times[w], cpu[w])]));
}

function nextTask(repo) {
  const id = repo.ids.shift();
  if (!id) throw new Error("the bench ran out of prepared tasks");
  return id;
}

/**
 * The least a Node program can spend on one launch: start, open a SQLite file in WAL mode, claim
 * in a transaction, run the same git worktree add and tmux new-session, exit. No config, no
 * checks, no sandbox: a bound for any launch written for Node, Ballador's or not.
 */
const LEAST_LAUNCH = `
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
const Database = createRequire(join(process.env.BALLADOR_BENCH_ROOT, "package.json"))("better-sqlite3");
const [file, worktree, branch, base, socket] = process.argv.slice(2);
const db = new Database(file);
db.pragma("journal_mode = WAL");
db.exec("CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, state TEXT)");
db.transaction(() => db.prepare("INSERT OR REPLACE INTO claims VALUES (?, 'running')").run(branch))();
execFileSync("git", ["worktree", "add", "-q", "--no-track", "-b", branch, "--", worktree, base]);
execFileSync("tmux", ["-L", socket, "new-session", "-d", "-s", branch.replace("/", "-"), "sleep 30"]);
db.close();
`;

/** Waits (untimed) until no run of this task is still provisioning, reading the store read-only. */
function provisioned(repo, id) {
  const Database = createRequire(join(ROOT, "package.json"))("better-sqlite3");
  const db = new Database(join(repo.stateDir, "ballador.db"), { readonly: true, fileMustExist: true });
  try {
    const q = db.prepare("SELECT COUNT(*) AS n FROM runs WHERE task_id = ? AND status = 'provisioning'");
    const deadline = Date.now() + 60_000;
    while (q.get(id).n > 0) {
      if (Date.now() > deadline) throw new Error(`${id} still provisioning after 60 s (${repo.dir})`);
      run("sleep", ["0.05"]);
    }
  } finally {
    db.close();
  }
}

/** `ballador launch <fresh task>` with the given sandbox mode, timed; then abandoned (untimed). */
function launchOne(repo, mode, { wrap = null, noWait = false } = {}) {
  writeConfig(repo, { socket: repo.socket, mode });
  const id = nextTask(repo);
  const r = wrap ? wrap(id) : ballador(repo, ["launch", id, ...(noWait ? ["--no-wait"] : [])]);
  if (!/started/.test(r.stdout)) throw new Error(`launch ${id} did not start:\n${r.stdout}${r.stderr}`);
  if (noWait) provisioned(repo, id);
  ballador(repo, ["abandon", id]);
  return r;
}

// ---- where the time of one launch goes --------------------------------------------------------

/**
 * Preloaded into a traced launch: records every child process (argv, start, end) and the
 * moments the preload ran (node is booted) and the process exits, relative to process start.
 * Node's builtin ESM exports are synced from the CommonJS object, so Ballador's own
 * `import { execFile } from "node:child_process"` sees the wrapper.
 */
const TRACE_PRELOAD = `
import { appendFileSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
const cp = createRequire(import.meta.url)("node:child_process");
const out = process.env.BALLADOR_BENCH_TRACE;
const log = (o) => appendFileSync(out, JSON.stringify(o) + "\\n");
for (const name of ["spawn", "execFile", "spawnSync", "execFileSync"]) {
  const orig = cp[name];
  const wrapped = function (file, args, ...rest) {
    const t0 = performance.now();
    const argv = [file, ...(Array.isArray(args) ? args : [])].map(String);
    const r = orig.call(this, file, args, ...rest);
    if (name.endsWith("Sync")) log({ ev: "child", argv, t0, t1: performance.now() });
    else r.once("close", () => log({ ev: "child", argv, t0, t1: performance.now() }));
    return r;
  };
  for (const k of Reflect.ownKeys(orig)) {
    if (k === promisify.custom) continue;
    try { Object.defineProperty(wrapped, k, Object.getOwnPropertyDescriptor(orig, k)); } catch {}
  }
  if (orig[promisify.custom]) {
    // execFile's own promisified form calls the original directly: route it through the wrapper.
    Object.defineProperty(wrapped, promisify.custom, {
      value: (...args) => {
        let child;
        const p = new Promise((resolve, reject) => {
          child = wrapped(...args, (err, stdout, stderr) => {
            if (err) reject(Object.assign(err, { stdout, stderr }));
            else resolve({ stdout, stderr });
          });
        });
        p.child = child;
        return p;
      },
    });
  }
  cp[name] = wrapped;
}
syncBuiltinESMExports();
log({ ev: "preload", t: performance.now() });
process.on("exit", () => log({ ev: "exit", t: performance.now() }));
`;

/** Total length of the union of [t0, t1] intervals. */
function unionMs(intervals) {
  const s = [...intervals].sort((a, b) => a.t0 - b.t0);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const { t0, t1 } of s) {
    if (t1 <= end) continue;
    total += t1 - Math.max(t0, end);
    end = t1;
  }
  return total;
}

const label = (argv) => {
  const prog = argv[0].split("/").pop();
  if (prog === "tmux") {
    const i = argv.indexOf("-L");
    return `tmux ${argv[i >= 0 ? i + 2 : 1]}`;
  }
  return `${prog} ${argv[1] ?? ""}`.trim();
};

const countList = (labels) => {
  const m = new Map();
  for (const l of labels) m.set(l, (m.get(l) ?? 0) + 1);
  return [...m].map(([l, c]) => (c > 1 ? `${l} x${c}` : l)).join(", ");
};

/** Phases of traced launches (sandbox bwrap): figures per phase, medians over the runs. */
function tracedLaunches(repo, n, dir) {
  const preload = join(dir, "trace-preload.mjs");
  writeFileSync(preload, TRACE_PRELOAD);
  const phases = [];
  for (let i = -1; i < n; i++) {
    const file = join(dir, `trace-${repo.files}-${i + 1}.jsonl`);
    const r = launchOne(repo, "bwrap", {
      wrap: (id) =>
        run(process.execPath, ["--import", preload, CLI, "launch", id], {
          cwd: repo.dir,
          env: { ...repo.env, BALLADOR_BENCH_TRACE: file },
        }),
    });
    if (i < 0) continue;
    const events = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const boot = events.find((e) => e.ev === "preload").t;
    const exit = events.find((e) => e.ev === "exit").t;
    const children = events.filter((e) => e.ev === "child").sort((a, b) => a.t0 - b.t0);
    const isAdd = (c) => c.argv[1] === "worktree" && c.argv[2] === "add";
    const isNew = (c) => label(c.argv) === "tmux new-session";
    const add = children.filter(isAdd);
    const newSession = children.filter(isNew);
    const otherGit = children.filter((c) => !isAdd(c) && label(c.argv).startsWith("git "));
    const otherTmux = children.filter((c) => !isNew(c) && label(c.argv).startsWith("tmux "));
    const others = children.filter((c) => ![...add, ...newSession, ...otherGit, ...otherTmux].includes(c));
    const first = children[0].t0;
    const last = Math.max(...children.map((c) => c.t1));
    phases.push({
      wall: r.ms,
      beyondAdd: r.ms - unionMs(add),
      boot,
      beforeFirstChild: first - boot,
      add: unionMs(add),
      newSession: unionMs(newSession),
      otherGit: unionMs(otherGit),
      otherTmux: unionMs(otherTmux),
      others: unionMs(others),
      jsBetween: last - first - unionMs(children),
      afterLastChild: exit - last,
      teardown: r.ms - exit,
      labels: {
        otherGit: countList(otherGit.map((c) => label(c.argv))),
        otherTmux: countList(otherTmux.map((c) => label(c.argv))),
        others: countList(others.map((c) => label(c.argv))),
      },
    });
  }
  const col = (k) => stats(phases.map((p) => p[k]));
  const L = phases[0].labels;
  const where = `traced bwrap launches, ${repo.files} files`;
  const rows = [
    ["wall, under trace", "wall", ""],
    ["launch overhead: wall minus its own git worktree add", "beyondAdd", ""],
    ["node boot until the first line of JS", "boot", ""],
    ["imports + config + store open, until the first child process", "beforeFirstChild", ""],
    ["git worktree add (the bare equivalent)", "add", ""],
    ["other git calls", "otherGit", L.otherGit],
    ["tmux new-session (supervisor starts inside)", "newSession", ""],
    ["other tmux calls", "otherTmux", L.otherTmux],
    ["JS between child processes", "jsBetween", ""],
    ["JS after the last child process, until exit", "afterLastChild", ""],
    ["process teardown after the exit event", "teardown", ""],
  ];
  if (L.others) rows.push(["other child processes", "others", L.others]);
  return rows.map(([name, key, note]) =>
    figure(`${SECTION} phases`, `${name} (${where})`, col(key), { note }),
  );
}

/** Ballador functions whose CPU time (sampled, inclusive) a profiled launch reports. */
const PROFILED = [
  "openProject",
  "loadConfigCached",
  "loadConfig",
  "TaskStore",
  "reconcile",
  "launch",
  "provision",
  "policyForRun",
  "buildRunSpec",
  "prepareAgentHome",
  "seedGitIdentity",
  "assemblePrompt",
];

/**
 * What a CPU sample was doing, from its whole stack: loading modules (anything under Node's
 * module loader: resolve, read, compile, evaluate top-level code), starting child processes,
 * or else by where its innermost frame's code comes from.
 */
function category(stack) {
  const leaf = stack[0];
  if (leaf.functionName === "(garbage collector)") return "garbage collector";
  if (stack.some((cf) => cf.url.startsWith("node:internal/modules/")))
    return "module loading (resolve, read, compile, evaluate)";
  if (stack.some((cf) => cf.url === "node:child_process" || cf.url.startsWith("node:internal/child_process")))
    return "starting child processes (spawn, pipes)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(leaf.url);
  if (pkg) return `package ${pkg[1]}`;
  if (leaf.url.includes("/dist/")) return "Ballador's own code (dist/)";
  if (leaf.url.startsWith("node:")) return "other node internals (streams, fs, timers)";
  if (leaf.functionName === "(program)") return "(program): V8 and node native";
  return `native: ${leaf.functionName || "?"}`;
}

/**
 * `node --cpu-prof` of bwrap launches: CPU time by activity (see category), and
 * per named Ballador function its inclusive time. Inclusive covers each function's own
 * synchronous stretches: after an await, a callee's work is counted at the callee. Idle time
 * (waiting on child processes) is not CPU time and is left out.
 */
function profiledLaunches(repo, n, dir) {
  const per = new Map();
  const add = (k, ms) => {
    if (!per.has(k)) per.set(k, []);
    per.get(k).push(ms);
  };
  for (let i = 0; i < n; i++) {
    const pdir = join(dir, `prof-${repo.files}-${i}`);
    launchOne(repo, "bwrap", {
      wrap: (id) =>
        run(
          process.execPath,
          ["--cpu-prof", "--cpu-prof-dir", pdir, "--cpu-prof-interval", "250", CLI, "launch", id],
          { cwd: repo.dir, env: repo.env },
        ),
    });
    const file = readdirSync(pdir).find((f) => f.endsWith(".cpuprofile"));
    const prof = JSON.parse(readFileSync(join(pdir, file), "utf8"));
    const nodes = new Map(prof.nodes.map((nd) => [nd.id, nd]));
    const parent = new Map();
    for (const nd of prof.nodes) for (const c of nd.children ?? []) parent.set(c, nd.id);
    const selfMs = new Map();
    for (const [k, id] of prof.samples.entries()) {
      selfMs.set(id, (selfMs.get(id) ?? 0) + prof.timeDeltas[k] / 1000);
    }
    const totals = new Map(PROFILED.map((f) => [`${f}()`, 0]));
    const origins = new Map();
    let cpuTotal = 0;
    for (const [id, ms] of selfMs) {
      const leaf = nodes.get(id).callFrame;
      if (leaf.functionName === "(idle)" || leaf.functionName === "(root)") continue;
      cpuTotal += ms;
      const stack = [];
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) stack.push(nodes.get(cur).callFrame);
      const o = category(stack);
      origins.set(o, (origins.get(o) ?? 0) + ms);
      const seen = new Set();
      for (const cf of stack) {
        const key = `${cf.functionName}()`;
        if (
          cf.url.includes("/dist/") &&
          !cf.url.includes("/node_modules/") &&
          totals.has(key) &&
          !seen.has(key)
        ) {
          seen.add(key);
          totals.set(key, totals.get(key) + ms);
        }
      }
    }
    add("CPU total, all samples but idle", cpuTotal);
    for (const [o, ms] of origins) add(`by activity: ${o}`, ms);
    for (const [f, ms] of totals) add(`inclusive: ${f}`, ms);
  }
  const where = `cpu-prof of ${n} bwrap launches, ${repo.files} files; CPU ms`;
  const rows = [...per].map(([name, list]) => [name, stats([...list, ...Array(n - list.length).fill(0)])]);
  const byActivity = rows
    .filter(([name]) => name.startsWith("by activity: "))
    .sort((a, b) => b[1].median - a[1].median);
  return [
    ...rows.filter(([name]) => name.startsWith("CPU total")),
    ...byActivity.slice(0, 7),
    ...rows.filter(([name, s]) => name.startsWith("inclusive: ") && s.median >= 2),
  ].map(([name, s]) => figure(`${SECTION} cpu`, `${name} (${where})`, s));
}

// ---- 20 agents at once -----------------------------------------------------------------------

/** VmRSS (KiB) of the run supervisors of this state folder, and of them with all descendants. */
function sampleRss(stateDir) {
  const ppid = new Map();
  const supervisors = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      ppid.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      // The bundled supervisor (dist/bundle/supervisor.js), or the unbundled one as a fallback.
      if (/\/(supervisor|supervisor-main)\.js$/.test(argv[1] ?? "") && argv[2]?.startsWith(stateDir))
        supervisors.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  const rss = (pid) => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  };
  const children = new Map();
  for (const [pid, pp] of ppid) {
    if (!children.has(pp)) children.set(pp, []);
    children.get(pp).push(pid);
  }
  const tree = [];
  const stack = [...supervisors];
  while (stack.length > 0) {
    const pid = stack.pop();
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  const supRss = supervisors.map(rss);
  return {
    supervisors: supervisors.length,
    supervisorsKiB: supRss.reduce((a, b) => a + b, 0),
    maxSupervisorKiB: Math.max(0, ...supRss),
    processes: tree.length,
    treeKiB: tree.map(rss).reduce((a, b) => a + b, 0),
  };
}

const mib = (kib) => `${(kib / 1024).toFixed(0)} MiB`;

async function twentyAgents(socket) {
  const COUNT = 20;
  const repo = makeRepo("twenty");
  writeConfig(repo, { socket, mode: "bwrap", maxParallel: COUNT, profile: "scripted" });
  const ids = Array.from({ length: COUNT }, (_, i) => `agent-${String(i + 1).padStart(2, "0")}`);
  writeParts(
    repo,
    ids.map((id) => ({
      id,
      body: trivialScript(id, `written by ${id}\n`),
    })),
  );
  const peak = { supervisors: 0, supervisorsKiB: 0, maxSupervisorKiB: 0, processes: 0, treeKiB: 0 };
  const sampler = setInterval(() => {
    const s = sampleRss(repo.stateDir);
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], s[k]);
  }, 100);
  const start = process.hrtime.bigint();
  let launchMs;
  let allMs = null;
  let states = {};
  try {
    const l = await runAsync(process.execPath, [CLI, "launch", "--json"], { cwd: repo.dir, env: repo.env });
    launchMs = msSince(start);
    const started = JSON.parse(l.stdout).started?.length;
    if (started !== COUNT)
      throw new Error(`launch started ${started} of ${COUNT}:\n${l.stdout.slice(0, 3000)}`);
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const s = await runAsync(process.execPath, [CLI, "status", "--json"], { cwd: repo.dir, env: repo.env });
      states = {};
      for (const t of JSON.parse(s.stdout).tasks) states[t.state] = (states[t.state] ?? 0) + 1;
      if ((states.review ?? 0) === COUNT) {
        allMs = msSince(start);
        break;
      }
      if ((states.failed ?? 0) + (states.blocked ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    clearInterval(sampler);
    killTmux(socket);
  }
  if (allMs === null)
    throw new Error(`20 agents: not all in review: ${JSON.stringify(states)} (repo ${repo.dir})`);
  const rssNote = `peak sum of VmRSS: ${peak.supervisors} supervisors ${mib(peak.supervisorsKiB)} (largest ${mib(peak.maxSupervisorKiB)}); with their ${peak.processes - peak.supervisors} descendants (bwrap, socat, agents, git) ${mib(peak.treeKiB)}`;
  return [
    figure(
      SECTION,
      `ballador launch: ${COUNT} scripted agents at once (bwrap, max_parallel ${COUNT})`,
      launchMs,
      {
        note: `${(launchMs / COUNT).toFixed(0)} ms per agent`,
      },
    ),
    figure(
      SECTION,
      `${COUNT} scripted agents: launch until all ${COUNT} in review (status --json polled)`,
      allMs,
      {
        note: rssNote,
      },
    ),
  ];
}

// ---- the section -----------------------------------------------------------------------------

export const section = {
  name: "launch",
  order: 70,
  description:
    "ballador launch (sandbox none and bwrap) vs bare git worktree add on 200 and 20,000 files; phases of one launch; 20 scripted agents at once",
  async run(ctx) {
    const out = [];
    const sockets = [];
    const socket = (name) => {
      const s = `bl-bench-${process.pid}-${name}`;
      sockets.push(s);
      return s;
    };
    const work = tempDir("ballador-bench-launch-");
    try {
      const overhead = (repo, n) => {
        const s = measureLaunches(repo, n, { dir: work });
        const where = `${repo.files} files`;
        const target = 1.5 * s.bare.median;
        out.push(figure(SECTION, `bare git worktree add (${where})`, s.bare));
        for (const mode of ["none", "bwrap"]) {
          out.push(
            figure(SECTION, `ballador launch <task>, sandbox ${mode} (${where})`, s[mode], {
              target,
              note: `${(s[mode].median / s.bare.median).toFixed(2)}x bare add, +${(s[mode].median - s.bare.median).toFixed(0)} ms`,
            }),
          );
        }
        // Issue 11's comparison: against the worktree add and its tmux session (3x on 200 files,
        // 1.3x on 20,000), with the least any Node launch costs beside it.
        const ratio = repo.files >= 20000 ? 1.3 : 3;
        const vsSession = (x) => `${(x.median / s.session.median).toFixed(2)}x bare add + new-session`;
        out.push(
          figure(SECTION, `bare git worktree add + tmux new-session (${where}) (floor)`, s.session),
          figure(
            SECTION,
            `least Node launch: open SQLite, claim, the same add + new-session (${where})`,
            s.least,
            {
              target: ratio * s.session.median,
              note: vsSession(s.least),
            },
          ),
          figure(SECTION, `ballador launch <task>, sandbox bwrap (${where}), against the floor`, s.bwrap, {
            target: ratio * s.session.median,
            note: vsSession(s.bwrap),
          }),
          figure(
            SECTION,
            `ballador launch <task> --no-wait, sandbox bwrap (${where}): returns once the session is open`,
            s.nowait,
            { target: ratio * s.session.median, note: vsSession(s.nowait) },
          ),
        );
        ctx.log(
          `${where}: bare ${s.bare.median.toFixed(0)} ms, +session ${s.session.median.toFixed(0)} ms, least node ${s.least.median.toFixed(0)} ms, none ${s.none.median.toFixed(0)} ms, bwrap ${s.bwrap.median.toFixed(0)} ms, --no-wait ${s.nowait.median.toFixed(0)} ms`,
        );
      };

      // Small repository: the overhead, its baselines, and where the time goes.
      const N = 7;
      const TRACED = 5;
      const PROFILED_RUNS = 3;
      const small = launchRepo("small", 200, 3 * (N + 1) + TRACED + 1 + PROFILED_RUNS + 1, socket("small"));
      small.files = 200;
      overhead(small, N);
      const spare = small.ids[small.ids.length - 1];
      const floor = ctx.floor();
      const dry = timeCli(small, ["launch", "--dry-run", spare], N);
      const status = timeCli(small, ["status"], N);
      out.push(
        figure(SECTION, "node -e 0 (floor)", floor),
        figure(SECTION, "ballador launch --dry-run <task> (CLI start, store, reconcile, plan)", dry, {
          note: `+${(dry.median - floor).toFixed(0)} ms over floor`,
        }),
        figure(SECTION, "ballador status (CLI start, store open, reconcile, table)", status, {
          note: `+${(status.median - floor).toFixed(0)} ms over floor`,
        }),
      );
      out.push(...tracedLaunches(small, TRACED, work));
      out.push(...profiledLaunches(small, PROFILED_RUNS, work));
      killTmux(small.socket);

      // 20 agents at once.
      out.push(...(await twentyAgents(socket("twenty"))));

      // 20,000 files: last, since it creates the most files.
      const big = launchRepo("big", 20000, 3 * 6 + 3 + 1, socket("big"));
      big.files = 20000;
      overhead(big, 5);
      out.push(...tracedLaunches(big, 3, work));
      killTmux(big.socket);
    } finally {
      for (const s of sockets) killTmux(s);
    }
    for (const f of out)
      ctx.log(`${f.name}: median ${f.median.toFixed(0)} ms${f.note ? ` (${f.note})` : ""}`);
    return out;
  },
};
