/**
 * The git store's refs/jj (jj's keep refs, which keep its commits through `git gc`) is a per-run
 * copy inside a jj run: an agent deleting the person's keep refs or adding one
 * for an object the store never gets changes nothing at home; its own commit's keep ref is taken.
 * End to end through bin/ballador.js with a real jj and bubblewrap.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { writePart } from "../helpers/verification.js";
import { jjDone, jjOut, makeJjProject } from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

describe.skipIf(!version)(`jj's keep refs in a run (jj ${version ?? "not installed"})`, () => {
  it("an agent deleting the person's keep refs and adding one for a missing object changes nothing at home; its own is taken", async () => {
    const p = await makeJjProject();
    const keep = join(p.dir, ".git", "refs", "jj", "keep");
    // One more from a person's jj command; then every ref packed, as `git gc` leaves them: the
    // run's copy holds them loose, its packed-refs is its own (spec 0015).
    await jjOut(p, ["describe", "-m", "the person's wip"]);
    await p.git(["pack-refs", "--all"]);
    const keepRefs = async () =>
      await p.git(["for-each-ref", "--format=%(refname) %(objectname)", "refs/jj/"]);
    const before = (await keepRefs()).trim().split("\n");
    expect(before.length).toBeGreaterThan(1);
    const missing = "1".repeat(40);
    await writePart(p, "vandal", {
      steps: [
        ...jjDone("vandal.txt", "v\n", "vandal work").slice(0, 2),
        // Every keep ref of the person's...
        {
          run: `for r in ${before.map((l) => l.split(" ")[0]?.split("/").pop()).join(" ")}; do rm -f ${keep}/$r; done`,
        },
        // ...and a keep ref naming an object the store never gets.
        { run: `echo ${missing} > ${keep}/${missing}` },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("vandal", ["review", "failed"])).state).toBe("failed");

    const after = (await keepRefs()).trim().split("\n");
    for (const line of before) expect(after).toContain(line);
    expect(after.some((l) => l.includes(missing))).toBe(false);
    await p.git(["fsck", "--no-dangling"]);
    // Its own commit taken, with its keep ref.
    const head = (await p.git(["rev-parse", "ballador/vandal"])).trim();
    expect(after).toContain(`refs/jj/keep/${head} ${head}`);
    expect(await p.git(["show", "ballador/vandal:vandal.txt"])).toBe("v\n");
    const notes = (await p.show("vandal")).notes.map((n) => n.text).join("\n");
    expect(notes).toMatch(/deleted keep ref refs\/jj\/keep\/[0-9a-f]{40}/);
    expect(notes).toContain(`keep ref refs/jj/keep/${missing} names no commit in the repository`);
  }, 300_000);
});
