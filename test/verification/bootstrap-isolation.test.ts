/**
 * Bootstrap products and verification (issue 11): what one agent leaves in its worktree (its
 * dependencies folder, poisoned) never reaches another task's worktree or verification: each
 * verification checkout is fresh and bootstraps for itself, in the sandbox.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, gate, launchedToReview } from "../helpers/runtime.js";
import { makeVerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

const CHECK = 'test ! -e deps/evil && test "$(cat deps/marker)" = built';

describe("bootstrap products", () => {
  it("one task's poisoned dependencies folder reaches neither another task's worktree nor its verification, nor the merge's", async () => {
    const p = await makeVerifyProject({
      sandbox: "bwrap",
      config: { max_parallel: 2, bootstrap: ["mkdir -p deps && echo built > deps/marker"] },
      files: { ".gitignore": "deps/\n" },
    });
    await writePart(p, "poisoner", {
      verify: "true",
      steps: [
        // Its own products, then every other worktree's it can name.
        { run: "echo evil > deps/evil && echo evil > deps/marker" },
        { run: 'for d in ../*/deps; do echo evil > "$d/evil"; done 2>/dev/null; true' },
        ...commitAndDone("poisoner.txt"),
      ],
    });
    await writePart(p, "victim", {
      verify: CHECK,
      steps: [gate(p, "poisoned"), ...commitAndDone("victim.txt")],
    });
    await p.commitAll("parts");
    await launchedToReview(p, "poisoner");
    // The poison is in the poisoner's worktree, and only there.
    expect(existsSync(join(p.worktree("poisoner"), "deps", "evil"))).toBe(true);
    expect(existsSync(join(p.worktree("victim"), "deps", "evil"))).toBe(false);
    await p.open("poisoned");
    await p.reaches("victim", "review");
    expect(readFileSync(join(p.worktree("victim"), "deps", "marker"), "utf8")).toBe("built\n");

    // And at merge, the merged result verifies from its own bootstrap as well.
    await p.ok(["merge", "poisoner", "--accept-part-verify"]);
    const merged = await p.ok(["merge", "victim", "--accept-part-verify"]);
    expect(merged.stdout).toContain("verifying the merged result");
    expect(merged.stdout).toContain("Merged victim");
  });
});
