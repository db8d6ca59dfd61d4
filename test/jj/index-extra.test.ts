import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { writePart } from "../helpers/verification.js";
import { filesIn, jjDone, jjOut, makeJjProject } from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

describe.skipIf(!version)(`the shared index and commit metadata (jj ${version ?? "not installed"})`, () => {
  it("an agent deleting and rewriting the person's index, metadata tables and git objects changes nothing at home; its own commit is taken", async () => {
    const p = await makeJjProject();
    const repo = join(p.dir, ".jj", "repo");
    const index = join(repo, "index");
    const extra = join(repo, "store", "extra");
    const objects = join(p.dir, ".git", "objects");
    await writePart(p, "vandal", {
      steps: [
        // Its commit, then the attacks, then its end: no `done`, which would end the session
        // while the attacks still run (and asks a jj they have broken).
        ...jjDone("vandal.txt", "v\n", "vandal work").slice(0, 2),
        // In place, through the links: refused by the file system.
        { run: `for f in $(find ${index} ${extra} -type l); do echo junk > "$f"; done`, allow_fail: true },
        // Removed and replaced by other bytes: the metadata tables...
        {
          run: `for f in $(find ${extra} -maxdepth 1 -type l); do rm -f "$f" && echo junk > "$f"; done`,
        },
        // ...and every index file and the tables' heads deleted.
        { run: `find ${index} ${extra}/heads -type l -delete && echo junk > ${index}/type` },
        // The git store's objects: the person's deleted where its jj reads them (its alternate:
        // read-only), and a forged loose object.
        { run: `rm -f $(cat ${objects}/info/alternates)/??/*`, allow_fail: true },
        { run: `mkdir -p ${objects}/ab && echo junk > ${objects}/ab/${"0".repeat(38)}` },
      ],
    });
    const mainBefore = (await jjOut(p, ["log", "--no-graph", "-r", "main", "-T", "commit_id"])).trim();
    const extraBefore = filesIn(extra);
    const indexBefore = filesIn(index);
    const objectsBefore = filesIn(objects);
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("vandal", ["review", "failed"])).state).toBe("failed");

    // Home: every file the person had, as it was (new tables and heads may be added).
    const extraAfter = filesIn(extra);
    for (const [name, bytes] of extraBefore)
      if (!name.startsWith("heads/")) expect(extraAfter.get(name), name).toBe(bytes);
    const indexAfter = filesIn(index);
    for (const [name, bytes] of indexBefore) expect(indexAfter.get(name), name).toBe(bytes);
    const objectsAfter = filesIn(objects);
    for (const [name, bytes] of objectsBefore) expect(objectsAfter.get(name), name).toBe(bytes);
    expect(objectsAfter.has(`ab/${"0".repeat(38)}`)).toBe(false);
    await p.git(["fsck", "--no-dangling"]);
    // The person's jj still works: log, op log, main where it was, the agent's change readable.
    expect((await jjOut(p, ["log", "--no-graph", "-r", "main", "-T", "commit_id"])).trim()).toBe(mainBefore);
    expect(await jjOut(p, ["op", "log", "--no-graph", "-n", "3"])).not.toBe("");
    expect(await jjOut(p, ["log", "--no-graph", "-r", "ballador/vandal", "-T", "description"])).toContain(
      "vandal work",
    );
    const notes = (await p.show("vandal")).notes.map((n) => n.text).join("\n");
    expect(notes).toMatch(/rewrote commit metadata table [0-9a-f]{12}/);
    expect(notes).toContain("git object refused: ab/");
    expect(await p.git(["show", "ballador/vandal:vandal.txt"])).toBe("v\n");
  }, 300_000);
});
