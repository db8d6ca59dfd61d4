/**
 * The reviewer pass: a reviewer profile reads verified work read-only and approves or requests
 * changes; requested changes go back to the implementer as the next attempt.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, launchedToReview, makeProject } from "../helpers/runtime.js";

afterEach(cleanupProjects);

describe("reviewer pass", () => {
  it("requests changes on attempt 1, approves attempt 2, cannot write the worktree, and its verdict joins the brief", async () => {
    const p = await makeProject({ config: { max_attempts: 2, sandbox: { mode: "bwrap", allow_hosts: [] } } });
    const script = join(p.parent, "review.yaml");
    await writeFile(
      script,
      [
        "steps:",
        // Read-only: the reviewer's attempt to edit the worktree must fail.
        '  - write: { path: "{worktree}/reviewer-was-here.txt", content: "x" }',
        "    expect_fail: true",
        "  - run: \"grep -q v2 src/a.txt && ballador approve 'checked src/a.txt' || ballador request-changes 'write v2 into src/a.txt'\"",
        "",
      ].join("\n"),
    );
    const config = (await p.git(["show", "HEAD:.ballador/config.yaml"])).replace(
      "profiles:\n    scripted:",
      `profiles:\n    critic:\n      command: [ballador-scripted-agent, --script, ${JSON.stringify(script)}]\n    scripted:`,
    );
    await p.write(".ballador/config.yaml", `${config}reviewer: critic\n`);
    await p.git(["commit", "-qam", "reviewer"]);
    await p.part("write-a", {
      steps: commitAndDone("src/a.txt", "v{attempt}\n", {
        commit: "write a v{attempt}",
        done: "wrote v{attempt}",
      }),
    });
    await launchedToReview(p, "write-a");
    const shown = await p.show("write-a");
    expect(shown.runs.map((r) => [r.profile, r.outcome])).toEqual([
      ["scripted", "verified"],
      ["critic", "changes-requested"],
      ["scripted", "verified"],
      ["critic", "approved"],
    ]);
    const attempt2 = shown.runs[2]!;
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(join(attempt2.runDir, "prompt.md"), "utf8")).toContain("write v2 into src/a.txt");
    expect((await p.git(["show", "ballador/write-a:src/a.txt"])).trim()).toBe("v2");
    expect(
      (await p.git(["ls-tree", "-r", "--name-only", "ballador/write-a"])).includes("reviewer-was-here"),
    ).toBe(false);
    const brief = await p.ok(["review", "write-a", "--no-diff"]);
    expect(brief.stdout).toContain("reviewer: approved by critic: checked src/a.txt");
  });
});
