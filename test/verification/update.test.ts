/**
 * `update` (issue 15): the base brought into a reviewed task's branch. Clean: Ballador merges and
 * re-verifies, the task stays in review. Conflicting: the task's (scripted) agent gets an attempt
 * whose prompt carries the conflicted file as the merge leaves it and the task on the other side;
 * it resolves, and the result is verified before it is back in review. An attempt that does not
 * bring the base in is refused before verification: nothing unverified returns to review.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseJson } from "../helpers/cli.js";
import { cleanupProjects, commitAndDone, launchedToReview, type Step } from "../helpers/runtime.js";
import { gitCommit, makeVerifyProject, type VerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

interface UpdateJson {
  task: string;
  targets: Array<{ name: string; commit: string }>;
  outcome: string;
  commit: string | null;
  conflicts: string[];
  verifyFailed: string | null;
  launched: { started: Array<{ attempt: number }> } | null;
}

async function prompts(p: VerifyProject, id: string): Promise<string[]> {
  const runs = (await p.show(id)).runs.filter((r) => !r.id.includes("review"));
  return Promise.all(runs.map((r) => readFile(join(r.runDir, "prompt.md"), "utf8")));
}

const HEADING = "## Bring the new base into your branch";

/** Attempt 1 edits line two its way; later attempts run `later` (the resolution). */
function sideSteps(side: string, later: string): Step[] {
  return [
    {
      run: `if [ "$BALLADOR_ATTEMPT" = 1 ]; then sed -i 's/^two$/two (${side})/' shared.txt && ${gitCommit(`${side} line`)}; else ${later}; fi`,
    },
    { done: side },
  ];
}

/** Commits the parts, runs left and right to review, merges left; returns main after it. */
async function reviewBothMergeLeft(p: VerifyProject): Promise<string> {
  await p.commitAll("parts");
  await launchedToReview(p, "left");
  expect((await p.waitState("right", ["review", "failed"])).state).toBe("review");
  await p.ok(["merge", "left"]);
  return p.rev("main");
}

describe("update", () => {
  it("clean: merges the base into the branch, re-verifies, and the task stays in review; a second update has nothing to do", async () => {
    const p = await makeVerifyProject();
    await writePart(p, "a", { steps: commitAndDone("a.txt") });
    await launchedToReview(p, "a");
    const head = await p.rev("ballador/a");
    await p.write("other.txt", "someone else's work\n");
    const main = await p.commitAll("main moves on");

    const r = parseJson<UpdateJson>(await p.ok(["update", "a", "--json"]));
    expect(r).toMatchObject({
      task: "a",
      outcome: "updated",
      conflicts: [],
      verifyFailed: null,
      launched: null,
    });
    expect(r.targets.map((t) => [t.name, t.commit])).toEqual([["main", main]]);
    expect(await p.rev("ballador/a")).toBe(r.commit);
    expect((await p.git(["rev-parse", "ballador/a^1", "ballador/a^2"])).trim().split("\n")).toEqual([
      head,
      main,
    ]);
    expect((await p.task("a")).state).toBe("review");
    const shown = await p.show("a");
    expect(shown.notes.map((n) => n.text)).toContain(
      `update: brought main in at ${r.commit?.slice(0, 10)}; verified`,
    );
    // The task's worktree follows its branch: at the merge, nothing uncommitted.
    expect(await p.git(["-C", p.worktree("a"), "status", "--porcelain"])).toBe("");
    expect((await p.git(["-C", p.worktree("a"), "rev-parse", "HEAD"])).trim()).toBe(r.commit);
    await readFile(join(p.worktree("a"), "other.txt"), "utf8");

    const again = parseJson<UpdateJson>(await p.ok(["update", "a", "--json"]));
    expect(again.outcome).toBe("up-to-date");
    // Merging now needs no new verification of anything the update did not verify.
    await p.ok(["merge", "a"]);
    expect((await p.task("a")).state).toBe("merged");
  }, 120_000);

  it("conflicting: merge says to run update; the agent's attempt gets the conflict and the other side's task, resolves it, and is verified back to review", async () => {
    const p = await makeVerifyProject({ files: { "shared.txt": "one\ntwo\nthree\n" } });
    await writePart(p, "left", { body: "Mark line two as the left one.", steps: sideSteps("left", "true") });
    const resolve = [
      `git -c user.name=Agent -c user.email=agent@example.invalid merge main >/dev/null 2>&1 || true`,
      `printf 'one\\ntwo (left) (right)\\nthree\\n' > shared.txt`,
      gitCommit("merge main, keeping both marks"),
    ].join(" && ");
    await writePart(p, "right", { steps: sideSteps("right", resolve) });
    const main = await reviewBothMergeLeft(p);

    const refused = await p.run(["merge", "right"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("conflicts in shared.txt");
    expect(refused.stderr).toContain("ballador update right");

    const r = parseJson<UpdateJson>(await p.ok(["update", "right", "--json"]));
    expect(r.outcome).toBe("sent-to-agent");
    expect(r.conflicts).toEqual(["shared.txt"]);
    expect(r.launched?.started.map((s) => s.attempt)).toEqual([2]);
    expect((await p.waitState("right", ["review", "failed"])).state).toBe("review");

    const second = (await prompts(p, "right"))[1] as string;
    expect(second).toContain(HEADING);
    expect(second).toContain(`git merge ${main}`);
    expect(second).toContain("Conflicted files: `shared.txt`");
    // Both sides, as the merge leaves them, and the task whose work is on the other side.
    expect(second).toMatch(/<<<<<<< [^\n]*\ntwo \(right\)\n=======\ntwo \(left\)\n>>>>>>> /);
    expect(second).toContain("- `left`: Part left");
    expect(second).toContain("Mark line two as the left one.");
    expect(second).not.toContain("did not pass");

    // The resolution is on the branch, contains main, and was verified; merge now goes through.
    await p.git(["merge-base", "--is-ancestor", main, "ballador/right"]);
    expect(await readFile(join(p.worktree("right"), "shared.txt"), "utf8")).toBe(
      "one\ntwo (left) (right)\nthree\n",
    );
    const brief = JSON.parse((await p.ok(["review", "right", "--json", "--no-diff"])).stdout) as {
      data: { verification: Array<{ kind: string; passed: boolean; commit: string | null }> };
    };
    expect(brief.data.verification.at(-1)).toMatchObject({ kind: "clean", passed: true });
    expect(brief.data.verification.at(-1)?.commit).toBe(await p.rev("ballador/right"));
    await p.ok(["merge", "right"]);
    expect(await readFile(join(p.dir, "shared.txt"), "utf8")).toBe("one\ntwo (left) (right)\nthree\n");
  }, 150_000);

  it("refuses to return an unverified result: an attempt that reports done without bringing the base in fails, and the task does not reach review", async () => {
    const p = await makeVerifyProject({
      config: { max_attempts: 3 },
      files: { "shared.txt": "one\ntwo\nthree\n" },
    });
    await writePart(p, "left", { steps: sideSteps("left", "true") });
    // Later attempts only commit something else: the conflict stays unresolved.
    await writePart(p, "right", {
      steps: sideSteps("right", `echo "$BALLADOR_RUN_ID" >> notes.txt && ${gitCommit("something else")}`),
    });
    const main = await reviewBothMergeLeft(p);
    const r = parseJson<UpdateJson>(await p.ok(["update", "right", "--json"]));
    expect(r.outcome).toBe("sent-to-agent");
    const t = await p.waitState("right", ["review", "failed"], 60_000);
    expect(t.state).toBe("failed");
    expect(t.reason).toBe(
      `update: the branch does not contain ${main.slice(0, 10)}; the conflicts are not resolved`,
    );
    const shown = await p.show("right");
    expect(shown.runs.map((x) => x.outcome)).toEqual(["done", "verify-failed", "verify-failed"]);
    // The automatic retry was told what is missing.
    expect((await prompts(p, "right"))[2]).toContain(`Merge it into your branch (git merge ${main})`);
  }, 150_000);

  it("stacked: a dependent built on an older dependency is offered update by next, which brings the dependency's new branch in", async () => {
    const p = await makeVerifyProject({ config: { stack: true, max_attempts: 3 } });
    await writePart(p, "core", {
      steps: [{ run: `echo "$BALLADOR_RUN_ID" >> core.txt && ${gitCommit("core work")}` }, { done: "core" }],
    });
    await writePart(p, "child", { needs: ["core"], steps: commitAndDone("child.txt") });
    await p.commitAll("parts");
    await launchedToReview(p, "core");
    await p.ok(["launch"]);
    expect((await p.waitState("child", ["review", "failed"])).state).toBe("review");
    // core changes after child started on it.
    await p.ok(["request-changes", "core", "one more line"]);
    expect((await p.waitState("core", ["review", "failed"])).state).toBe("review");
    const core = await p.rev("ballador/core");
    const next = JSON.parse((await p.ok(["next", "--json"])).stdout) as {
      conflicts: Array<{ kind: string; tasks: string[]; message: string }>;
    };
    expect(next.conflicts).toContainEqual(
      expect.objectContaining({
        kind: "stack",
        tasks: ["child", "core"],
        message: expect.stringContaining("ballador update child"),
      }),
    );

    const r = parseJson<UpdateJson>(await p.ok(["update", "child", "--json"]));
    expect(r.outcome).toBe("updated");
    expect(r.targets.map((t) => [t.name, t.commit])).toEqual([["core", core]]);
    await p.git(["merge-base", "--is-ancestor", core, "ballador/child"]);
    const after = JSON.parse((await p.ok(["next", "--json"])).stdout) as {
      conflicts: Array<{ kind: string }>;
    };
    expect(after.conflicts.filter((c) => c.kind === "stack")).toEqual([]);
    expect((await p.task("child")).state).toBe("review");
  }, 150_000);
});
