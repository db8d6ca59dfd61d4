/**
 * A task's own changed files (ownChangedFiles, and ownChangedFilesOf for many at once) on stacked
 * branches: a dependent that starts from its dependency's branch, or from a merge of two, owns
 * only its own commits' files, not what its dependencies' branches (or the merge that stacked
 * them) brought. The branches are laid out as `stack: true` lays them out
 * (test/verification/stacking.test.ts launches the real thing); each answer must agree with git's
 * own `log --no-merges <head> --not <base> <dependencies>`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openProject } from "../../src/project/open.js";
import { ownChangedFiles, ownChangedFilesOf } from "../../src/verify/conflicts.js";
import { cleanupProjects, makeProject } from "../helpers/runtime.js";

afterEach(cleanupProjects);

describe("own changed files on stacked branches", () => {
  it("leave out the dependencies' files and the stacking merge, one task or all four at once", async () => {
    const p = await makeProject();
    await p.part("a");
    await p.part("b");
    await p.part("one", { needs: ["a"] });
    await p.part("both", { needs: ["a", "b"] });
    await p.ok(["queue"]);
    const commit = async (branch: string, from: string, file: string) => {
      await p.git(["checkout", "-q", "-b", branch, from]);
      await p.write(file, `${file}\n`);
      await p.git(["add", file]);
      await p.git(["commit", "-q", "-m", `add ${file}`]);
    };
    await commit("ballador/a", "main", "a.txt");
    await commit("ballador/b", "main", "b.txt");
    await commit("ballador/one", "ballador/a", "one.txt");
    // "both" starts from a merge of its two dependencies' branches.
    await p.git(["checkout", "-q", "-b", "ballador/both", "ballador/a"]);
    await p.git(["merge", "-q", "--no-ff", "-m", "stack a and b", "ballador/b"]);
    await p.write("both.txt", "both.txt\n");
    await p.git(["add", "both.txt"]);
    await p.git(["commit", "-q", "-m", "add both.txt"]);
    await p.git(["checkout", "-q", "main"]);

    const project = await openProject(p.dir);
    try {
      const ids = ["a", "b", "one", "both"];
      const rows = ids.map((id) => project.store().task(id)).filter((t) => t !== null);
      expect(rows.map((t) => [t.id, t.needs])).toEqual([
        ["a", []],
        ["b", []],
        ["one", ["a"]],
        ["both", ["a", "b"]],
      ]);
      const heads = new Map(
        await Promise.all(
          ids.map(async (id) => [id, (await p.git(["rev-parse", `ballador/${id}`])).trim()] as const),
        ),
      );
      const base = (await p.git(["rev-parse", "main"])).trim();
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
