/**
 * Runs in jj workspaces (vcs: jj), end to end through bin/ballador.js with a real jj (Debian
 * unstable's, from scripts/install-jj.mjs; skipped loudly without it) and real bubblewrap: a
 * colocated repository, scripted agents that work with jj in their workspaces, three parts (two
 * independent, one stacked on both) reaching review and merging in dependency order, the brief
 * showing the change's evolution, `merge` moving the bookmark at home, and cleanup forgetting
 * the workspaces. The attacks and the kill -9 are in runs-attacks.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { briefSection, reviewBrief } from "../helpers/verification.js";
import { jjOut, makeJjProject, threePartsToReview } from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

describe.skipIf(!version)(`runs in jj workspaces (jj ${version ?? "not installed"})`, () => {
  it("three parts, one stacked on two, reach review in their workspaces and merge in order; the bookmark moves at home", async () => {
    const p = await makeJjProject({ stack: true });
    await threePartsToReview(p);

    // Each workspace is jj's, named for its task; each change is the task's bookmark at home.
    const workspaces = await jjOut(p, ["workspace", "list", "-T", 'name ++ "\\n"']);
    expect(
      workspaces
        .split("\n")
        .filter((n) => n.startsWith("bl-"))
        .sort(),
    ).toEqual(["bl-a", "bl-b", "bl-c"]);
    const bookmark = async (name: string) =>
      (await jjOut(p, ["log", "--no-graph", "-r", name, "-T", "commit_id"])).trim();
    for (const id of ["a", "b", "c"])
      expect(await bookmark(`ballador/${id}`)).toBe(await p.rev(`ballador/${id}`));
    // c was stacked on both dependencies' changes.
    expect(await p.git(["show", "ballador/c:a.txt"])).toBe("a\n");
    expect(await p.git(["show", "ballador/c:b.txt"])).toBe("b\n");

    // Verified on a clean checkout of the exact commit, and the brief shows how a evolved.
    const brief = await reviewBrief(p, "a");
    const clean = brief.data.verification.filter((v) => v.kind === "clean");
    expect(clean.at(-1)).toMatchObject({ passed: true, commit: await p.rev("ballador/a") });
    const evolution = briefSection(brief.markdown, "Evolution");
    expect(evolution).toContain("first try at a");
    expect(evolution).toContain("add a");

    // update resets the task's tree with git: refused for a workspace, saying what to do instead.
    const update = await p.run(["update", "a"]);
    expect(update.code).not.toBe(0);
    expect(update.stderr).toContain("update is not available for tasks in jj workspaces yet");

    // The person's own work (the parts) is a commit of theirs: jj leaves git's HEAD detached.
    await jjOut(p, ["commit", "-m", "the parts"]);
    const mainBefore = await bookmark("main");
    await p.ok(["merge", "a"]);
    await p.ok(["merge", "b"]);
    await p.ok(["merge", "c"]);
    for (const id of ["a", "b", "c"]) expect((await p.task(id)).state).toBe("merged");
    // The person's jj sees main moved (merged a, b and c), without a command of theirs in between.
    const mainAfter = await bookmark("main");
    expect(mainAfter).not.toBe(mainBefore);
    expect(mainAfter).toBe(await p.rev("main"));
    for (const f of ["a.txt", "b.txt", "c.txt"])
      expect(await jjOut(p, ["file", "show", "-r", "main", f])).toBe(`${f[0]}\n`);

    // Cleanup forgets the workspaces and deletes the bookmarks.
    await p.ok(["cleanup", "--all"]);
    const after = await jjOut(p, ["workspace", "list", "-T", 'name ++ "\\n"']);
    expect(after.split("\n").filter((n) => n.startsWith("bl-"))).toEqual([]);
    expect(await jjOut(p, ["bookmark", "list", "-T", 'name ++ "\\n"'])).not.toContain("ballador/");
  }, 300_000);
});
