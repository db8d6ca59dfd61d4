/**
 * Launchers side by side: `launch --watch` killed mid-way, and two launchers racing for one
 * task. Runs live in tmux, not in the launcher, so neither may lose or duplicate work.
 */
import { execFileSync } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Background,
  cleanupProjects,
  commitAndDone,
  gate,
  makeProject,
  type Project,
} from "../helpers/runtime.js";

afterEach(cleanupProjects);

describe("kill -9 of launch --watch", () => {
  it("leaves the running agents running: they reach review without the watcher", async () => {
    const p = await makeProject();
    for (const id of ["left", "right"])
      await p.part(id, { steps: [gate(p, id), ...commitAndDone(`${id}.txt`)] });
    await p.ok(["queue"]);
    const watcher = p.spawn(["launch", "--watch"]);
    await p.waitState("left", "running");
    await p.waitState("right", "running");
    watcher.child.kill("SIGKILL");
    expect(await watcher.exited).toBe(137);

    expect(await p.sessions()).toEqual(["bl-left", "bl-right"]);
    await p.open("left");
    await p.open("right");
    await p.reaches("left", "review");
    await p.reaches("right", "review");
    expect((await p.status()).disagreements).toEqual([]);
  });
});

describe("launch --watch is woken by changes", () => {
  /**
   * The safety-net reconcile is set to ten minutes, so only the store's changes can wake the
   * watcher: a dependency merged by the person and a part queued while it watches must start
   * at once. A gated task keeps the watcher alive meanwhile.
   */
  it("starts a dependent once its dependency merges and a part queued while it watches", async () => {
    const p = await makeProject({ config: { stack: false } });
    await p.part("keeper", { steps: [gate(p, "keeper"), ...commitAndDone("keeper.txt")] });
    await p.part("first", { steps: commitAndDone("first.txt") });
    await p.part("second", { needs: ["first"], steps: commitAndDone("second.txt") });
    await p.ok(["queue"]);
    const watcher = p.spawn(["launch", "--watch", "--reconcile-every", "600"]);
    await p.reaches("first", "review");
    expect((await p.task("second")).state).toBe("queued");
    // The project has no verify command (the test is about waking): merged as unverified.
    await p.ok(["merge", "first", "--unverified"]);
    await p.reaches("second", "review");
    await p.part("late", { steps: commitAndDone("late.txt") });
    await p.ok(["queue"]);
    await p.reaches("late", "review");
    await p.open("keeper");
    expect(await watcher.exited).toBe(0);
    const out = watcher.output();
    expect(out).toMatch(/started second /);
    expect(out).toMatch(/started late /);
    expect(out).toMatch(/Done conducting: .*merged/);
    expect(out).not.toMatch(/MaxListenersExceeded/);
  });
});

describe("launch --watch beside a supervisor's next attempt", () => {
  /**
   * With max_attempts 2 the supervisor ends attempt 1 and starts attempt 2 itself. While it
   * prepares attempt 2 the task is still running, with no live run for a moment; `--watch`
   * reconciles every half second here. The real git is put behind a wrapper that makes the supervisor's
   * own `rev-parse --git-common-dir` (it opens the project to prepare the next attempt) take
   * 2 s, so the watcher's reconcile always falls into that moment.
   */
  it("the watcher's reconcile does not fail a task whose supervisor is starting its next attempt", async () => {
    const p = await makeProject({ config: { max_attempts: 2 } });
    const bin = join(p.parent, "slow-git");
    await mkdir(bin);
    const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    await writeFile(
      join(bin, "git"),
      [
        "#!/bin/sh",
        // Only the supervisor has BALLADOR_STATE_DIR (launch gives it to the session).
        'if [ -n "$BALLADOR_STATE_DIR" ]; then case " $* " in *" --git-common-dir "*) sleep 2;; esac; fi',
        `exec '${real}' "$@"`,
        "",
      ].join("\n"),
    );
    await chmod(join(bin, "git"), 0o755);
    // Attempt 1 exits without reporting; attempt 2 does the work.
    await p.part("second-time", { steps: [{ run: "test {attempt} -ge 2" }, ...commitAndDone("s.txt")] });
    await p.ok(["queue"]);
    // The watcher starts the tmux server, so the supervisors inherit its PATH.
    const watcher = p.spawn(["launch", "--watch", "--reconcile-every", "0.5"], {
      PATH: `${bin}:${p.env.PATH ?? ""}`,
    });
    await watcher.exited;
    const t = await p.reaches("second-time", "review");
    expect(t.attempt).toBe(2);
    const shown = await p.show("second-time");
    expect(shown.events.map((e) => e.cause)).not.toContain("reconcile: no live run");
    expect(shown.runs.map((r) => r.outcome)).toEqual(["exited", "done"]);
  });
});

/**
 * Two launchers started together on one ready task. The real tmux is put behind a wrapper
 * whose `list-sessions` (which every launch runs while reconciling, before it plans or claims
 * anything) waits until both launchers have called it: both plan the same task, and the race
 * is decided by the claim, every time.
 */
async function race(p: Project): Promise<Array<{ code: number; out: LaunchOut }>> {
  const bin = join(p.parent, "barrier-tmux");
  const barrier = join(p.parent, "barrier");
  await mkdir(bin);
  await mkdir(barrier);
  const real = execFileSync("sh", ["-c", "command -v tmux"], { encoding: "utf8" }).trim();
  await writeFile(
    join(bin, "tmux"),
    [
      "#!/bin/sh",
      'case " $* " in *" list-sessions "*)',
      `  touch '${barrier}'/$$`,
      `  i=0; while [ "$(ls '${barrier}' | wc -l)" -lt 2 ] && [ $i -lt 400 ]; do i=$((i+1)); sleep 0.05; done;;`,
      "esac",
      `exec '${real}' "$@"`,
      "",
    ].join("\n"),
  );
  await chmod(join(bin, "tmux"), 0o755);
  const env = { PATH: `${bin}:${p.env.PATH ?? ""}` };
  const launchers: Background[] = [p.spawn(["launch", "--json"], env), p.spawn(["launch", "--json"], env)];
  const codes = await Promise.all(launchers.map((l) => l.exited));
  return launchers.map((l, i) => {
    const text = l.output();
    let out: LaunchOut;
    try {
      out = JSON.parse(text.slice(text.indexOf("{"))) as LaunchOut;
    } catch {
      throw new Error(`launcher ${i} printed no JSON (exit ${codes[i]}):\n${text}`);
    }
    return { code: codes[i] ?? -1, out };
  });
}

interface LaunchOut {
  started: Array<{ id: string }>;
  failed: Array<{ id: string; reason: string }>;
}

describe("never two runs of one task", () => {
  it("two launchers started at the same moment on one ready task make exactly one run and one session", async () => {
    const p = await makeProject();
    await p.part("only", { steps: [gate(p, "only"), ...commitAndDone("only.txt")] });
    await p.ok(["queue"]);

    const results = await race(p);
    expect(results.flatMap((r) => r.out.started.map((s) => s.id))).toEqual(["only"]);
    expect((await p.task("only")).state).toBe("running");
    expect((await p.show("only")).runs).toHaveLength(1);
    expect(await p.sessions()).toEqual(["bl-only"]);
    expect(await p.worktrees()).toEqual([p.dir, p.worktree("only")]);

    await p.open("only");
    await p.reaches("only", "review");
    expect((await p.show("only")).runs).toHaveLength(1);
    expect(await p.branches()).toEqual(["ballador/only", "main"]);
  });

  it("the launcher that loses the race does not report the task as failed", async () => {
    const p = await makeProject();
    await p.part("contested", { steps: [gate(p, "contested"), ...commitAndDone("c.txt")] });
    await p.ok(["queue"]);
    const results = await race(p);
    expect(results.flatMap((r) => r.out.started.map((s) => s.id))).toEqual(["contested"]);
    // The task is running, so the loser has nothing to report as failed, and no failure exit.
    expect(results.flatMap((r) => r.out.failed)).toEqual([]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
  });
});
