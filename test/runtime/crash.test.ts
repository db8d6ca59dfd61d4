/**
 * Crash safety, by killing for real: a tmux session closed by hand, `kill -9` of the launcher
 * during provisioning and of a run's supervisor (`launch --watch` and racing launchers are in
 * conducting.test.ts). After each, the next command reconciles with nothing duplicated or lost.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runProgram } from "../helpers/cli.js";
import {
  alive,
  cleanupProjects,
  commitAndDone,
  fileContains,
  gate,
  makeProject,
  type Project,
  waitFor,
} from "../helpers/runtime.js";

afterEach(cleanupProjects);

/** The live run of a task once its supervisor has started the agent. */
async function supervisedRun(p: Project, id: string) {
  return waitFor(async () => {
    const run = (await p.show(id)).runs.at(-1);
    return run && run.status === "running" && run.agentPid !== null && run.supervisorPid !== null
      ? { ...run, supervisorPid: run.supervisorPid, agentPid: run.agentPid }
      : undefined;
  }, `the supervisor of ${id} to start its agent`);
}

/** Pids of processes whose command line contains `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const ps = await runProgram("ps", ["-eo", "pid=,args="], { cwd: "/", env: process.env });
  return ps.stdout
    .split("\n")
    .filter((l) => l.includes(marker))
    .map((l) => Number.parseInt(l.trim(), 10))
    .filter((pid) => pid !== process.pid);
}

async function commitsOn(p: Project, branch: string): Promise<string[]> {
  return (await p.git(["log", "--format=%s", `main..${branch}`])).split("\n").filter(Boolean);
}

describe("a dead session is reported and repaired", () => {
  it("a session killed by hand (and a stray session) show as disagreements; the next launch fails the task once", async () => {
    const p = await makeProject();
    await p.part("victim", { steps: [gate(p, "victim"), ...commitAndDone("victim.txt")] });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await supervisedRun(p, "victim");
    expect(await p.sessions()).toEqual(["bl-victim"]);

    const killed = await runProgram("tmux", ["-L", p.socket, "kill-session", "-t", "bl-victim"], {
      cwd: p.dir,
      env: p.env,
    });
    expect(killed.code).toBe(0);

    // status observes and reports; it does not repair.
    const seen = await p.status();
    expect(seen.tasks.find((t) => t.id === "victim")?.state).toBe("running");
    expect(seen.disagreements.some((d) => d.includes("victim") && d.includes("session"))).toBe(true);

    // A session without a run (left by some crash) is flagged too; cleanup closes it.
    const stray = await runProgram(
      "tmux",
      ["-L", p.socket, "new-session", "-d", "-s", "bl-stray", "sleep 120"],
      {
        cwd: p.dir,
        env: p.env,
      },
    );
    expect(stray.code).toBe(0);
    expect((await p.status()).disagreements.some((d) => d.includes("bl-stray"))).toBe(true);

    const r = await p.run(["launch"]);
    expect(r.code, r.stderr).toBe(0);
    const t = await p.task("victim");
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/session/);
    const runs = (await p.show("victim")).runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe("ended");
    expect(runs[0]?.outcome).toBe("session-lost");
    expect(await p.sessions()).toEqual(["bl-stray"]);
    const cleaned = await p.run(["cleanup", "--all", "--json"]);
    expect(JSON.parse(cleaned.stdout).sessionsClosed).toEqual(["bl-stray"]);
    expect(await p.sessions()).toEqual([]);
    expect((await p.status()).disagreements).toEqual([]);
  });
});

describe("kill -9", () => {
  it("of the launcher during provisioning changes nothing; of the session provisioning itself, the half-made worktree is rolled back, the task fails (launch: interrupted), retry succeeds once", async () => {
    const p = await makeProject();
    // The bootstrap waits on a gate (a minute at most): the processes are killed while inside it.
    const bootGate = join(p.gates, "bootstrap");
    await p.write(
      ".ballador/config.yaml",
      (await import("yaml")).stringify({
        base: "main",
        max_attempts: 1,
        tmux_socket: p.socket,
        bootstrap: [
          `i=0; while [ ! -e '${bootGate}' ]; do i=$((i+1)); [ $i -gt 1200 ] && exit 1; sleep 0.05; done`,
        ],
        agents: { default: "scripted", profiles: { scripted: { preset: "scripted" } } },
        sandbox: { mode: "none" },
      }),
    );
    await p.part("slow", { steps: commitAndDone("slow.txt") });
    await p.ok(["queue"]);

    const launcher = p.spawn(["launch"]);
    const run = await waitFor(async () => {
      const r = (await p.show("slow")).runs[0];
      // (The phase is recorded before the step's output starts: both, from one read.)
      return r?.phase === "bootstrap" && (await fileContains(join(r.runDir, "launch.log"), "[bootstrap]"))
        ? r
        : undefined;
    }, "the session to reach the bootstrap");
    expect(run.status).toBe("provisioning");
    expect(run.phase).toBe("bootstrap");
    expect(existsSync(p.worktree("slow"))).toBe(true);
    // The session provisions itself: the launcher only waits for it.
    expect(run.supervisorPid).not.toBe(launcher.child.pid);
    launcher.child.kill("SIGKILL");
    await launcher.exited;
    const meanwhile = await p.status();
    expect(meanwhile.disagreements).toEqual([]);
    expect(await p.sessions()).toEqual(["bl-slow"]);
    expect((await p.show("slow")).runs[0]?.status).toBe("provisioning");

    // Now the session's own process dies in the middle of its bootstrap.
    process.kill(run.supervisorPid as number, "SIGKILL");
    await waitFor(async () => ((await p.sessions()).length === 0 ? true : undefined), "the session to close");

    const seen = await p.status();
    expect(seen.tasks.find((t) => t.id === "slow")?.state).toBe("running");
    expect(
      seen.disagreements.some((d) => d.includes("slow") && d.includes("provisioning")),
      JSON.stringify(seen.disagreements),
    ).toBe(true);

    const next = await p.run(["launch"]);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    const t = await p.task("slow");
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/^launch: interrupted/);
    expect(existsSync(p.worktree("slow"))).toBe(false);
    expect(await p.worktrees()).toEqual([p.dir]);
    expect(await p.branches()).toEqual(["main"]);
    expect(await p.sessions()).toEqual([]);

    await p.open("bootstrap");
    const retried = await p.run(["retry", "slow"]);
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    // One live session at most (it may already have ended).
    expect((await p.sessions()).length).toBeLessThanOrEqual(1);
    await p.reaches("slow", "review");
    expect(await p.worktrees()).toEqual([p.dir, p.worktree("slow")]);
    expect(await p.branches()).toEqual(["ballador/slow", "main"]);
    expect(await commitsOn(p, "ballador/slow")).toEqual(["add slow.txt"]);
    const runs = (await p.show("slow")).runs;
    expect(runs.map((r) => r.outcome)).toEqual(["launch-failed", "done"]);
    expect((await p.status()).disagreements).toEqual([]);
  });

  it("of the session during provisioning: the bootstrap it was running does not keep running after the rollback", async () => {
    const p = await makeProject();
    const marker = `bootstrap-marker-${process.pid}-${Date.now()}`;
    await p.write(
      ".ballador/config.yaml",
      (await import("yaml")).stringify({
        tmux_socket: p.socket,
        max_attempts: 1,
        bootstrap: [`sleep 30 # ${marker}`],
        agents: { default: "scripted", profiles: { scripted: { preset: "scripted" } } },
        sandbox: { mode: "none" },
      }),
    );
    await p.part("orphaned", { steps: commitAndDone("o.txt") });
    await p.ok(["queue"]);
    // The launcher waits for the session to provision; it lives on and sees the session die.
    const launcher = p.spawn(["launch"]);
    await waitFor(
      async () => ((await processesWith(marker)).length > 0 ? true : undefined),
      "the bootstrap to start",
    );
    const provisioner = (await p.show("orphaned")).runs[0]?.supervisorPid as number;
    process.kill(provisioner, "SIGKILL");
    await waitFor(async () => ((await p.sessions()).length === 0 ? true : undefined), "the session to close");
    await launcher.exited;
    try {
      await p.ok(["launch"]);
      expect((await p.task("orphaned")).reason).toMatch(/^launch: interrupted/);
      // The rollback removed the worktree the bootstrap was working in; the bootstrap must end with it.
      const left = await waitFor(
        async () => {
          const pids = await processesWith(marker);
          return pids.length === 0 ? [] : undefined;
        },
        "the interrupted bootstrap to end",
        3_000,
      ).catch(async () => processesWith(marker));
      expect(left, "bootstrap processes of the interrupted launch still running").toEqual([]);
    } finally {
      for (const pid of await processesWith(marker)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
  });

  it("of a run's supervisor: the session closes, the next command fails the task (session-lost) keeping the worktree; retry reaches review", async () => {
    const p = await makeProject();
    await p.part("crashy", {
      steps: [
        { write: { path: "early.txt", content: "early\n" } },
        { commit: "early work", allow_fail: true },
        gate(p, "crashy"),
        ...commitAndDone("crashy.txt"),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const run = await supervisedRun(p, "crashy");
    await waitFor(
      async () => ((await commitsOn(p, "ballador/crashy")).length > 0 ? true : undefined),
      "early work",
    );

    process.kill(run.supervisorPid, "SIGKILL");
    await waitFor(async () => ((await p.sessions()).length === 0 ? true : undefined), "the session to close");
    // With its supervisor gone the agent must not keep working unseen in the worktree.
    await waitFor(async () => (alive(run.agentPid) ? undefined : true), "the orphaned agent to end", 20_000);

    expect((await p.status()).disagreements.some((d) => d.includes("crashy"))).toBe(true);
    await p.ok(["launch"]);
    const t = await p.task("crashy");
    expect(t.state).toBe("failed");
    const first = (await p.show("crashy")).runs;
    expect(first).toHaveLength(1);
    expect(first[0]?.outcome).toBe("session-lost");
    expect(existsSync(join(p.worktree("crashy"), "early.txt"))).toBe(true);

    await p.open("crashy");
    await p.ok(["retry", "crashy"]);
    await p.reaches("crashy", "review");
    const runs = (await p.show("crashy")).runs;
    expect(runs.map((r) => r.outcome)).toEqual(["session-lost", "done"]);
    expect(runs[1]?.worktree).toBe(runs[0]?.worktree);
    expect(await p.worktrees()).toEqual([p.dir, p.worktree("crashy")]);
    expect(await p.branches()).toEqual(["ballador/crashy", "main"]);
    expect(await commitsOn(p, "ballador/crashy")).toEqual(["add crashy.txt", "early work"]);
  });
});
