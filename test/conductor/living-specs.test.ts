/**
 * Living specs stay alive: the review brief says whether the branch changed the task's spec
 * (with that file's diff stat), and `spec check` flags a spec whose parts are all merged while
 * its History has no entry since the last merge.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, launchedToReview } from "../helpers/runtime.js";
import { makeVerifyProject, reviewBrief, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

const SPEC = `---
number: 1
title: "Greetings"
status: draft
---
# 0001 Greetings

## Context
c
## Problem
p
## Options
o
## Decision
Greet in plain text.
## Tried and did not work
t
## Access patterns
a
## Consequences
c
## History
- 2020-01-01: created
`;

describe("living specs", () => {
  it("the brief shows whether the branch changed the spec; spec check flags a finished spec without a History entry since", async () => {
    const p = await makeVerifyProject({ files: { "specs/0001-greetings.md": SPEC } });
    const spec = "specs/0001-greetings.md";
    await writePart(p, "keeps-spec", {
      spec,
      steps: [{ write: { path: "greet.txt", content: "hello\n" } }, { commit: "greet" }, { done: "greeted" }],
    });
    await writePart(p, "edits-spec", {
      spec,
      steps: [
        {
          edit: {
            path: spec,
            find: "Greet in plain text.",
            replace: "Greet in plain text, one line per person.",
          },
        },
        ...commitAndDone("people.txt", "ada\n", {
          commit: "people, and the decision updated",
          done: "people",
        }),
      ],
    });
    await launchedToReview(p, "keeps-spec");
    expect((await p.waitState("edits-spec", ["review", "failed"])).state).toBe("review");

    const edits = await reviewBrief(p, "edits-spec");
    const change = (edits.data as unknown as { specChange: { path: string; changed: boolean; stat: string } })
      .specChange;
    expect(change).toMatchObject({ path: spec, changed: true });
    expect(change.stat).toMatch(/specs\/0001-greetings\.md \| 2 \+-/);
    expect(edits.markdown).toContain("**This branch changed the spec:**");
    const keeps = await reviewBrief(p, "keeps-spec");
    expect((keeps.data as unknown as { specChange: { changed: boolean } }).specChange.changed).toBe(false);
    expect(keeps.markdown).toContain("This branch did not change the spec");

    // Not every part merged yet: no staleness reported.
    await p.commitAll("parts");
    await p.ok(["merge", "keeps-spec"]);
    let check = await p.run(["spec", "check", "--json"]);
    expect(JSON.parse(check.stdout).problems).toEqual([]);

    await p.ok(["merge", "edits-spec"]);
    check = await p.run(["spec", "check", "--json"]);
    expect(check.code).toBe(1);
    const problems = JSON.parse(check.stdout).problems as Array<{
      file: string;
      problem: string;
      fix: string;
    }>;
    const today = new Date().toISOString().slice(0, 10);
    expect(problems).toEqual([
      {
        file: spec,
        problem: `all 2 parts are merged (last on ${today}) but History has no entry since (latest: 2020-01-01)`,
        fix: `add "- ${today}: what was built and what changed in the design" under ## History`,
      },
    ]);

    // An entry dated after the last merge settles it.
    const text = await readFile(join(p.dir, spec), "utf8");
    await p.write(
      spec,
      `${text}- ${today}: greeting and people built; the decision names one line per person\n`,
    );
    check = await p.run(["spec", "check"]);
    expect(check.code, check.stdout).toBe(0);
  }, 120_000);
});
