/**
 * The report path (spec 0018): the CPU of one `ballador done` from inside a run, through the Node
 * CLI (the path before) and through the shell helper on the agent's PATH, which asks the run's
 * supervisor. Both on the same clean worktree, no verify command, interleaved; the helper's
 * figure is its whole process tree (sh, git, the waits), and the desk's part (the supervisor
 * answering, measured inside a stand-in supervisor that polls as the real one does) is added.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportShim } from "../../dist/project/report-shim.js";
import { BENCH_DIR, CLI, figure, makeRepo, run, stats } from "../lib.js";

export const section = {
  name: "report",
  order: 75,
  description: "one `ballador done` inside a run: the Node CLI vs the shell helper and the supervisor's desk",
  async run(ctx) {
    const N = 20;
    const repo = makeRepo("report");
    // A clean worktree: `done` refuses uncommitted changes (init's files).
    run("git", ["add", "-A"], { cwd: repo.dir, env: repo.env });
    run("git", ["commit", "-q", "-m", "ballador init"], { cwd: repo.dir, env: repo.env });
    const runDir = join(repo.base, "run");
    for (const d of ["inbox", "answers"]) mkdirSync(join(runDir, d), { recursive: true });
    const spec = {
      runId: "bench-r1",
      taskId: "bench",
      runDir,
      worktree: repo.dir,
      verify: null,
      verifyTimeoutMs: 60_000,
    };
    writeFileSync(join(runDir, "run.json"), JSON.stringify(spec));
    const shim = join(repo.base, "ballador");
    writeFileSync(shim, reportShim(process.execPath, CLI));
    chmodSync(shim, 0o755);
    const env = { ...repo.env, BALLADOR_RUN_DIR: runDir, BALLADOR_WORKTREE: repo.dir };
    const desk = spawn(process.execPath, [join(BENCH_DIR, "report-desk.js"), runDir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    desk.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
    });
    await new Promise((r) => desk.stdout.once("data", r));
    const node = { ms: [], cpu: [] };
    const shell = { ms: [], cpu: [] };
    const once = async (which, file, args) => {
      const r = run(file, [...args, "done", "-s", "bench"], { cwd: repo.dir, env });
      which.ms.push(r.ms);
      which.cpu.push(r.cpuMs);
      // The spawnSync above held this process; the desk is another process and kept polling.
      await new Promise((res) => setTimeout(res, 10));
    };
    const closed = new Promise((r) => desk.once("close", r));
    try {
      await once({ ms: [], cpu: [] }, process.execPath, [CLI]);
      await once({ ms: [], cpu: [] }, shim, []);
      for (let i = 0; i < N; i++) {
        await once(node, process.execPath, [CLI]);
        await once(shell, shim, []);
      }
    } finally {
      desk.kill("SIGTERM");
      await closed;
    }
    const d = JSON.parse(out.trim().split("\n").at(-1));
    // Per answered done: the polls that answered, less what an idle poll costs anyway.
    const idle = d.idlePolls > 0 ? d.idleMs / d.idlePolls : 0;
    const deskMs = d.answered > 0 ? (d.busyMs - idle * d.answered) / d.answered : 0;
    const n = stats(node.ms, node.cpu);
    const s = stats(shell.ms, shell.cpu);
    ctx.log(
      `done via Node: cpu ${n.cpu} ms, wall ${n.median.toFixed(1)} ms; via the helper: cpu ${s.cpu} ms (+${deskMs.toFixed(2)} ms desk), wall ${s.median.toFixed(1)} ms`,
    );
    return [
      figure("report", "ballador done inside a run, Node CLI (before)", n),
      figure("report", "ballador done inside a run, shell helper", s, {
        note: `+${deskMs.toFixed(2)} ms CPU in the supervisor per answer; wall includes its 250 ms poll`,
      }),
    ];
  },
};
