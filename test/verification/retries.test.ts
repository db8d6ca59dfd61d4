/**
 * Retries and fallback: a failed clean verification goes back to the agent with the failure
 * output in its next prompt (same worktree), up to max_attempts; then the profile's fallback
 * takes over. Agents run in bubblewrap.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects } from "../helpers/runtime.js";
import { fixedOnlyInWorktree, makeVerifyProject, reviewBrief, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

describe("retries and fallback", () => {
  it("a failed clean verification is fed back: attempt 2's prompt carries attempt 1's verify output, and its fix reaches review", async () => {
    const p = await makeVerifyProject({ sandbox: "bwrap", config: { max_attempts: 2 } });
    // Attempt 1 commits a broken app.txt, fixes it only in the worktree and reports done with
    // --allow-dirty: the gate passes on the dirty tree, the clean checkout of the commit fails.
    // Attempt 2 commits the fix.
    await writePart(p, "retry", {
      steps: fixedOnlyInWorktree("commit the fix"),
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("retry", ["review", "failed", "blocked"], 60_000);
    expect(t.state).toBe("review");
    expect(t.attempt).toBe(2);

    const shown = await p.show("retry");
    expect(shown.runs.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, "verify-failed"],
      [2, "done"],
    ]);
    const [run1, run2] = shown.runs;
    // Same worktree and branch for both attempts.
    expect(run2?.worktree).toBe(run1?.worktree);
    expect(run2?.branch).toBe(run1?.branch);
    const prompt1 = await readFile(join(run1?.runDir ?? "", "prompt.md"), "utf8");
    const prompt2 = await readFile(join(run2?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt1).not.toContain("VERIFY-FAIL");
    expect(prompt2).toContain("## This is attempt 2");
    const firstTry = (await p.git(["log", "--format=%H %s", "main..ballador/retry"]))
      .split("\n")
      .find((l) => l.endsWith(" first try"))
      ?.slice(0, 10);
    expect(firstTry).toBeDefined();
    expect(prompt2).toContain(`clean checkout of your last commit ${firstTry}`);
    expect(prompt2).toContain("VERIFY-FAIL: app.txt says 'bad', expected 'good'");
    // The event log says why attempt 2 started.
    expect(shown.events.some((e) => e.to === "running" && /^attempt 2: verify: /.test(e.cause))).toBe(true);
  });

  it("after max_attempts the profile's fallback takes over and succeeds: both profiles in the runs, the task in review", async () => {
    const p = await makeVerifyProject({
      sandbox: "bwrap",
      config: {
        max_attempts: 1,
        agents: {
          default: "scripted",
          profiles: {
            scripted: { preset: "scripted" },
            first: { preset: "scripted", fallback: "second" },
            second: { preset: "scripted" },
          },
        },
      },
    });
    // The same script for both profiles; attempt 1 (first) leaves app.txt broken, attempt 2 (second) does not.
    await writePart(p, "handover", {
      agent: "first",
      steps: [
        { run: "if [ {attempt} -ge 2 ]; then echo good; else echo bad; fi > app.txt" },
        { write: { path: "feature.txt", content: "feature by attempt {attempt}\n" } },
        { commit: "attempt {attempt}" },
        { done: { summary: "done by attempt {attempt}" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    // Only review: after first's exit the task is failed for a moment before second starts.
    const t = await p.waitState("handover", "review", 60_000);
    expect(t.state).toBe("review");

    const shown = await p.show("handover");
    const runs = shown.runs as Array<(typeof shown.runs)[number] & { profile: string }>;
    expect(runs.map((r) => [r.attempt, r.profile])).toEqual([
      [1, "first"],
      [2, "second"],
    ]);
    // first's done was refused by the gate; it gave up (exited) without a passing verify.
    expect(runs[0]?.outcome).toBe("exited");
    expect(runs[1]?.outcome).toBe("done");
    expect(shown.events.some((e) => e.to === "running" && e.cause.startsWith("fallback to second:"))).toBe(
      true,
    );
    expect((await p.git(["show", "ballador/handover:feature.txt"])).trim()).toBe("feature by attempt 2");
    const b = await reviewBrief(p, "handover");
    expect(b.data.profiles).toEqual(["first", "second"]);
    // first's refused done is on record too, though its run ended without a report.
    expect(b.data.verification.map((v) => [v.kind, v.passed])).toEqual([
      ["gate", false],
      ["gate", true],
      ["clean", true],
    ]);
    expect(b.markdown).toContain("2 attempts by first, second.");
  });
});
