/**
 * Stacking (stack: true): a dependent whose dependencies are in review starts from their
 * branches: one dependency's branch as is, several merged together. The dependents' scripts
 * check for their dependencies' files themselves, so a wrong start fails the run. What each
 * stacked task owns of the changes is test/verify/own-changed-files.test.ts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone } from "../helpers/runtime.js";
import { makeVerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

describe("stacked dependents", () => {
  it("start from the dependency's branch, or from a merge of both dependencies' branches", async () => {
    const p = await makeVerifyProject({ config: { stack: true } });
    await writePart(p, "a", { steps: commitAndDone("a.txt") });
    await writePart(p, "b", { steps: commitAndDone("b.txt") });
    await writePart(p, "one", {
      needs: ["a"],
      steps: [{ run: "test -f a.txt" }, ...commitAndDone("one.txt")],
    });
    await writePart(p, "both", {
      needs: ["a", "b"],
      steps: [{ run: "test -f a.txt && test -f b.txt" }, ...commitAndDone("both.txt")],
    });
    await p.ok(["queue"]);
    const first = JSON.parse((await p.ok(["launch", "--json"])).stdout) as { started: Array<{ id: string }> };
    expect(first.started.map((s) => s.id).sort()).toEqual(["a", "b"]);
    // (The dependents are not started with them: launch waits for the agents to start, and a
    // scripted agent may already be in review by then, which makes its dependents ready.)
    expect((await p.waitState("a", ["review", "failed"])).state).toBe("review");
    expect((await p.waitState("b", ["review", "failed"])).state).toBe("review");

    // Dependencies in review: the dependents are ready and start on their branches.
    expect((await p.task("one")).state).toBe("ready");
    expect((await p.task("both")).state).toBe("ready");
    await p.ok(["launch"]);
    expect((await p.waitState("one", ["review", "failed"])).state).toBe("review");
    expect((await p.waitState("both", ["review", "failed"])).state).toBe("review");

    expect(existsSync(join(p.worktree("one"), "a.txt"))).toBe(true);
    expect(existsSync(join(p.worktree("one"), "b.txt"))).toBe(false);
    for (const f of ["a.txt", "b.txt", "both.txt"])
      expect(existsSync(join(p.worktree("both"), f))).toBe(true);

    const isAncestor = async (a: string, b: string) =>
      (await p.git(["merge-base", "--is-ancestor", a, b]).then(
        () => true,
        () => false,
      )) as boolean;
    expect(await isAncestor("ballador/a", "ballador/one")).toBe(true);
    expect(await isAncestor("ballador/b", "ballador/one")).toBe(false);
    expect(await isAncestor("ballador/a", "ballador/both")).toBe(true);
    expect(await isAncestor("ballador/b", "ballador/both")).toBe(true);
    // The run records where it started.
    expect((await p.show("one")).runs[0]?.base).toBe("ballador/a");
  });
});
