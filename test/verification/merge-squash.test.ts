/**
 * `merge --squash`: the agent's iterative commits become one commit on the base, verified like
 * any merge; the base gets no merge commit and none of the branch's commits, and `cleanup` knows
 * the squashed branch is merged.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects } from "../helpers/runtime.js";
import { makeVerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

interface MergeJson {
  commit: string;
  fastForward: boolean;
  verified: boolean;
  squashed: number | null;
}

describe("merge --squash", () => {
  it("folds three iterative commits into one commit on the base, verified, and cleanup removes the branch", async () => {
    const p = await makeVerifyProject({ config: { merge_strategy: "ff" } });
    await writePart(p, "iterate", {
      steps: [
        { write: { path: "feature.txt", content: "try 1\n" } },
        { commit: "wip: first try" },
        { write: { path: "feature.txt", content: "try 2\n" } },
        { commit: "wip: second try" },
        { write: { path: "notes.txt", content: "done\n" } },
        { commit: "wip: notes" },
        { done: { summary: "feature" } },
      ],
    });
    await p.commitAll("parts");
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("iterate", ["review", "failed"])).state).toBe("review");
    const main = await p.rev("main");
    const branch = await p.rev("ballador/iterate");

    const m = JSON.parse((await p.ok(["merge", "iterate", "--squash", "--json"])).stdout) as MergeJson;
    expect(m.squashed).toBe(3);
    // merge_strategy ff would fast-forward this branch; --squash never does.
    expect(m.fastForward).toBe(false);
    expect(m.verified).toBe(true);
    expect(await p.rev("main")).toBe(m.commit);
    expect(await p.rev("main^")).toBe(main);
    expect(await p.git(["rev-list", "--count", "--merges", `${main}..main`])).toBe("0\n");
    expect(await p.rev("main^{tree}")).toBe(await p.rev("ballador/iterate^{tree}"));
    expect((await p.git(["log", "-1", "--format=%s", "main"])).trim()).toBe(
      "Part iterate (iterate, 3 commits of ballador/iterate squashed)",
    );
    expect((await p.git(["branch", "--format=%(refname:short)", "--contains", branch])).trim()).toBe(
      "ballador/iterate",
    );
    expect((await p.task("iterate")).state).toBe("merged");

    // Not an ancestor of main, yet merged: cleanup removes worktree and branch without --force.
    expect(await p.git(["worktree", "list"])).toContain("iterate");
    await p.ok(["cleanup", "iterate"]);
    expect(await p.git(["branch", "--list", "ballador/iterate"])).toBe("");
    expect(await p.git(["worktree", "list"])).not.toContain("iterate");
  });

  it("text output says how many commits were squashed", async () => {
    const p = await makeVerifyProject();
    await writePart(p, "one", {
      steps: [
        { write: { path: "one.txt", content: "1\n" } },
        { commit: "one" },
        { done: { summary: "one" } },
      ],
    });
    await p.commitAll("parts");
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("one", ["review", "failed"])).state).toBe("review");
    const out = await p.ok(["merge", "one", "--squash"]);
    expect(out.stdout).toContain("(1 commit squashed into one)");
  });
});
