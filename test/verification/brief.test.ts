/**
 * The review brief: every section carries real content observed for the task (the part, the
 * spec's Problem and Decision, the agent's summary and notes, verification with command and
 * duration, the diff stat, files outside the declared scope, sandbox denials, predicted
 * conflicts, the reviewer line). Agents run in bubblewrap with no host allowed.
 */
import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects } from "../helpers/runtime.js";
import {
  briefHeadings,
  briefSection,
  makeVerifyProject,
  reviewBrief,
  writePart,
} from "../helpers/verification.js";

afterEach(cleanupProjects);

const SPEC = `# 0001 Greetings

## Context
People want to be greeted.

## Problem
Nobody greets the person at the keyboard: the service answers with silence.

## Decision
Greet with a plain text file under src/, read by the front end as is; no templating.

## History
- created
`;

describe("the review brief", () => {
  it("contains each section with real content", async () => {
    const p = await makeVerifyProject({
      sandbox: "bwrap",
      files: { "specs/0001-greetings.md": SPEC, "shared.txt": "one\ntwo\nthree\n" },
    });
    await writePart(p, "greet", {
      title: "Greet the person",
      spec: "specs/0001-greetings.md",
      scope: ["src/**"],
      body: "Write the greeting under src/; the front end reads it as plain text.",
      steps: [
        { note: "chose plain text over JSON: nothing parses it yet" },
        { http: { url: "http://telemetry.example.test/ping", timeout_ms: 5000 }, allow_fail: true },
        { write: { path: "src/greeting.txt", content: "hello\n" } },
        { write: { path: "docs/greeting.md", content: "The greeting lives in src/greeting.txt.\n" } },
        { edit: { path: "shared.txt", find: "two", replace: "two (greet)" } },
        { commit: "greeting, its doc, shared line" },
        { done: { summary: "greeting added under src/" } },
      ],
    });
    // A parallel task editing the same line: the predicted conflict.
    await writePart(p, "rival", {
      steps: [
        { edit: { path: "shared.txt", find: "two", replace: "two (rival)" } },
        { commit: "rival's shared line" },
        { done: { summary: "shared line changed" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("greet", ["review", "failed", "blocked"])).state).toBe("review");
    expect((await p.waitState("rival", ["review", "failed", "blocked"])).state).toBe("review");
    // Both branches still carry their agents' work (nothing in the parallel run reset them).
    expect(await p.ownCommits("greet")).toEqual(["greeting, its doc, shared line"]);
    expect(await p.ownCommits("rival")).toEqual(["rival's shared line"]);

    const b = await reviewBrief(p, "greet");
    const md = b.markdown;
    // Written where review said, and the same text.
    expect(await readFile(b.path, "utf8")).toBe(md);
    expect(md.split("\n")[0]).toBe("# Greet the person");
    expect(briefHeadings(md)).toEqual([
      "The part",
      "The spec",
      "What the agent says",
      "Verification",
      "Diff",
      "Sandbox",
      "Predicted conflicts",
      "Reviewer",
    ]);

    const part = briefSection(md, "The part");
    expect(part).toContain("Write the greeting under src/; the front end reads it as plain text.");
    expect(part).toContain("Declared scope: `src/**`");

    const spec = briefSection(md, "The spec");
    expect(spec).toContain("From `specs/0001-greetings.md`");
    expect(spec).toContain("**Problem.** Nobody greets the person at the keyboard");
    expect(spec).toContain("**Decision.** Greet with a plain text file under src/");
    expect(spec).not.toContain("People want to be greeted"); // an excerpt, not the whole spec

    const says = briefSection(md, "What the agent says");
    expect(says).toContain("Summary: greeting added under src/");
    expect(says).toContain("- chose plain text over JSON: nothing parses it yet");

    const head = await p.rev("ballador/greet");
    const verification = briefSection(md, "Verification");
    expect(verification).toMatch(
      new RegExp(
        `- passed: \`\\./verify\\.sh\` \\(run by the agent's \`ballador done\`\\) on ${head.slice(0, 10)}, \\d+\\.\\d s`,
      ),
    );
    expect(verification).toMatch(
      new RegExp(
        `- passed: \`\\./verify\\.sh\` \\(Ballador, clean checkout\\) on ${head.slice(0, 10)}, \\d+\\.\\d s`,
      ),
    );

    const diff = briefSection(md, "Diff");
    expect(diff).toMatch(/src\/greeting\.txt\s+\|\s+1 \+/);
    expect(diff).toMatch(/docs\/greeting\.md\s+\|\s+1 \+/);
    expect(diff).toContain("3 files changed");
    // git indents every stat line; the first keeps its leading space like the others.
    expect(md).toContain("## Diff\n\n```\n docs/greeting.md ");
    expect(diff).toContain("**Outside the declared scope:** `docs/greeting.md`, `shared.txt`");
    expect(b.data.outsideScope).toEqual(["docs/greeting.md", "shared.txt"]);

    const sandbox = briefSection(md, "Sandbox");
    expect(sandbox).toMatch(
      /- denied telemetry\.example\.test(:80)? \(1x\); allow with `sandbox\.allow_hosts`/,
    );

    const conflicts = briefSection(md, "Predicted conflicts");
    expect(conflicts).toContain("greet and rival conflict in shared.txt");

    expect(briefSection(md, "Reviewer")).toBe("No reviewer profile has read this change.");

    // `ballador review` (not --json) shows the brief, then the diff.
    const shown = await p.ok(["review", "greet"]);
    expect(shown.stdout).toContain("## Predicted conflicts");
    expect(shown.stdout).toContain("diff --git a/src/greeting.txt b/src/greeting.txt");
    expect(shown.stdout).toContain("+hello");
  });

  it("judges the task's branch, not a tag of the same name that points elsewhere", async () => {
    const p = await makeVerifyProject({ sandbox: "bwrap" });
    await writePart(p, "tagged", {
      steps: [
        { write: { path: "tagged.txt", content: "work\n" } },
        { commit: "the task's work" },
        { done: { summary: "work committed" } },
      ],
    });
    await p.ok(["queue"]);
    // A tag named like the task's branch, on the base: git resolves the bare name to the tag.
    await p.git(["tag", "ballador/tagged", "main"]);
    await p.ok(["launch"]);
    expect((await p.waitState("tagged", ["review", "failed", "blocked"])).state).toBe("review");
    const b = await reviewBrief(p, "tagged");
    expect(b.data.head).toBe(await p.rev("refs/heads/ballador/tagged"));
    expect(briefSection(b.markdown, "Diff")).toMatch(/tagged\.txt\s+\|\s+1 \+/);
  });
});
