/**
 * The cost of a run (issue 35), each Ballador figure beside its floor measured in the same run:
 * - 20 trivial tasks, max_parallel 20, bubblewrap, from the downbeat to all in review, against
 *   bare `git worktree add` + `tmux new-session` + `bwrap` running the same scripted agent (its
 *   write and commit steps), with the same done report written by hand (target 1.5x);
 * - the same with `verify` set, against that floor plus the same verify command run in bwrap
 *   in a fresh clean checkout (`git worktree add --detach`, removed after) (target 1.5x);
 * - 5 tasks with a 3 s bootstrap: the last agent started within 3.5 s of the downbeat.
 * The floor's agent is the one Ballador's tasks run (dist's bundle, under the same Node), so
 * the ratio is Ballador's own share, not Node against `sh` (issue 11's floor).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
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
  trivialScript,
} from "../lib.js";
import { bootstrapFive } from "./parallel.js";

const SECTION = "cost-launch";
const require = createRequire(join(ROOT, "package.json"));
const AGENT = join(ROOT, "bin", "ballador-scripted-agent.js");
/** The verify command both sides run: trivial, so what is measured is the clean checkout around it. */
const VERIFY = "test -f README.md";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A cpuacct cgroup (v1, as root) that holds everything one side starts: the tmux server the
 * first client forks, every session's processes, git. Its CPU is the side's whole CPU, wall
 * time on a busy machine aside. Without a writable cgroup, no CPU figure (null).
 */
function cpuGroup(name) {
  const dir = join("/sys/fs/cgroup/cpuacct", `ballador-bench-${process.pid}-${name}`);
  try {
    mkdirSync(dir);
  } catch {
    return { run: (file, args, opts) => runAsync(file, args, opts), usedMs: () => null, close() {} };
  }
  const enter = `echo $$ > ${join(dir, "cgroup.procs")} && exec "$@"`;
  return {
    run: (file, args, opts) => runAsync("sh", ["-c", enter, "sh", file, ...args], opts),
    usedMs: () => Number(readFileSync(join(dir, "cpuacct.usage"), "utf8")) / 1e6,
    close() {
      // The processes end once their tmux server is killed (slowly on a loaded machine); a group
      // with none left is removed.
      for (let i = 0; i < 300; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch {
          spawnSync("sleep", ["0.1"]);
        }
      }
    },
  };
}

const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;

// ---- the floor ---------------------------------------------------------------------------------

/** What runs in one floor session: the agent in bwrap, the report by hand, maybe a clean verify. */
function floorCommand(repo, { path, script, report, mark, verifyTree }) {
  // The bench's folders are under /tmp, which the jail replaces: each one it needs is bound.
  const jail = (binds, inner) =>
    [
      "bwrap --ro-bind / / --tmpfs /tmp",
      `--ro-bind ${join(script, "..")} ${join(script, "..")}`,
      ...binds.map((b) => `--bind ${b} ${b}`),
      "--dev /dev --proc /proc --unshare-all --die-with-parent",
      `--chdir ${binds.at(-1)}`,
      `sh -c ${q(inner)}`,
    ].join(" ");
  const at = `$(date -u +%Y-%m-%dT%H:%M:%SZ)`;
  const agent = `${q(process.execPath)} ${q(AGENT)} --script ${q(script)} && printf '{"kind":"done","text":"out","at":"%s"}' "${at}" > ${report}`;
  const steps = [jail([repo.dir, join(report, ".."), path], agent)];
  if (verifyTree) {
    // Concurrent adds can catch another's admin folder half made: retried, as Ballador does.
    const add = `git -C ${repo.dir} worktree add --detach --quiet ${verifyTree} $(git -C ${path} rev-parse HEAD)`;
    steps.push(
      `{ for n in 1 2 3 4 5 6 7 8; do ${add} 2>/dev/null && break; sleep 0.$n; done; test -d ${verifyTree}; }`,
      jail([verifyTree], VERIFY),
      `git -C ${repo.dir} worktree remove --force ${verifyTree}`,
    );
  }
  return `${steps.join(" && ")} && touch ${mark} || touch ${mark}.failed`;
}

/** `git worktree add` for a new branch, retried: concurrent adds can catch another's admin folder half made. */
async function addTree(repo, path, branch, group) {
  for (let attempt = 0; ; attempt++) {
    const made = attempt > 0 && existsSync(join(repo.dir, ".git", "refs", "heads", ...branch.split("/")));
    const args = made
      ? ["worktree", "add", "-q", path, branch]
      : ["worktree", "add", "-q", "-b", branch, path, "main"];
    try {
      await group.run("git", args, { cwd: repo.dir, env: repo.env });
      return;
    } catch (err) {
      if (attempt >= 8 || !/commondir|gitdir|lock/.test(String(err))) throw err;
      await sleep(20 + Math.random() * 80);
    }
  }
}

export async function sameAgentFloor(count, socket, { verify = false } = {}) {
  const repo = makeRepo("floor");
  const dirs = Object.fromEntries(
    ["wt", "marks", "scripts", "inbox", "verify"].map((d) => [d, join(repo.base, d)]),
  );
  for (const d of Object.values(dirs)) mkdirSync(d);
  for (let i = 0; i < count; i++) {
    writeFileSync(
      join(dirs.scripts, `t${i}.yaml`),
      `steps:\n  - write: { path: out/t${i}.txt, content: "t${i}\\n" }\n  - commit: "bench: t${i}"\n`,
    );
    mkdirSync(join(dirs.inbox, `t${i}`));
  }
  const group = cpuGroup(socket);
  const start = process.hrtime.bigint();
  await group.run("tmux", ["-L", socket, "new-session", "-d", "-s", "keeper", "sleep 600"], {
    cwd: repo.dir,
    env: repo.env,
  });
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const path = join(dirs.wt, `t${i}`);
      await addTree(repo, path, `bare/t${i}`, group);
      const command = floorCommand(repo, {
        path,
        script: join(dirs.scripts, `t${i}.yaml`),
        report: join(dirs.inbox, `t${i}`, "done.json"),
        mark: join(dirs.marks, `t${i}`),
        verifyTree: verify ? join(dirs.verify, `t${i}`) : null,
      });
      await group.run("tmux", ["-L", socket, "new-session", "-d", "-s", `t${i}`, command], {
        cwd: repo.dir,
        env: repo.env,
      });
    }),
  );
  const deadline = Date.now() + 120_000;
  let done = 0;
  while (Date.now() < deadline) {
    done = 0;
    for (let i = 0; i < count; i++) if (existsSync(join(dirs.marks, `t${i}`))) done++;
    if (done === count) break;
    const failed = Array.from({ length: count }, (_, i) => `t${i}`).filter((t) =>
      existsSync(join(dirs.marks, `${t}.failed`)),
    );
    if (failed.length > 0) throw new Error(`floor: ${failed.join(", ")} failed (${repo.base})`);
    await sleep(10);
  }
  const ms = msSince(start);
  const cpu = group.usedMs();
  killTmux(socket);
  group.close();
  if (done !== count) throw new Error(`floor: ${count - done} of ${count} never finished (${repo.base})`);
  return { ms, cpu };
}

// ---- Ballador ----------------------------------------------------------------------------------

/** Waits until every task is in review, reading the store read-only (no CLI process per poll). */
async function allInReview(repo, count, startedAt) {
  const Database = require("better-sqlite3");
  const deadline = Date.now() + 180_000;
  let db = null;
  let states = {};
  try {
    while (Date.now() < deadline) {
      db ??= new Database(join(repo.stateDir, "ballador.db"), { readonly: true, fileMustExist: true });
      states = {};
      for (const r of db.prepare("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state").all())
        states[r.state] = r.n;
      if ((states.review ?? 0) === count) return msSince(startedAt);
      if ((states.failed ?? 0) + (states.blocked ?? 0) > 0) {
        const why = db
          .prepare("SELECT task_id, cause, detail FROM events WHERE to_state IN ('failed', 'blocked')")
          .all();
        throw new Error(
          `not all ${count} in review: ${JSON.stringify(states)}: ${JSON.stringify(why)}\n${sessionTails(repo, why)}`,
        );
      }
      await sleep(10);
    }
  } finally {
    db?.close();
  }
  throw new Error(`not all ${count} in review: ${JSON.stringify(states)} (repo ${repo.dir})`);
}

/** The end of each failed task's session log: what the agent said before it exited. */
function sessionTails(repo, why) {
  const runs = join(repo.stateDir, "runs");
  const failed = new Set(why.map((w) => w.task_id));
  const out = [];
  for (const run of existsSync(runs) ? readdirSync(runs) : []) {
    if (![...failed].some((t) => run.startsWith(`${t}-`))) continue;
    for (const f of ["session.log", "launch.log"]) {
      const file = join(runs, run, f);
      if (existsSync(file)) out.push(`--- ${run}/${f}\n${readFileSync(file, "utf8").slice(-1500)}`);
    }
  }
  return out.join("\n");
}

export async function balladorTasks(count, socket, { verify = false } = {}) {
  const repo = makeRepo("ours");
  writeFileSync(
    join(repo.dir, ".ballador", "config.yaml"),
    [
      "base: main",
      `tmux_socket: ${socket}`,
      `max_parallel: ${count}`,
      "agents:",
      "  default: bench",
      "  profiles:",
      "    bench: { preset: scripted }",
      "sandbox:",
      "  mode: bwrap",
      "  allow_hosts: []",
      ...(verify ? [`verify: ${JSON.stringify(VERIFY)}`] : []),
      "",
    ].join("\n"),
  );
  const dir = join(repo.dir, ".ballador", "parts", "bench");
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++)
    writeFileSync(
      join(dir, `t${i}.md`),
      `---\nid: t${i}\ntitle: "Bench t${i}"\n---\n${trivialScript(`t${i}`)}\n`,
    );
  run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
  run("git", ["commit", "-q", "-m", "setup"], { cwd: repo.dir, env: repo.env });
  ballador(repo, ["queue"]);
  const group = cpuGroup(socket);
  const start = process.hrtime.bigint();
  try {
    await group.run(process.execPath, [CLI, "launch", "--json"], { cwd: repo.dir, env: repo.env });
    const ms = await allInReview(repo, count, start);
    // The supervisors write the brief and end after the move to review: their CPU counts too.
    await sleep(3000);
    return { ms, cpu: group.usedMs() };
  } finally {
    killTmux(socket);
    group.close();
  }
}

export const section = {
  name: SECTION,
  order: 76,
  description:
    "issue 35: 20 tasks (and with verify) vs bare git+tmux+bwrap running the same scripted agent; 5 slow bootstraps (3.5 s)",
  async run(ctx) {
    const out = [];
    const socket = (name) => `bl-bench-${process.pid}-${name}`;
    const COUNT = 20;
    const reps = Number(process.env.BENCH_COST_REPS ?? 3);
    for (const verify of [false, true]) {
      const floor = [];
      const ours = [];
      const failures = [];
      for (let i = 0; i < reps; i++) {
        const tag = `${verify ? "v" : "p"}${i}`;
        floor.push(await sameAgentFloor(COUNT, socket(`floor${tag}`), { verify }));
        try {
          ours.push(await balladorTasks(COUNT, socket(`ours${tag}`), { verify }));
        } catch (err) {
          // Recorded, not hidden: the note says how many runs had to be repeated and why.
          failures.push(String(err).split("\n")[0].slice(0, 200));
          ctx.log(String(err).slice(0, 6000));
          ours.push(await balladorTasks(COUNT, socket(`ours${tag}r`), { verify }));
        }
      }
      const f = stats(
        floor.map((x) => x.ms),
        floor.map((x) => x.cpu),
      );
      const o = stats(
        ours.map((x) => x.ms),
        ours.map((x) => x.cpu),
      );
      const what = verify ? `, verify set` : "";
      out.push(
        figure(
          SECTION,
          `${COUNT} at once: git worktree add + tmux + bwrap, the same scripted agent, report by hand${verify ? ", then the verify command in a fresh clean checkout" : ""} (floor)`,
          f,
        ),
        figure(
          SECTION,
          `${COUNT} trivial tasks, max_parallel ${COUNT}, bwrap${what}: launch to all in review`,
          o,
          {
            target: 1.5 * f.median,
            note: [
              `${(o.median / f.median).toFixed(2)}x the floor`,
              o.cpu && f.cpu
                ? `CPU ${(o.cpu / f.cpu).toFixed(2)}x the floor's, ${((o.cpu - f.cpu) / COUNT).toFixed(0)} ms of Ballador's own per task`
                : null,
              failures.length
                ? `${failures.length} run(s) repeated: ${failures.join("; ").slice(0, 300)}`
                : null,
            ]
              .filter(Boolean)
              .join("; "),
          },
        ),
      );
      ctx.log(`20 tasks${what}: floor ${f.median.toFixed(0)} ms, ballador ${o.median.toFixed(0)} ms`);
    }
    const boots = [];
    for (let i = 0; i < reps; i++) boots.push(await bootstrapFive(socket(`boot${i}`)));
    out.push(
      figure(
        SECTION,
        "5 tasks with a 3 s bootstrap: the last agent started after the downbeat",
        stats(boots.map((x) => x.last)),
        {
          target: 3500,
          note: `launch returned after ${stats(boots.map((x) => x.launchMs)).median.toFixed(0)} ms (median)`,
        },
      ),
    );
    return out;
  },
};
