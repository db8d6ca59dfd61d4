/**
 * Parallel launches (issue 11), each Ballador figure beside its floor measured in the same run:
 * - 20 trivial tasks (write, commit, done) with max_parallel 20 in bubblewrap, from the downbeat
 *   to all in review, against the same 20 done by bare `git worktree add` + `tmux new-session` +
 *   `bwrap` started all at once (target: at most 2x);
 * - 5 tasks with a 3 s bootstrap: when the last agent started after the downbeat (target 4 s);
 * - an idle `launch --watch` at 10,000 tasks: its CPU share while one run holds the only slot
 *   (target under 1% of a core);
 * - `status` with 20,000 ended runs and 50 stray tmux sessions against the same repository with
 *   neither (target 1.5x); `next` at 10,000 tasks against `node -e 0` (target 2x).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  ballador,
  CLI,
  figure,
  generateParts,
  killTmux,
  makeRepo,
  msSince,
  ROOT,
  run,
  runAsync,
  stats,
  timeCli,
  trivialScript,
} from "../lib.js";

const SECTION = "parallel";
const require = createRequire(join(ROOT, "package.json"));

export function writeConfig(repo, { socket, maxParallel, profile, extra = [] }) {
  writeFileSync(
    join(repo.dir, ".ballador", "config.yaml"),
    [
      "base: main",
      `tmux_socket: ${socket}`,
      `max_parallel: ${maxParallel}`,
      "agents:",
      "  default: bench",
      "  profiles:",
      `    bench: ${profile}`,
      "sandbox:",
      "  mode: bwrap",
      "  allow_hosts: []",
      ...extra,
      "",
    ].join("\n"),
  );
  run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
  run("git", ["commit", "-q", "-m", "config"], { cwd: repo.dir, env: repo.env });
}

export function writeParts(repo, ids, body) {
  const dir = join(repo.dir, ".ballador", "parts", "bench");
  mkdirSync(dir, { recursive: true });
  for (const id of ids)
    writeFileSync(join(dir, `${id}.md`), `---\nid: ${id}\ntitle: "Bench ${id}"\n---\n${body(id)}\n`);
  run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
  run("git", ["commit", "-q", "-m", "parts"], { cwd: repo.dir, env: repo.env });
  ballador(repo, ["queue"]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every task is in review, reading the task store directly (read-only): the floor
 * checks its marker files in-process, so this side must not pay a CLI process per poll either
 * (polling `status --json` every 50 ms kept most of a core busy while the runs competed for it).
 */
export async function allInReview(repo, count, startedAt, timeoutMs = 180_000) {
  const Database = require("better-sqlite3");
  const deadline = Date.now() + timeoutMs;
  let db = null;
  let states = {};
  try {
    while (Date.now() < deadline) {
      db ??= new Database(join(repo.stateDir, "ballador.db"), { readonly: true, fileMustExist: true });
      states = {};
      for (const r of db.prepare("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state").all())
        states[r.state] = r.n;
      if ((states.review ?? 0) === count) return msSince(startedAt);
      if ((states.failed ?? 0) + (states.blocked ?? 0) > 0) break;
      await sleep(10);
    }
  } finally {
    db?.close();
  }
  throw new Error(`not all ${count} in review: ${JSON.stringify(states)} (repo ${repo.dir})`);
}

// ---- the floor: git worktree add + tmux + bwrap, 20 at once ------------------------------------

export async function bareTwenty(count, socket) {
  const repo = makeRepo("bare");
  const wt = join(repo.base, "wt");
  const marks = join(repo.base, "marks");
  mkdirSync(wt);
  mkdirSync(marks);
  const start = process.hrtime.bigint();
  // The server is started once (as a launch does), so sessions that end at once cannot stop it.
  await runAsync("tmux", ["-L", socket, "new-session", "-d", "-s", "keeper", "sleep 600"], {
    cwd: repo.dir,
    env: repo.env,
  });
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const path = join(wt, `t${i}`);
      // Concurrent adds can catch another's admin folder half made; a bare script retries too.
      for (let attempt = 0; ; attempt++) {
        const made = attempt > 0 && existsSync(join(repo.dir, ".git", "refs", "heads", "bare", `t${i}`));
        const args = made
          ? ["worktree", "add", "-q", path, `bare/t${i}`]
          : ["worktree", "add", "-q", "-b", `bare/t${i}`, path, "main"];
        try {
          await runAsync("git", args, { cwd: repo.dir, env: repo.env });
          break;
        } catch (err) {
          if (attempt >= 8 || !/commondir|gitdir/.test(String(err))) throw err;
          await sleep(20 + Math.random() * 80);
        }
      }
      const work = `cd ${path} && echo t${i} > out.txt && git add out.txt && git commit -qm t${i} && touch ${marks}/t${i}`;
      const jail = [
        "bwrap",
        "--ro-bind / / --tmpfs /tmp",
        `--bind ${repo.dir} ${repo.dir}`,
        `--bind ${path} ${path}`,
        `--bind ${marks} ${marks}`,
        "--dev /dev --proc /proc --unshare-all --die-with-parent",
        `sh -c '${work}'`,
      ].join(" ");
      await runAsync("tmux", ["-L", socket, "new-session", "-d", "-s", `t${i}`, jail], {
        cwd: repo.dir,
        env: repo.env,
      });
    }),
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let done = 0;
    for (let i = 0; i < count; i++) if (existsSync(join(marks, `t${i}`))) done++;
    if (done === count) break;
    await sleep(10);
  }
  const ms = msSince(start);
  killTmux(socket);
  for (let i = 0; i < count; i++)
    if (!existsSync(join(marks, `t${i}`))) throw new Error(`bare floor: t${i} never finished (${repo.dir})`);
  return ms;
}

export async function balladorTwenty(count, socket) {
  const repo = makeRepo("twenty");
  writeConfig(repo, { socket, maxParallel: count, profile: "{ preset: scripted }" });
  const ids = Array.from({ length: count }, (_, i) => `t${String(i).padStart(2, "0")}`);
  writeParts(repo, ids, (id) => trivialScript(id));
  const start = process.hrtime.bigint();
  try {
    await runAsync(process.execPath, [CLI, "launch", "--json"], { cwd: repo.dir, env: repo.env });
    return await allInReview(repo, count, start);
  } finally {
    killTmux(socket);
  }
}

// ---- 5 tasks with a 3 s bootstrap -----------------------------------------------------------

export async function bootstrapFive(socket) {
  const repo = makeRepo("bootstrap");
  writeConfig(repo, {
    socket,
    maxParallel: 5,
    profile: '{ command: ["sleep", "30"], prompt: file }',
    extra: ["bootstrap:", '  - "sleep 3"'],
  });
  const ids = Array.from({ length: 5 }, (_, i) => `b${i}`);
  writeParts(repo, ids, () => "Goal: be launched after a slow bootstrap.");
  const start = Date.now();
  try {
    await runAsync(process.execPath, [CLI, "launch", "--json"], { cwd: repo.dir, env: repo.env });
    const launchMs = Date.now() - start;
    let last = 0;
    for (const id of ids) {
      const shown = JSON.parse(ballador(repo, ["show", id, "--json"]).stdout);
      const at = shown.runs.at(-1)?.agentStartedAt;
      if (!at) throw new Error(`bootstrap: ${id} has no agent start (${repo.dir})`);
      last = Math.max(last, Date.parse(at) - start);
    }
    return { last, launchMs };
  } finally {
    killTmux(socket);
  }
}

// ---- idle launch --watch at 10,000 tasks ------------------------------------------------------

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100 per second)
}

export async function idleWatch(parts, socket, extra = []) {
  const repo = makeRepo("watch");
  writeConfig(repo, { socket, maxParallel: 1, profile: '{ command: ["sleep", "120"], prompt: file }' });
  generateParts(repo, parts, { seed: 7 });
  run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
  run("git", ["commit", "-q", "-m", "parts"], { cwd: repo.dir, env: repo.env });
  ballador(repo, ["queue"]);
  const child = spawn(process.execPath, [CLI, "launch", "--watch", ...extra], {
    cwd: repo.dir,
    env: repo.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => {
    out += d;
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!/started /.test(out) && Date.now() < deadline) await sleep(100);
    if (!/started /.test(out)) throw new Error(`launch --watch started nothing: ${out.slice(0, 2000)}`);
    await sleep(2000); // settle: the first beat's work is not idle
    const windowMs = 20_000;
    const before = cpuTicks(child.pid);
    const t0 = Date.now();
    await sleep(windowMs);
    const used = (cpuTicks(child.pid) - before) * 10;
    return { share: used / (Date.now() - t0), usedMs: used, windowMs };
  } finally {
    child.kill("SIGINT");
    await new Promise((r) => child.once("close", r));
    killTmux(socket);
  }
}

// ---- status with 20,000 ended runs and 50 stray sessions -------------------------------------

function addEndedRuns(repo, count) {
  const Database = require("better-sqlite3");
  const db = new Database(join(repo.stateDir, "ballador.db"));
  const tasks = db.prepare("SELECT id FROM tasks ORDER BY seq").all();
  const insert = db.prepare(
    `INSERT INTO runs (id, task_id, attempt, profile, status, branch, worktree, base, session, run_dir, started_at, ended_at, outcome)
     VALUES (?, ?, ?, 'bench', 'ended', ?, ?, 'main', ?, ?, ?, ?, 'exited')`,
  );
  const at = new Date(Date.now() - 3600_000).toISOString();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const t = tasks[i % tasks.length].id;
      insert.run(
        `r-${i}`,
        t,
        1 + Math.floor(i / tasks.length),
        `ballador/${t}`,
        `/nonexistent/${t}`,
        `bl-${t}`,
        `/nonexistent/r-${i}`,
        at,
        at,
      );
    }
  })();
  db.close();
}

function statusWithRuns(parts, socket) {
  const clean = makeRepo("status-clean");
  const busy = makeRepo("status-busy");
  for (const repo of [clean, busy]) {
    writeConfig(repo, {
      socket: `${socket}-${repo === clean ? "c" : "b"}`,
      maxParallel: 4,
      profile: "{ preset: scripted }",
    });
    generateParts(repo, parts, { seed: 11 });
    ballador(repo, ["queue"]);
  }
  addEndedRuns(busy, 20_000);
  const busySocket = `${socket}-b`;
  for (let i = 0; i < 50; i++)
    run("tmux", ["-L", busySocket, "new-session", "-d", "-s", `stray-${i}`, "sleep 600"], { env: busy.env });
  // The clean one gets a tmux server too, so both pay the same list-sessions.
  run("tmux", ["-L", `${socket}-c`, "new-session", "-d", "-s", "bl-none", "sleep 600"], { env: clean.env });
  try {
    return { clean: timeCli(clean, ["status", "--json"], 7), busy: timeCli(busy, ["status", "--json"], 7) };
  } finally {
    killTmux(`${socket}-c`);
    killTmux(busySocket);
  }
}

export const section = {
  name: SECTION,
  order: 75,
  description:
    "issue 11: 20 tasks in parallel vs bare git+tmux+bwrap; 5 slow bootstraps; idle launch --watch CPU; status with 20,000 runs; next vs node",
  async run(ctx) {
    const out = [];
    const socket = (name) => `bl-bench-${process.pid}-${name}`;
    const COUNT = 20;
    const bare = [];
    const ours = [];
    for (let i = 0; i < 3; i++) {
      bare.push(await bareTwenty(COUNT, socket(`bare${i}`)));
      ours.push(await balladorTwenty(COUNT, socket(`ours${i}`)));
    }
    const b = stats(bare);
    const o = stats(ours);
    out.push(
      figure(SECTION, `${COUNT} at once: bare git worktree add + tmux + bwrap, commit (floor)`, b),
      figure(SECTION, `${COUNT} trivial tasks, max_parallel ${COUNT}, bwrap: launch to all in review`, o, {
        target: 2 * b.median,
        note: `${(o.median / b.median).toFixed(2)}x the floor`,
      }),
    );
    ctx.log(`20 tasks: floor ${b.median.toFixed(0)} ms, ballador ${o.median.toFixed(0)} ms`);

    const boots = [];
    for (let i = 0; i < 3; i++) boots.push(await bootstrapFive(socket(`boot${i}`)));
    out.push(
      figure(
        SECTION,
        "5 tasks with a 3 s bootstrap: the last agent started after the downbeat",
        stats(boots.map((x) => x.last)),
        {
          target: 4000,
          note: `launch returned after ${stats(boots.map((x) => x.launchMs)).median.toFixed(0)} ms (median)`,
        },
      ),
    );

    const parts = ctx.parts ?? 10000;
    const idle = await idleWatch(parts, socket("watch"));
    out.push(
      figure(
        SECTION,
        `idle launch --watch, ${parts} tasks, one slot held: CPU over ${idle.windowMs / 1000} s`,
        idle.usedMs,
        {
          target: idle.windowMs * 0.01,
          note: `${(idle.share * 100).toFixed(2)}% of a core`,
        },
      ),
    );

    const st = statusWithRuns(parts, socket("status"));
    out.push(
      figure(SECTION, `status --json, ${parts} tasks, no runs (floor)`, st.clean),
      figure(SECTION, `status --json, ${parts} tasks, 20,000 ended runs, 50 stray sessions`, st.busy, {
        target: 1.5 * st.clean.median,
        note: `${(st.busy.median / st.clean.median).toFixed(2)}x`,
      }),
    );

    const floor = ctx.floor();
    const nextRepo = ctx.queuedRepo();
    const next = timeCli(nextRepo, ["next", "--json"], 7);
    out.push(
      figure(SECTION, "node -e 0 (floor)", floor),
      figure(SECTION, `next --json, ${parts} tasks, whole process`, next, {
        target: 2 * floor,
        note: `${(next.median / floor).toFixed(2)}x node -e 0`,
      }),
    );
    for (const f of out)
      ctx.log(`${f.name}: median ${f.median.toFixed(0)} ms${f.note ? ` (${f.note})` : ""}`);
    return out;
  },
};
