/**
 * Helpers shared by the benchmark sections: timing, statistics, throwaway repositories,
 * generated parts, machine facts and the markdown table.
 *
 * Plain ESM JavaScript on purpose: the bench runs against the built CLI (dist/) and needs no
 * compile step of its own.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH_DIR, "..");
export const CLI = join(ROOT, "bin", "ballador.js");
export const DIST = join(ROOT, "dist");

// ---- timing ------------------------------------------------------------------------------

/** Milliseconds since `start` (a process.hrtime.bigint() value). */
export function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Times a synchronous or async function once, in milliseconds. */
export async function timeOnce(fn) {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: msSince(start), value };
}

/**
 * Runs fn `n` times (after `warmup` untimed runs) and returns the wall times in milliseconds,
 * with this process's CPU time per run (user + system) attached as `.cpu`.
 */
export async function sample(n, fn, { warmup = 0 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = [];
  samples.cpu = [];
  for (let i = 0; i < n; i++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await fn(i);
    samples.push(msSince(start));
    const used = process.cpuUsage(cpu);
    samples.cpu.push((used.user + used.system) / 1000);
  }
  return samples;
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Median, min and max of wall times; `cpu` (CPU ms per sample, optional) adds its median. */
export function stats(samples, cpu = samples.cpu) {
  const s = [...samples].sort((a, b) => a - b);
  const known = (cpu ?? []).filter((c) => c !== null && c !== undefined);
  return {
    n: s.length,
    median: median(s),
    min: s[0],
    max: s[s.length - 1],
    cpu: known.length === s.length && known.length > 0 ? median(known) : null,
  };
}

/**
 * CPU time (user + system, ms) used so far by this process's waited-for children and their
 * own waited-for children: Linux /proc/self/stat cutime + cstime, in clock ticks (10 ms).
 * null elsewhere. Less sensitive than wall time to other work on a busy machine.
 */
export function childCpuMs() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
    return (Number(fields[13]) + Number(fields[14])) * (1000 / CLK_TCK);
  } catch {
    return null;
  }
}

const CLK_TCK = 100; // USER_HZ: 100 on every mainstream Linux build

/**
 * Runs a command to completion and returns its wall-clock time (spawn to exit, as a person
 * at a shell would feel it) with its output. Throws when it exits non-zero, so a broken
 * command never passes as a fast one.
 */
export function run(cmd, args, { cwd, env, allowFail = false, maxBuffer = 512 * 1024 * 1024 } = {}) {
  const cpuBefore = childCpuMs();
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env: env ?? process.env, encoding: "utf8", maxBuffer });
  const ms = msSince(start);
  const cpuAfter = childCpuMs();
  const cpuMs = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${r.status ?? r.signal} in ${cwd ?? process.cwd()}\n${r.stderr}${r.stdout.slice(0, 2000)}`,
    );
  }
  return { ms, cpuMs, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `node bin/ballador.js ...args` in `repo`, timed. */
export function ballador(repo, args, opts = {}) {
  return run(process.execPath, [CLI, ...args], { cwd: repo.dir, env: repo.env, ...opts });
}

/** Times the same CLI call n times (plus warmup runs) and returns stats. */
export function timeCli(repo, args, n, { warmup = 1, check } = {}) {
  for (let i = 0; i < warmup; i++) ballador(repo, args);
  const samples = [];
  const cpu = [];
  for (let i = 0; i < n; i++) {
    const r = ballador(repo, args);
    if (check && i === 0) check(r);
    samples.push(r.ms);
    cpu.push(r.cpuMs);
  }
  return stats(samples, cpu);
}

// ---- repositories ------------------------------------------------------------------------

const tempDirs = new Set();

export function tempDir(prefix = "ballador-bench-") {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function cleanupTempDirs() {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * A fresh git repository (branch main, one commit) with `ballador init` run in it.
 * The environment isolates it from the person's own configuration.
 */
export function makeRepo(name = "repo") {
  const base = tempDir();
  const dir = join(base, name);
  mkdirSync(dir);
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(base, "xdg-config"),
    GIT_AUTHOR_NAME: "bench",
    GIT_AUTHOR_EMAIL: "bench@example.invalid",
    GIT_COMMITTER_NAME: "bench",
    GIT_COMMITTER_EMAIL: "bench@example.invalid",
    GIT_CONFIG_NOSYSTEM: "1",
    NO_COLOR: "1",
  };
  delete env.BALLADOR_STATE_DIR;
  mkdirSync(env.XDG_CONFIG_HOME);
  run("git", ["init", "-q", "-b", "main"], { cwd: dir, env });
  writeFileSync(join(dir, "README.md"), "bench repo\n");
  run("git", ["add", "README.md"], { cwd: dir, env });
  run("git", ["commit", "-q", "-m", "init"], { cwd: dir, env });
  const repo = { base, dir, env, stateDir: join(dir, ".ballador", "state") };
  ballador(repo, ["init"]);
  return repo;
}

// ---- generated parts ---------------------------------------------------------------------

/** mulberry32: a small, fixed-seed PRNG so every run generates the same graph. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function partId(i) {
  return `p${String(i).padStart(5, "0")}`;
}

/**
 * Writes `count` part files into <repo>/.ballador/parts/<folder>/. Part i needs 0-3 distinct
 * random earlier parts, so the graph is a DAG by construction. Returns the graph in memory.
 */
export function generateParts(repo, count, { seed = 42, folder = "bench" } = {}) {
  const rand = prng(seed);
  const dir = join(repo.dir, ".ballador", "parts", folder);
  mkdirSync(dir, { recursive: true });
  const parts = [];
  for (let i = 0; i < count; i++) {
    const k = i === 0 ? 0 : Math.min(i, Math.floor(rand() * 4));
    const needs = new Set();
    while (needs.size < k) needs.add(partId(Math.floor(rand() * i)));
    const id = partId(i);
    const priority = Math.floor(rand() * 5);
    const area = Math.floor(rand() * 50);
    const part = { id, needs: [...needs], priority };
    parts.push(part);
    writeFileSync(
      join(dir, `${id}.md`),
      [
        "---",
        `id: ${id}`,
        `title: "Bench part ${i}"`,
        `needs: [${part.needs.join(", ")}]`,
        `priority: ${priority}`,
        `scope: ["src/area${area}/**"]`,
        "---",
        `Goal: benchmark part ${i}. Touch src/area${area} only.`,
        "",
        "Acceptance: the verify command passes.",
        "",
      ].join("\n"),
    );
  }
  return parts;
}

// ---- machine -----------------------------------------------------------------------------

export function machine() {
  const cpus = os.cpus();
  let sqlite = "unknown";
  try {
    const require = createRequire(join(ROOT, "package.json"));
    const Database = require("better-sqlite3");
    const db = new Database(":memory:");
    sqlite = db.prepare("select sqlite_version() as v").get().v;
    db.close();
  } catch (err) {
    sqlite = `unavailable (${err.message})`;
  }
  return {
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    cores: cpus.length,
    ramGiB: (os.totalmem() / 1024 ** 3).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sqlite,
    /** 1-minute load average when the bench started: other work on the machine skews every figure. */
    load: os.loadavg()[0].toFixed(2),
  };
}

// ---- reporting ---------------------------------------------------------------------------

/**
 * One figure. `median`/`min`/`max` in ms (a single measurement sets all three);
 * `target` in ms or null (informational figure).
 */
export function figure(section, name, s, { target = null, note = "", unit = "ms" } = {}) {
  const single = typeof s === "number";
  const st = single ? { n: 1, median: s, min: s, max: s, cpu: null } : s;
  return {
    section,
    name,
    n: st.n,
    median: st.median,
    min: st.min,
    max: st.max,
    cpu: st.cpu ?? null,
    target,
    pass: target === null ? null : unit === "ms" ? st.median < target : st.median <= target,
    note,
    unit,
  };
}

const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

export function markdownTable(figures) {
  const rows = [
    ["Section", "Measure", "N", "Median", "Min", "Max", "CPU", "Target", "Result"],
    ...figures.map((f) => {
      // A count (git processes, say) is shown as the number it is, not as milliseconds.
      // A memory figure is shown in its unit (MiB).
      const fmt =
        f.unit === "count" ? (v) => String(v) : f.unit === "ms" ? fmtMs : (v) => `${v.toFixed(1)} ${f.unit}`;
      return [
        f.section,
        f.name + (f.note ? ` (${f.note})` : ""),
        String(f.n),
        fmt(f.median),
        fmt(f.min),
        fmt(f.max),
        f.cpu === null ? "" : fmt(f.cpu),
        f.target === null ? "" : `${f.unit === "ms" ? "<" : "<="} ${fmt(f.target)}`,
        f.pass === null ? "" : f.pass ? "pass" : "**MISS**",
      ];
    }),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

/** An async spawn (keeps the event loop free for sampling): wall time, stdout and stderr; rejects on a non-zero exit. */
export function runAsync(file, args, { cwd, env }) {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0)
        reject(new Error(`${args.join(" ")} exited ${code}: ${stderr}${stdout.slice(0, 2000)}`));
      else resolvePromise({ ms: msSince(start), stdout, stderr });
    });
  });
}

/** Ends a bench's own tmux server and removes its socket. */
export function killTmux(socket) {
  run("tmux", ["-L", socket, "kill-server"], { allowFail: true });
  const dir = join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid?.() ?? 0}`);
  rmSync(join(dir, socket), { force: true });
}

/** A scripted agent's part body: write out/<id>.txt, commit it, report done (the trivial task). */
export function trivialScript(id, content = `${id}\n`) {
  return [
    "Goal: write a file, commit it, report done.",
    "",
    "```ballador-script",
    "steps:",
    `  - write: { path: out/${id}.txt, content: ${JSON.stringify(content)} }`,
    `  - commit: "bench: ${id}"`,
    `  - done: { summary: "out/${id}.txt" }`,
    "```",
  ].join("\n");
}
