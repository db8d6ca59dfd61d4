/**
 * `ballador launch` end to end: real git worktrees, real tmux sessions on the test's own
 * socket, real scripted agents following the script in their part.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { git, parseJson } from "../helpers/cli.js";
import {
  cleanupProjects,
  commitAndDone,
  gate,
  launchedToReview,
  makeProject,
  waitFor,
} from "../helpers/runtime.js";

afterEach(cleanupProjects);

interface LaunchJson {
  started: Array<{ id: string; runId: string; branch: string; worktree: string; session: string }>;
  failed: Array<{ id: string; reason: string; log: string | null }>;
  deferred: Array<{ id: string; why: string }>;
}

describe("launch: slots and order", () => {
  it("starts ready tasks up to max_parallel, highest priority first then queue order; --max limits further", async () => {
    const p = await makeProject({ config: { max_parallel: 2 } });
    // Queued one by one so queue order is known: low-1, high, low-2, low-3.
    for (const [id, priority] of [
      ["low-1", 0],
      ["high", 5],
      ["low-2", 0],
      ["low-3", 0],
    ] as const) {
      await p.part(id, { priority, steps: [gate(p, id), ...commitAndDone(`${id}.txt`)] });
      await p.ok(["queue", `.ballador/parts/${id}.md`]);
    }

    // --dry-run says what would start and starts nothing.
    const dry = parseJson<LaunchJson & { plan: Array<{ id: string }> }>(
      await p.run(["launch", "--dry-run", "--json"]),
    );
    expect(dry.plan.map((a) => a.id)).toEqual(["high", "low-1"]);
    expect(dry.started).toEqual([]);
    expect(await p.sessions()).toEqual([]);
    expect((await p.status()).tasks.every((t) => t.state === "ready")).toBe(true);

    const first = parseJson<LaunchJson>(await p.run(["launch", "--json"]));
    expect(first.started.map((s) => s.id)).toEqual(["high", "low-1"]);
    expect(first.deferred.map((d) => d.id).sort()).toEqual(["low-2", "low-3"]);
    const s1 = await p.status();
    const state = (id: string) => s1.tasks.find((t) => t.id === id)?.state;
    expect([state("high"), state("low-1"), state("low-2"), state("low-3")]).toEqual([
      "running",
      "running",
      "ready",
      "ready",
    ]);
    expect(await p.sessions()).toEqual(["bl-high", "bl-low-1"]);

    // Both slots are taken: another launch starts nothing.
    const again = parseJson<LaunchJson>(await p.run(["launch", "--json"]));
    expect(again.started).toEqual([]);
    expect((await p.task("low-2")).state).toBe("ready");

    await p.open("high");
    await p.open("low-1");
    await p.reaches("high", "review");
    await p.reaches("low-1", "review");

    // Two free slots, but --max 1 starts one: the earlier queued of the two.
    const third = parseJson<LaunchJson>(await p.run(["launch", "--max", "1", "--json"]));
    expect(third.started.map((s) => s.id)).toEqual(["low-2"]);
    expect((await p.task("low-3")).state).toBe("ready");
    expect(await p.sessions()).toEqual(["bl-low-2"]);
    await p.open("low-2");
    await p.reaches("low-2", "review");
    expect((await p.task("low-3")).state).toBe("ready");
  });
});

describe("launch: every session provisions itself, in parallel", () => {
  it("three parts with a 1.5 s bootstrap provision at once: each run's provisioning overlaps the others'; status shows the step; the launch reports when all agents started", async () => {
    const p = await makeProject({
      config: { max_parallel: 3, bootstrap: ["echo bootstrapping-$BALLADOR_TASK_ID; sleep 1.5"] },
    });
    for (const id of ["one", "two", "three"])
      await p.part(id, { steps: [gate(p, id), ...commitAndDone(`${id}.txt`)] });
    await p.ok(["queue"]);
    const launcher = p.spawn(["launch", "--json"]);
    // While they bootstrap, status names the step of each.
    const during = await waitFor(async () => {
      const s = await p.status();
      return s.tasks.every((t) => t.phase === "bootstrap") ? s : undefined;
    }, "all three to be in their bootstrap");
    expect(during.tasks.map((t) => t.state)).toEqual(["running", "running", "running"]);
    const table = await p.run(["status"]);
    expect(table.stdout).toContain("running (provisioning: bootstrap)");
    expect(await launcher.exited).toBe(0);
    const launched = JSON.parse(launcher.stdout()) as LaunchJson;
    expect(launched.started.map((s) => s.id).sort()).toEqual(["one", "three", "two"]);

    const runs = await Promise.all(["one", "two", "three"].map(async (id) => (await p.show(id)).runs[0]));
    for (const r of runs) {
      expect(r?.status).toBe("running");
      expect(r?.phase).toBeNull();
      expect(r?.agentStartedAt).not.toBeNull();
    }
    // Every run was claimed before any of them finished provisioning: they overlapped.
    const lastClaim = Math.max(...runs.map((r) => Date.parse(r?.startedAt ?? "")));
    const firstAgent = Math.min(...runs.map((r) => Date.parse(r?.agentStartedAt ?? "")));
    expect(lastClaim).toBeLessThan(firstAgent);
    // The bootstrap's output went to each session's terminal, for a person attached.
    for (const r of runs)
      expect(await readFile(join(r?.runDir ?? "", "session.log"), "utf8")).toContain(
        `bootstrapping-${r?.taskId}`,
      );
    for (const id of ["one", "two", "three"]) await p.open(id);
    for (const id of ["one", "two", "three"]) await p.reaches(id, "review");
  });

  it("launch --no-wait returns once the session is open: the run is still provisioning, and goes on to its agent and to review", async () => {
    const p = await makeProject({ config: { bootstrap: ["sleep 3"] } });
    await p.part("slow", { steps: [gate(p, "slow"), ...commitAndDone("slow.txt")] });
    await p.ok(["queue"]);
    const r = await p.ok(["launch", "--no-wait"]);
    expect(r.stdout).toMatch(/started slow .*\(provisioning; attach: ballador attach slow\)/);
    // The command did not wait for the 3 s bootstrap: the run is claimed, its session open.
    const run = (await p.show("slow")).runs[0];
    expect(run?.status).toBe("provisioning");
    expect(run?.agentStartedAt).toBeNull();
    expect(await p.sessions()).toEqual(["bl-slow"]);
    const started = await waitFor(async () => {
      const x = (await p.show("slow")).runs[0];
      return x?.agentStartedAt ? x : undefined;
    }, "the agent to start after the bootstrap");
    expect(started.status).toBe("running");
    await p.open("slow");
    await p.reaches("slow", "review");
  });
});

describe("launch: dependencies", () => {
  it("with stack: false a dependent stays queued while its dependency is in review", async () => {
    const p = await makeProject({ config: { stack: false } });
    await p.part("core", { steps: commitAndDone("core.txt") });
    await p.part("child", { needs: ["core"], steps: commitAndDone("child.txt") });
    await p.ok(["queue"]);
    expect((await p.task("child")).state).toBe("queued");

    // (launch --watch would stay up for child until core merges: conducting.test.ts.)
    await p.ok(["launch"]);
    await p.reaches("core", "review");
    await p.ok(["launch"]);
    expect((await p.task("child")).state).toBe("queued");
    expect((await p.show("child")).runs).toEqual([]);
    expect(existsSync(p.worktree("child"))).toBe(false);
  });

  it("with stack: true a dependent starts from its dependency's branch once that is in review", async () => {
    const p = await makeProject({ config: { stack: true } });
    await p.part("core", { steps: commitAndDone("core.txt", "from core\n") });
    // The dependent proves it sees core's work before doing its own.
    await p.part("child", {
      needs: ["core"],
      steps: [{ run: "grep -q 'from core' core.txt" }, ...commitAndDone("child.txt")],
    });
    await p.ok(["queue"]);

    const watch = await p.run(["launch", "--watch"]);
    expect(watch.code, watch.stdout + watch.stderr).toBe(0);
    expect((await p.task("core")).state).toBe("review");
    expect((await p.task("child")).state).toBe("review");

    const child = await p.show("child");
    expect(child.runs).toHaveLength(1);
    expect(child.runs[0]?.base).toBe("ballador/core");
    expect(existsSync(join(p.worktree("child"), "core.txt"))).toBe(true);
    // core's commit is in child's history.
    const coreTip = (await p.git(["rev-parse", "ballador/core"])).trim();
    await p.git(["merge-base", "--is-ancestor", coreTip, "ballador/child"]);
    const subjects = (await p.git(["log", "--format=%s", "ballador/child"])).split("\n");
    expect(subjects).toContain("add core.txt");
    expect(subjects).toContain("add child.txt");
  });
});

describe("launch: what each run gets", () => {
  it("a worktree on its branch, a tmux session on the configured socket, prompt.md, and a session log", async () => {
    const p = await makeProject({ config: { verify: "test -f one.txt" } });
    await p.part("one", {
      title: "The first part",
      body: "Write one.txt. UNIQUE-BODY-MARKER",
      steps: [{ print: "agent-output-marker" }, gate(p, "one"), ...commitAndDone("one.txt")],
    });
    await p.ok(["queue"]);
    const launched = parseJson<LaunchJson>(await p.run(["launch", "--json"]));
    expect(launched.started).toHaveLength(1);
    const started = launched.started[0]!;
    expect(started.worktree).toBe(p.worktree("one"));
    expect(started.branch).toBe("ballador/one");
    expect(started.session).toBe("bl-one");

    // While the agent works: its worktree, branch and session exist.
    expect((await p.task("one")).state).toBe("running");
    expect(existsSync(p.worktree("one"))).toBe(true);
    expect((await git(["rev-parse", "--abbrev-ref", "HEAD"], p.worktree("one"), p.env)).trim()).toBe(
      "ballador/one",
    );
    expect(await p.worktrees()).toContain(p.worktree("one"));
    expect(await p.sessions()).toEqual(["bl-one"]);

    const run = (await p.show("one")).runs[0]!;
    expect(run.worktree).toBe(p.worktree("one"));
    expect(run.session).toBe("bl-one");
    const prompt = await readFile(join(run.runDir, "prompt.md"), "utf8");
    expect(prompt).toContain("The first part");
    expect(prompt).toContain("UNIQUE-BODY-MARKER");
    expect(prompt).toContain("test -f one.txt");

    await p.open("one");
    await p.reaches("one", "review");
    expect((await p.git(["log", "-1", "--format=%s", "ballador/one"])).trim()).toBe("add one.txt");
    const logs = await p.run(["logs", "one"]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("agent-output-marker");
    // The agent's own lines after `ballador done` may be cut off when the supervisor ends it; the
    // supervisor's account of the report is what a person reads.
    expect(logs.stdout).toContain("[ballador] agent reported done: wrote one.txt");
  });

  it("reuses an existing branch of the task: its commits are kept, not reset", async () => {
    const p = await makeProject();
    await p.git(["checkout", "-q", "-b", "ballador/reuse"]);
    await p.write("earlier.txt", "earlier work\n");
    await p.git(["add", "earlier.txt"]);
    await p.git(["commit", "-q", "-m", "earlier work"]);
    const earlier = (await p.git(["rev-parse", "HEAD"])).trim();
    await p.git(["checkout", "-q", "main"]);

    await p.part("reuse", { steps: [{ run: "test -f earlier.txt" }, ...commitAndDone("more.txt")] });
    await launchedToReview(p, "reuse");
    await p.git(["merge-base", "--is-ancestor", earlier, "ballador/reuse"]);
    expect((await p.git(["log", "--format=%s", "ballador/reuse"])).split("\n").slice(0, 2)).toEqual([
      "add more.txt",
      "earlier work",
    ]);
  });
});

describe("launch: base", () => {
  it("--base cuts the new branch from the given tag instead of the configured base", async () => {
    const p = await makeProject();
    await p.git(["tag", "v1"]);
    await p.write("later.txt", "after v1\n");
    await p.git(["add", "later.txt"]);
    await p.git(["commit", "-q", "-m", "after v1"]);
    await p.part("old-base", { steps: [{ run: "test ! -e later.txt" }, ...commitAndDone("fix.txt")] });
    await p.ok(["queue"]);
    await p.ok(["launch", "old-base", "--base", "v1"]);
    await p.reaches("old-base", "review");
    const v1 = (await p.git(["rev-parse", "v1"])).trim();
    expect((await p.git(["rev-parse", "ballador/old-base~1"])).trim()).toBe(v1);
    expect((await p.show("old-base")).runs[0]?.base).toBe("v1");
  });
});

describe("logs", () => {
  it("shows a full-screen agent's session as the screens it showed; -f and --raw give the stream", async () => {
    const p = await makeProject();
    // A TUI on the alternate screen: a spinner redrawn in place, then its final screen.
    const tui = [
      "\x1b[?1049h\x1b[2J\x1b[H",
      "Thinking |",
      ...["/", "-", "\\"].map((c) => `\x1b[1;10H${c}`),
      "\x1b[2J\x1b[HEdited one.txt\r\n\x1b[32mall checks pass\x1b[0m",
      "\x1b[?1049l",
    ].join("");
    await p.part("tui", { steps: [{ print: tui }, ...commitAndDone("one.txt")] });
    await launchedToReview(p, "tui");

    const logs = await p.run(["logs", "tui"]);
    expect(logs.code).toBe(0);
    const lines = logs.stdout.split("\n");
    expect(lines).toContain("Thinking \\");
    expect(lines).toContain("Edited one.txt");
    expect(lines).toContain("all checks pass");
    // Not the redraw debris that removing the escapes leaves.
    expect(logs.stdout).not.toContain("Thinking |/-");
    expect(logs.stdout).not.toContain("\x1b");
    const followed = await p.run(["logs", "tui", "-f"]);
    expect(followed.stdout).toContain("Thinking |/-\\");
    expect((await p.run(["logs", "tui", "--raw"])).stdout).toContain("\x1b[?1049h");
    const json = await p.json<{ log: string; text: string }>(["logs", "tui"]);
    expect(json.log).toContain("\x1b[?1049h");
    expect(json.text.split("\n")).toContain("Edited one.txt");
  });
});
