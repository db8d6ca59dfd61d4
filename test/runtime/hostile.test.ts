/**
 * Hostile values: ids, titles and branch prefixes that try to escape the worktree root or
 * reach a shell. HOME is the test's own folder (see makeProject), with a canary in it.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  cleanupProjects,
  commitAndDone,
  launchedToReview,
  makeProject,
  type Project,
} from "../helpers/runtime.js";

afterEach(cleanupProjects);

/** Every file or folder named `name` under `dir` (recursively). */
async function findNamed(dir: string, name: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = join(d, e.name);
      if (e.name === name) out.push(full);
      if (e.isDirectory() && !e.isSymbolicLink()) await walk(full);
    }
  };
  await walk(dir);
  return out;
}

async function expectNoPwned(p: Project): Promise<void> {
  expect(await findNamed(p.parent, "pwned")).toEqual([]);
  expect(existsSync(join(process.cwd(), "pwned"))).toBe(false);
}

describe("hostile values", () => {
  it("queue rejects ids like ../x and $(touch pwned); nothing is queued or created", async () => {
    const p = await makeProject();
    await p.part("escape", { rawId: "../x", file: "escape", steps: commitAndDone("x.txt") });
    await p.part("subst", { rawId: "$(touch pwned)", file: "subst", steps: commitAndDone("y.txt") });
    await p.part("fine", { steps: commitAndDone("fine.txt") });

    const r = await p.run(["queue"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("nothing was queued");
    // Each rejected file is named, with what a valid id looks like.
    expect(r.stderr).toMatch(/escape\.md:\d+: id: use 1-64 characters/);
    expect(r.stderr).toMatch(/subst\.md:\d+: id: use 1-64 characters/);
    expect((await p.status()).tasks).toEqual([]);

    // Asking for them by id does not reach anything either.
    for (const id of ["../x", "$(touch pwned)"]) {
      const l = await p.run(["launch", id]);
      expect(l.code).not.toBe(0);
    }
    expect(existsSync(join(p.parent, "x"))).toBe(false);
    expect(existsSync(p.worktreeRoot)).toBe(false);
    expect(await p.branches()).toEqual(["main"]);
    expect(await p.sessions()).toEqual([]);
    await expectNoPwned(p);
  });

  it("a title full of shell syntax runs like any other, and reaches the prompt verbatim", async () => {
    const p = await makeProject();
    const canary = join(p.home, "canary");
    await writeFile(canary, "still here\n");
    const title = "Hostile $(touch pwned) `touch pwned` and '; rm -rf ~ ; echo \"done";
    await p.part("hostile-title", { title, steps: commitAndDone("ok.txt") });
    await launchedToReview(p, "hostile-title");

    const shown = await p.show("hostile-title");
    expect(shown.task.title).toBe(title);
    const prompt = await readFile(join(shown.runs[0]!.runDir, "prompt.md"), "utf8");
    expect(prompt).toContain(title);
    expect(existsSync(canary)).toBe(true);
    await expectNoPwned(p);
  });

  it("a branch_prefix with shell metacharacters is rejected by config validation", async () => {
    for (const prefix of ["x$(touch pwned)/", "a;touch pwned/", "`touch pwned`/", "a b/"]) {
      const p = await makeProject({ config: { branch_prefix: prefix } });
      await p.part("t", { steps: commitAndDone("t.txt") });
      const r = await p.run(["launch"]);
      expect(r.code, prefix).not.toBe(0);
      expect(r.stderr).toContain("branch_prefix");
      expect(await p.branches()).toEqual(["main"]);
      await expectNoPwned(p);
    }
  });
});
