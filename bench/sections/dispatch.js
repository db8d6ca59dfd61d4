/**
 * Dispatch (issue 11): from the command to the agent's first act, sandbox off, for 1 and for 5
 * tasks on a 200-file repository, `ballador launch` against a stand-in with Groundcrew's count
 * of calls (bench/dispatch-standin.js: one Node process, per task 4 git and 2 tmux, the agent
 * started directly in its session). Groundcrew itself needs Node 24 and packages the registry
 * does not have, so it is not built here. The agent's first act is writing a file in its
 * worktree; both sides are timed until every task's file exists. Target: Ballador faster.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BENCH_DIR,
  ballador,
  CLI,
  figure,
  killTmux,
  makeRepo,
  msSince,
  run,
  runAsync,
  stats,
} from "../lib.js";

const SECTION = "dispatch";
const AGENT = "touch started; exec sleep 60";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function dispatchRepo(socket, tasks) {
  const repo = makeRepo("dispatch");
  for (let d = 0; d < 2; d++) {
    const dir = join(repo.dir, "src", `m${d}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 100; i++) writeFileSync(join(dir, `f${i}.js`), `export const v = ${d * 100 + i};\n`);
  }
  repo.wt = join(repo.base, "wt");
  writeFileSync(
    join(repo.dir, ".ballador", "config.yaml"),
    [
      "base: main",
      `tmux_socket: ${socket}`,
      `worktree_root: ${repo.wt}`,
      "max_parallel: 100",
      "agents:",
      "  default: first",
      "  profiles:",
      `    first: { command: ["sh", "-c", ${JSON.stringify(AGENT)}], prompt: file }`,
      "sandbox:",
      "  mode: none",
      "",
    ].join("\n"),
  );
  const parts = join(repo.dir, ".ballador", "parts", "bench");
  mkdirSync(parts, { recursive: true });
  repo.ids = Array.from({ length: tasks }, (_, i) => `d${String(i).padStart(3, "0")}`);
  for (const id of repo.ids)
    writeFileSync(join(parts, `${id}.md`), `---\nid: ${id}\ntitle: "Dispatch ${id}"\n---\nGo.\n`);
  run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
  run("git", ["commit", "-q", "-m", "200 files, config, parts"], { cwd: repo.dir, env: repo.env });
  ballador(repo, ["queue"]);
  return repo;
}

/** Runs `argv` and returns the ms until every `files` exists (the command may still run). */
async function untilStarted(repo, argv, files) {
  const start = process.hrtime.bigint();
  const done = runAsync(argv[0], argv.slice(1), { cwd: repo.dir, env: repo.env });
  let failed = null;
  done.catch((err) => {
    failed = err;
  });
  const deadline = Date.now() + 30_000;
  while (!files.every((f) => existsSync(f))) {
    if (failed) throw failed;
    if (Date.now() > deadline)
      throw new Error(`dispatch: not started in 30 s: ${files.filter((f) => !existsSync(f))}`);
    await sleep(2);
  }
  const ms = msSince(start);
  await done;
  return ms;
}

export const section = {
  name: SECTION,
  order: 76,
  description:
    "issue 11: dispatch of 1 and 5 tasks (sandbox off) vs a stand-in with Groundcrew's git and tmux calls",
  async run(ctx) {
    const out = [];
    const socket = `bl-bench-${process.pid}-dispatch`;
    const ROUNDS = 5;
    const repo = dispatchRepo(socket, ROUNDS * 6 + 6);
    let standinNo = 0;
    try {
      for (const n of [1, 5]) {
        const ours = [];
        const theirs = [];
        for (let round = -1; round < ROUNDS; round++) {
          const ids = repo.ids.splice(0, n);
          const mine = ids.map((id) => join(repo.wt, id, "started"));
          const names = ids.map(() => `s${standinNo++}`);
          const stand = names.map((id) => join(repo.base, "standin", id, "started"));
          mkdirSync(join(repo.base, "standin"), { recursive: true });
          // Alternated, so that a noisy moment or a warmer cache favours neither.
          const ballador = () => untilStarted(repo, [process.execPath, CLI, "launch", ...ids], mine);
          const standin = () =>
            untilStarted(
              repo,
              [
                process.execPath,
                join(BENCH_DIR, "dispatch-standin.js"),
                repo.dir,
                join(repo.base, "standin"),
                socket,
                AGENT,
                ...names,
              ],
              stand,
            );
          let a = 0;
          let b = 0;
          if (round % 2 === 0) {
            a = await ballador();
            b = await standin();
          } else {
            b = await standin();
            a = await ballador();
          }
          if (round >= 0) {
            ours.push(a);
            theirs.push(b);
          }
        }
        const t = stats(theirs);
        const o = stats(ours);
        out.push(
          figure(
            SECTION,
            `${n} task${n > 1 ? "s" : ""}: stand-in, Groundcrew's calls (4 git + 2 tmux each), to the agent's first act`,
            t,
          ),
          figure(
            SECTION,
            `${n} task${n > 1 ? "s" : ""}: ballador launch, sandbox none, to the agent's first act`,
            o,
            {
              target: t.median,
              note: `${(o.median / t.median).toFixed(2)}x the stand-in`,
            },
          ),
        );
      }
    } finally {
      killTmux(socket);
    }
    for (const f of out)
      ctx.log(`${f.name}: median ${f.median.toFixed(0)} ms${f.note ? ` (${f.note})` : ""}`);
    return out;
  },
};
