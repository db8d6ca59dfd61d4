#!/usr/bin/env node
/**
 * Ballador's benchmark. Runs every section in bench/sections/*.js (each exports
 * `section = { name, order, description, run(ctx) }`, run returning a list of figures made
 * with lib.figure), prints a markdown table and, with --write, appends it to bench/RESULTS.md.
 *
 *   node bench/run.js                    # all sections, 10,000 parts
 *   node bench/run.js --only read        # one section (comma-separate for several)
 *   node bench/run.js --parts 2000       # another size
 *   node bench/run.js --list             # the sections
 *   npm run bench -- --write             # and record the figures in bench/RESULTS.md
 *
 * It measures the built CLI (dist/): run `npm run build` first.
 */
import { appendFileSync, existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  BENCH_DIR,
  ballador,
  cleanupTempDirs,
  DIST,
  generateParts,
  machine,
  makeRepo,
  markdownTable,
  msSince,
  ROOT,
  run,
  stats,
} from "./lib.js";

const RESULTS = join(BENCH_DIR, "RESULTS.md");
const RESULTS_HEADER = `# Ballador benchmark results

Figures from \`bench/run.js\`: a throwaway git repository, ${"`ballador init`"}, N generated parts
with random DAG dependencies (each part needs 0-3 random earlier parts; fixed seed, so every run
builds the same graph). CLI figures are whole processes, wall clock from spawn to exit, as a
person at a shell feels them. "in-process" figures call the built modules (dist/) directly.
Median decides pass/miss against the target. CPU is the median user + system time of the
measured process (for CLI figures, the child and its own children, from /proc at 10 ms
resolution; Linux only): on a busy machine it moves much less than wall time. The load average
at start is recorded with each run; above about half the core count, wall figures are inflated.

Run it (the figures are appended here as a dated section):

\`\`\`sh
npm run build
npm run bench -- --write               # all sections, 10,000 parts
node bench/run.js --only read          # one section: ${"`--list`"} names them
node bench/run.js --parts 2000         # another size
\`\`\`

Targets (issue 3): queue 10,000 parts < 2 s; \`next\` < 100 ms at 10,000 tasks; \`--version\` < 150 ms.
`;

function parseArgs(argv) {
  const opts = { write: false, only: null, parts: 10000, seed: 42, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--write") opts.write = true;
    else if (a === "--list") opts.list = true;
    else if (a.startsWith("--only"))
      opts.only = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a.startsWith("--parts")) opts.parts = Number.parseInt(value(), 10);
    else if (a.startsWith("--seed")) opts.seed = Number.parseInt(value(), 10);
    else if (a === "-h" || a === "--help") {
      console.log("usage: node bench/run.js [--only a,b] [--parts N] [--seed S] [--write] [--list]");
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (!Number.isInteger(opts.parts) || opts.parts < 1) throw new Error("--parts wants a positive integer");
  return opts;
}

async function loadSections() {
  const dir = join(BENCH_DIR, "sections");
  const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
  const sections = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    if (!mod.section?.name || typeof mod.section.run !== "function") {
      throw new Error(`bench/sections/${f} must export section = { name, order, run }`);
    }
    sections.push(mod.section);
  }
  return sections.sort((a, b) => (a.order ?? 1000) - (b.order ?? 1000) || a.name.localeCompare(b.name));
}

/** Warns when dist/ is older than src/: the bench would measure yesterday's code. */
function checkBuild() {
  const main = join(DIST, "cli", "main.js");
  if (!existsSync(main)) throw new Error("dist/ is missing: run `npm run build` first");
  const built = statSync(main).mtimeMs;
  let newest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, "src"));
  if (newest > built)
    console.error("warning: src/ is newer than dist/; run `npm run build` for current figures");
}

/**
 * What sections share: the big repository is built once, lazily. A section that only reads
 * asks for queuedRepo(); the queue section times the queueing itself and calls markQueued().
 * Sections run in `order`; one that changes task states (transition) runs after the readers.
 */
function makeContext(opts) {
  let partsRepo = null;
  let queued = false;
  let floor = null;
  const ctx = {
    parts: opts.parts,
    seed: opts.seed,
    log: (msg) => console.error(`  ${msg}`),
    partsRepo() {
      if (!partsRepo) {
        const start = process.hrtime.bigint();
        partsRepo = makeRepo("big");
        generateParts(partsRepo, opts.parts, { seed: opts.seed });
        ctx.log(`generated ${opts.parts} parts in ${msSince(start).toFixed(0)} ms (${partsRepo.dir})`);
      }
      return partsRepo;
    },
    queuedRepo() {
      const repo = ctx.partsRepo();
      if (!queued) {
        ballador(repo, ["queue"]);
        queued = true;
      }
      return repo;
    },
    markQueued() {
      queued = true;
    },
    /** Median wall time of `node -e 0`: what any Node CLI pays before loading a line of its own. */
    floor() {
      if (floor === null)
        floor = stats(Array.from({ length: 10 }, () => run(process.execPath, ["-e", "0"]).ms)).median;
      return floor;
    },
    setFloor(ms) {
      floor = ms;
    },
  };
  return ctx;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const sections = await loadSections();
  if (opts.list) {
    for (const s of sections) console.log(`${s.name.padEnd(14)} ${s.description ?? ""}`);
    return;
  }
  const unknown = (opts.only ?? []).filter((n) => !sections.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new Error(`no section ${unknown.join(", ")}; sections: ${sections.map((s) => s.name).join(", ")}`);
  }
  checkBuild();
  const chosen = opts.only ? sections.filter((s) => opts.only.includes(s.name)) : sections;
  const m = machine();
  if (Number(m.load) > m.cores / 2) {
    console.error(
      `warning: load average ${m.load} on ${m.cores} cores; figures will be noisy (recorded with them)`,
    );
  }
  const ctx = makeContext(opts);
  const figures = [];
  const started = process.hrtime.bigint();
  try {
    for (const s of chosen) {
      console.error(`[${s.name}] ${s.description ?? ""}`);
      const t = process.hrtime.bigint();
      figures.push(...(await s.run(ctx)));
      console.error(`  (${(msSince(t) / 1000).toFixed(1)} s)`);
    }
  } finally {
    cleanupTempDirs();
  }
  const total = msSince(started) / 1000;
  const date = new Date().toISOString();
  const machineLine = `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}; Node ${m.node}, SQLite ${m.sqlite}; load average at start ${m.load}`;
  const table = markdownTable(figures);
  const section = [
    `## ${date.slice(0, 10)} (${date})`,
    "",
    `- Machine: ${machineLine}`,
    `- Size: ${opts.parts} parts (seed ${opts.seed}); sections: ${chosen.map((s) => s.name).join(", ")}; bench took ${total.toFixed(1)} s`,
    "",
    table,
    "",
  ].join("\n");
  console.log(`\n${section}`);
  const misses = figures.filter((f) => f.pass === false);
  if (opts.write) {
    if (!existsSync(RESULTS)) writeFileSync(RESULTS, RESULTS_HEADER);
    appendFileSync(RESULTS, `\n${section}`);
    console.error(`appended to ${RESULTS}`);
  }
  if (misses.length > 0) console.error(`${misses.length} figure(s) missed their target`);
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanupTempDirs();
    process.exit(130);
  });
}

main().catch((err) => {
  cleanupTempDirs();
  console.error(`bench: ${err.stack ?? err}`);
  process.exit(1);
});
