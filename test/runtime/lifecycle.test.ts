/**
 * What a person does to a task after launch: stop, resume, retry, abandon, cleanup. Work
 * committed on the task's branch is never lost on the way.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseJson } from "../helpers/cli.js";
import {
  cleanupProjects,
  commitAndDone,
  gate,
  makeProject,
  type Project,
  waitFor,
} from "../helpers/runtime.js";

afterEach(cleanupProjects);

/** Waits until the branch's tip commit has this subject (the agent committed). */
function waitForCommit(p: Project, branch: string, subject: string): Promise<true> {
  return waitFor(async () => {
    const log = await p.git(["log", "--format=%s", branch]).catch(() => "");
    return log.split("\n").includes(subject) ? true : undefined;
  }, `commit "${subject}" on ${branch}`);
}

describe("stop and resume", () => {
  it("stop closes the session and keeps the worktree and its commits; resume continues there to review", async () => {
    const p = await makeProject();
    await p.part("pausable", {
      steps: [
        { write: { path: "work.txt", content: "work\n" } },
        // On resume the work is already committed: nothing to commit is fine.
        { commit: "work so far", allow_fail: true },
        gate(p, "pausable"),
        { done: { summary: "finished after a pause" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await waitForCommit(p, "ballador/pausable", "work so far");

    const stopped = await p.run(["stop", "pausable"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await p.task("pausable")).state).toBe("stopped");
    expect(await p.sessions()).toEqual([]);
    expect(existsSync(join(p.worktree("pausable"), "work.txt"))).toBe(true);
    expect((await p.git(["log", "-1", "--format=%s", "ballador/pausable"])).trim()).toBe("work so far");
    const afterStop = await p.show("pausable");
    expect(afterStop.runs).toHaveLength(1);
    expect(afterStop.runs[0]?.status).toBe("ended");

    await p.open("pausable");
    const resumed = parseJson<{ started: Array<{ id: string; worktree: string; session: string }> }>(
      await p.run(["resume", "pausable", "--json"]),
    );
    expect(resumed.started).toHaveLength(1);
    expect(resumed.started[0]?.worktree).toBe(p.worktree("pausable"));
    expect((await p.task("pausable")).state).toMatch(/^(running|verifying|review)$/);
    await p.reaches("pausable", "review");

    const shown = await p.show("pausable");
    expect(shown.runs).toHaveLength(2);
    expect(shown.runs[0]?.outcome).not.toBe("done");
    expect(shown.runs[1]?.outcome).toBe("done");
    expect(shown.runs[1]?.worktree).toBe(shown.runs[0]?.worktree);
    expect(shown.runs[1]?.id).not.toBe(shown.runs[0]?.id);
    // The work was committed once and kept.
    const subjects = (await p.git(["log", "--format=%s", "main..ballador/pausable"])).trim().split("\n");
    expect(subjects).toEqual(["work so far"]);
  });

  it("resume refuses when the worktree was removed, and the task stays stopped", async () => {
    const p = await makeProject();
    await p.part("gone", { steps: [gate(p, "gone"), ...commitAndDone("gone.txt")] });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("gone", "running");
    await p.ok(["stop", "gone"]);
    await p.git(["worktree", "remove", "--force", p.worktree("gone")]);

    const r = await p.run(["resume", "gone"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("gone");
    expect(r.stderr).toContain("retry");
    expect((await p.task("gone")).state).toBe("stopped");
    expect(await p.sessions()).toEqual([]);
    expect((await p.show("gone")).runs).toHaveLength(1);
  });
});

describe("retry", () => {
  it("starts a new attempt after a failure, and tells the agent what went wrong", async () => {
    const p = await makeProject();
    // Attempt 1 fails (exit 1 without reporting); attempt 2 gets through.
    await p.part("flaky", { steps: [{ run: "test {attempt} -ge 2" }, ...commitAndDone("flaky.txt")] });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const failed = await p.reaches("flaky", "failed");
    expect(failed.attempt).toBe(1);
    expect(failed.reason).toMatch(/^agent:/);

    const r = await p.run(["retry", "flaky"]);
    expect(r.code, r.stderr).toBe(0);
    const done = await p.reaches("flaky", "review");
    expect(done.attempt).toBe(2);

    const runs = (await p.show("flaky")).runs;
    expect(runs.map((x) => x.attempt)).toEqual([1, 2]);
    const prompt = await readFile(join(runs[1]!.runDir, "prompt.md"), "utf8");
    expect(prompt).toContain("previous attempt did not pass");
    expect(prompt).toContain(failed.reason);
    const firstPrompt = await readFile(join(runs[0]!.runDir, "prompt.md"), "utf8");
    expect(firstPrompt).not.toContain("previous attempt");
  });
});

describe("abandon and cleanup", () => {
  it("abandon ends the run; cleanup refuses unmerged commits unless --force, then removes worktree and branch", async () => {
    const p = await makeProject();
    await p.part("dead-end", {
      steps: [
        { write: { path: "idea.txt", content: "idea\n" } },
        { commit: "an idea" },
        gate(p, "dead-end"),
        { done: {} },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await waitForCommit(p, "ballador/dead-end", "an idea");

    await p.ok(["abandon", "dead-end"]);
    expect((await p.task("dead-end")).state).toBe("abandoned");
    expect(await p.sessions()).toEqual([]);

    const refused = await p.run(["cleanup", "dead-end", "--json"]);
    expect(refused.code).not.toBe(0);
    const r1 = parseJson<{ removed: unknown[]; refused: Array<{ id: string; why: string }> }>(refused);
    expect(r1.removed).toEqual([]);
    expect(r1.refused[0]?.id).toBe("dead-end");
    expect(r1.refused[0]?.why).toContain("not merged");
    expect(existsSync(p.worktree("dead-end"))).toBe(true);
    expect(await p.branches()).toContain("ballador/dead-end");

    const forced = await p.run(["cleanup", "dead-end", "--force", "--json"]);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(existsSync(p.worktree("dead-end"))).toBe(false);
    expect(await p.branches()).toEqual(["main"]);
    expect(await p.worktrees()).toEqual([p.dir]);
  });
});

describe("cleanup --all and attach say what they leave and why", () => {
  it("cleanup --all names the failed task whose worktree it keeps, with the way to remove it (text and --json)", async () => {
    const p = await makeProject();
    await p.part("broken", { steps: [{ run: "exit 1" }] });
    await p.part("fine", { steps: commitAndDone("fine.txt") });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("broken", "failed");
    await p.reaches("fine", "review");
    await p.ok(["abandon", "fine"]);
    expect(existsSync(p.worktree("broken"))).toBe(true);

    const j = parseJson<{
      removed: Array<{ id: string }>;
      kept: Array<{ id: string; state: string; worktree: string; why: string }>;
    }>(await p.run(["cleanup", "--all", "--force", "--json"]));
    expect(j.removed.map((x) => x.id)).toEqual(["fine"]);
    expect(j.kept).toEqual([
      {
        id: "broken",
        state: "failed",
        worktree: p.worktree("broken"),
        why: "it is failed; its work stays for `ballador retry broken` (to remove it: `ballador abandon broken`, then cleanup)",
      },
    ]);
    const text = await p.ok(["cleanup", "--all"]);
    expect(text.stdout).toContain(`kept broken (${p.worktree("broken")}): it is failed;`);
    expect(text.stdout).not.toContain("Nothing to clean up.");
    expect(existsSync(p.worktree("broken"))).toBe(true);
  });

  it("attach on a task that never ran says its state and how to start it, not logs", async () => {
    const p = await makeProject();
    await p.part("first", { steps: commitAndDone("first.txt") });
    await p.part("second", { needs: ["first"], steps: commitAndDone("second.txt") });
    await p.ok(["queue"]);
    const ready = await p.run(["attach", "first"]);
    expect(ready.code).not.toBe(0);
    expect(ready.stderr).toContain(
      "task first has never run, so there is no session to attach to and no output to read: it is ready; start it with: ballador launch first",
    );
    expect(ready.stderr).not.toContain("ballador logs");
    const queued = await p.run(["attach", "second"]);
    expect(queued.stderr).toContain("it is queued, waiting for its dependencies");
    const j = parseJson<{ live: boolean; state: string; ran: boolean; message: string }>(
      await p.run(["attach", "first", "--json"]),
    );
    expect(j).toMatchObject({ live: false, state: "ready", ran: false });
    expect(j.message).toContain("start it with: ballador launch first");
  });
});
