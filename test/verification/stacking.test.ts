/**
 * Stacking (stack: true): a dependent whose dependencies are in review starts from their
 * branches: one dependency's branch as is, several merged together. The dependents' scripts
 * check for their dependencies' files themselves, so a wrong start fails the run.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openProject } from "../../src/project/open.js";
import { ownChangedFiles, ownChangedFilesOf } from "../../src/verify/conflicts.js";
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

    // Each task's own files leave out what its dependencies' branches brought (and the merge
    // that stacked "both"), all four read at once, and agree with git's own answer per task.
    const project = await openProject(p.dir);
    try {
      const ids = ["a", "b", "one", "both"];
      const rows = ids.map((id) => project.store().task(id)).filter((t) => t !== null);
      const heads = new Map(
        await Promise.all(ids.map(async (id) => [id, await p.rev(`ballador/${id}`)] as const)),
      );
      const base = await p.rev("main");
      const all = await ownChangedFilesOf(project, base, rows, heads);
      expect(Object.fromEntries(all)).toEqual({
        a: ["a.txt"],
        b: ["b.txt"],
        one: ["one.txt"],
        both: ["both.txt"],
      });
      for (const t of rows) {
        const deps = t.needs.map((d) => `ballador/${d}`);
        const byGit = await p.git([
          "log",
          "--no-merges",
          "--name-only",
          "--format=",
          `ballador/${t.id}`,
          "--not",
          "main",
          ...deps,
        ]);
        const expected = [...new Set(byGit.split("\n").filter(Boolean))].sort();
        expect(all.get(t.id)).toEqual(expected);
        expect(await ownChangedFiles(project, t, heads.get(t.id) as string)).toEqual(expected);
      }
    } finally {
      project.close();
    }
  });
});
