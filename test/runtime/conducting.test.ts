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
import { fixedOnlyInWorktree, makeVerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

/**
 * A folder `bin` holding `program`: a shell script that runs `before` and then the real program
 * with its arguments. Put first on PATH, it delays or holds the calls a test aims at.
 */
async function wrapped(bin: string, program: string, before: string[]): Promise<string> {
  const real = execFileSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).trim();
  await mkdir(bin);
  await writeFile(join(bin, program), ["#!/bin/sh", ...before, `exec '${real}' "$@"`, ""].join("\n"));
  await chmod(join(bin, program), 0o755);
  return bin;
}

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
    const bin = await wrapped(join(p.parent, "slow-git"), "git", [
      // Only the supervisor has BALLADOR_STATE_DIR (launch gives it to the session).
      'if [ -n "$BALLADOR_STATE_DIR" ]; then case " $* " in *" --git-common-dir "*) sleep 2;; esac; fi',
    ]);
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
  const barrier = join(p.parent, "barrier");
  await mkdir(barrier);
  const bin = await wrapped(join(p.parent, "barrier-tmux"), "tmux", [
    'case " $* " in *" list-sessions "*)',
    `  touch '${barrier}'/$$`,
    `  i=0; while [ "$(ls '${barrier}' | wc -l)" -lt 2 ] && [ $i -lt 400 ]; do i=$((i+1)); sleep 0.05; done;;`,
    "esac",
  ]);
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

describe("launch --watch stays up as a conductor (issue 31)", () => {
  /**
   * a <- b, no stacking: once a is in review nothing runs and nothing is ready, but b waits only
   * on a's merge. The watcher stays up; a merge in another process makes b ready and the
   * watcher starts it; with everything merged or in review and nothing queued it says why it
   * stops.
   */
  it("stays up while a dependent waits on a review, starts it after a merge elsewhere, then says why it stops", async () => {
    const p = await makeProject({ config: { stack: false } });
    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.part("b", { needs: ["a"], steps: commitAndDone("b.txt") });
    await p.ok(["queue"]);
    const watcher = p.spawn(["launch", "--watch", "--reconcile-every", "600"]);
    await p.reaches("a", "review");
    // Long enough for a watcher that would stop to have stopped (it stops within a wake).
    await new Promise((r) => setTimeout(r, 3000));
    expect(watcher.child.exitCode, watcher.output()).toBeNull();
    expect((await p.task("b")).state).toBe("queued");

    await p.ok(["merge", "a", "--unverified"]);
    await p.reaches("b", "review");
    expect(await watcher.exited, watcher.output()).toBe(0);
    const out = watcher.output();
    expect(out.match(/started b /g)).toHaveLength(1);
    expect(out).toContain(
      "Nothing more can become ready: nothing is queued; in review: b (ballador review <id>, then merge or request-changes).",
    );
    expect(out).toMatch(/Done conducting: 1 merged, 1 review/);
  });

  it("stops when what is queued waits on a failed task, names it and says what to do (--json: the same, as NDJSON)", async () => {
    const p = await makeProject({ config: { stack: false, max_attempts: 1 } });
    await p.part("broken", { steps: [{ run: "exit 3" }] });
    await p.part("after", { needs: ["broken"], steps: commitAndDone("after.txt") });
    await p.ok(["queue"]);
    const watcher = p.spawn(["launch", "--watch", "--json"]);
    expect(await watcher.exited, watcher.output()).toBe(0);
    expect((await p.task("broken")).state).toBe("failed");
    const lines = watcher
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const end = lines.at(-1) as {
      event: string;
      why: string;
      words: string[];
      stuck: Array<{ id: string; on: Array<{ id: string; state: string }> }>;
    };
    expect(end.event).toBe("end");
    expect(end.why).toBe("waits-on-you");
    expect(end.stuck).toEqual([{ id: "after", on: [{ id: "broken", state: "failed" }] }]);
    expect(end.words).toEqual([
      "Nothing more can become ready without you:",
      "  after waits on broken (failed: ballador retry broken)",
    ]);
    // Every line is JSON: nothing for a person slipped into the stream.
    expect(
      watcher
        .output()
        .trim()
        .split("\n")
        .every((l) => l.startsWith("{")),
    ).toBe(true);
  });

  it("stops on SIGTERM like on Ctrl-C: says so, exits 0, leaves the agents running", async () => {
    const p = await makeProject();
    await p.part("long", { steps: [gate(p, "long"), ...commitAndDone("long.txt")] });
    await p.ok(["queue"]);
    const watcher = p.spawn(["launch", "--watch"]);
    await p.waitState("long", "running");
    watcher.child.kill("SIGTERM");
    expect(await watcher.exited, watcher.output()).toBe(0);
    expect(watcher.output()).toContain("Stopped conducting; running agents keep running");
    expect(await p.sessions()).toEqual(["bl-long"]);
    await p.open("long");
    await p.reaches("long", "review");
  });
});

describe("launch --watch prints each change once", () => {
  it("a verification failure and the next attempt appear once each, in text and in --json", async () => {
    for (const json of [false, true]) {
      const p = await makeVerifyProject({ config: { max_attempts: 2 } });
      // Attempt 1 commits a broken app.txt and fixes it only in the worktree: its gate passes on
      // the dirty tree, Ballador's clean checkout fails, and the supervisor starts attempt 2.
      await writePart(p, "twice", {
        steps: fixedOnlyInWorktree(),
      });
      await p.ok(["queue"]);
      const watcher = p.spawn(["launch", "--watch", ...(json ? ["--json"] : [])]);
      expect(await watcher.exited, watcher.output()).toBe(0);
      expect((await p.task("twice")).state).toBe("review");
      const out = watcher.output();
      if (json) {
        const states = out
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as { event: string; to?: string; reason?: string })
          .filter((e) => e.event === "state");
        const retries = states.filter((e) => e.to === "running" && /attempt 2 of 2/.test(e.reason ?? ""));
        expect(retries, out).toHaveLength(1);
        // Started, then the retry: each once.
        expect(
          states.filter((e) => e.to === "running"),
          out,
        ).toHaveLength(2);
      } else {
        expect(out.match(/twice: \S+ -> running \(attempt 2 of 2/g), out).toHaveLength(1);
        // Started, then the retry: each once.
        expect(out.match(/twice: \S+ -> running/g), out).toHaveLength(2);
      }
    }
  }, 180_000);
});
