/**
 * Host git processes per trivial task, per stage (issue 35): a logging `git` first on PATH
 * records every git process Ballador starts on the host (the agent's own git inside bubblewrap
 * runs in another mount namespace and is left out), and the task store's timestamps split
 * them into stages:
 * - launch/claim: the `ballador launch` process;
 * - provision: the supervisor, before the agent started;
 * - supervise + adopt: until the task moved to verifying (the agent's commits adopted);
 * - verify: until review (the clean verification, when `verify` is set);
 * - brief: after review (the review brief, its conflicts and facts);
 * - merge: `ballador merge` of the verified task (verify set only).
 * Counts, not times: the wrapper's own cost would drown a timing.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ballador, CLI, figure, killTmux, makeRepo, ROOT, run, tempDir, trivialScript } from "../lib.js";

const SECTION = "git-count";
const require = createRequire(join(ROOT, "package.json"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A `git` that logs (time, parent command, cwd, arguments) when run in this mount namespace. */
function loggingGit(dir, log) {
  const real = run("sh", ["-c", "command -v git"]).stdout.trim();
  const ns = run("readlink", ["/proc/self/ns/mnt"]).stdout.trim();
  const file = join(dir, "git");
  writeFileSync(
    file,
    [
      "#!/bin/sh",
      `if [ "$(readlink /proc/self/ns/mnt)" = "${ns}" ]; then`,
      `  printf '%s\\t%s\\t%s\\n' "$(date +%s.%N)" "$(tr '\\0' ' ' < /proc/$PPID/cmdline | cut -c1-200)" "$*" >> ${log}`,
      "fi",
      `exec ${real} "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(file, 0o755);
}

function writeSetup(repo, socket, verify) {
  writeFileSync(
    join(repo.dir, ".ballador", "config.yaml"),
    [
      "base: main",
      `tmux_socket: ${socket}`,
      "max_parallel: 1",
      "agents:",
      "  default: bench",
      "  profiles:",
      "    bench: { preset: scripted }",
      "sandbox:",
      "  mode: bwrap",
      "  allow_hosts: []",
      ...(verify ? ['verify: "test -f README.md"'] : []),
      "",
    ].join("\n"),
  );
  const dir = join(repo.dir, ".ballador", "parts", "bench");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "t0.md"), `---\nid: t0\ntitle: "Bench t0"\n---\n${trivialScript("t0")}\n`);
  run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
  run("git", ["commit", "-q", "-m", "setup"], { cwd: repo.dir, env: repo.env });
  ballador(repo, ["queue"]);
}

/** When the run's agent started, and when the task moved to verifying and to review (seconds). */
function milestones(repo) {
  const Database = require("better-sqlite3");
  const db = new Database(join(repo.stateDir, "ballador.db"), { readonly: true });
  try {
    const runRow = db.prepare("SELECT agent_started_at AS a FROM runs WHERE task_id = 't0'").get();
    const at = (to) => db.prepare("SELECT at FROM events WHERE task_id = 't0' AND to_state = ?").get(to)?.at;
    const secs = (iso) => (iso ? Date.parse(iso) / 1000 : Number.POSITIVE_INFINITY);
    return { agent: secs(runRow?.a), verifying: secs(at("verifying")), review: secs(at("review")) };
  } finally {
    db.close();
  }
}

async function waitReview(repo) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const m = milestones(repo);
    if (Number.isFinite(m.review)) return m;
    await sleep(100);
  }
  throw new Error(`git-count: t0 never reached review (${repo.dir})`);
}

/** One trivial task launched to review (and merged, with verify): git processes per stage. */
export async function countStages(verify, socket) {
  const repo = makeRepo(verify ? "count-verify" : "count");
  writeSetup(repo, socket, verify);
  const wrap = tempDir("ballador-bench-gitwrap-");
  const log = join(wrap, "calls.log");
  writeFileSync(log, "");
  loggingGit(wrap, log);
  const env = { ...repo.env, PATH: `${wrap}:${repo.env.PATH}` };
  try {
    run(process.execPath, [CLI, "launch", "--json"], { cwd: repo.dir, env });
    const m = await waitReview(repo);
    await sleep(1500); // the brief is written after the move to review
    const beforeMerge = Date.now() / 1000;
    if (verify) run(process.execPath, [CLI, "merge", "t0", "--json"], { cwd: repo.dir, env });
    const counts = { "launch/claim": 0, provision: 0, "supervise + adopt": 0, verify: 0, brief: 0, merge: 0 };
    const calls = [];
    for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean)) {
      const [t, parent, args] = line.split("\t");
      const at = Number(t);
      const stage = / launch( |$)/.test(parent)
        ? "launch/claim"
        : at >= beforeMerge
          ? "merge"
          : at < m.agent
            ? "provision"
            : at < m.verifying
              ? "supervise + adopt"
              : at < m.review
                ? "verify"
                : "brief";
      counts[stage]++;
      calls.push(`${stage}\t${args.replace(/-c [^ ]+ /g, "")}`);
    }
    return { counts, calls };
  } finally {
    killTmux(socket);
  }
}

export const section = {
  name: SECTION,
  order: 74,
  description:
    "issue 35: host git processes per trivial task, per stage (launch, provision, adopt, verify, brief, merge)",
  async run(ctx) {
    const out = [];
    const socket = (name) => `bl-bench-${process.pid}-${name}`;
    for (const verify of [false, true]) {
      const { counts, calls } = await countStages(verify, socket(verify ? "gcv" : "gc"));
      if (process.env.BENCH_GIT_CALLS) ctx.log(`\n${calls.join("\n")}`);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const label = verify ? "verify set" : "no verify";
      for (const [stage, n] of Object.entries(counts)) {
        if (!verify && stage === "merge") continue;
        out.push(figure(SECTION, `git processes, ${label}: ${stage}`, n, { unit: "count" }));
      }
      out.push(figure(SECTION, `git processes, ${label}: whole task`, total, { unit: "count" }));
      ctx.log(`${label}: ${JSON.stringify(counts)} = ${total}`);
    }
    return out;
  },
};
