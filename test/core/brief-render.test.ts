/**
 * The brief's text from its facts, without a project: every section, what each says when there
 * is nothing to say, and the agent's text kept escaped and fenced where it always was.
 */
import { describe, expect, it } from "vitest";
import {
  type BriefData,
  type BriefFacts,
  countDenials,
  renderBrief,
  specSectionBody,
} from "../../src/core/brief-render.js";

const HEAD = "0123456789abcdef0123456789abcdef01234567";

function data(over: Partial<BriefData> = {}): BriefData {
  return {
    task: "greet",
    branch: "ballador/greet",
    base: "main",
    head: HEAD,
    fork: null,
    merged: null,
    attempts: 1,
    profiles: ["claude"],
    secrets: [],
    summary: "greeting added under src/",
    cost: null,
    notes: ["chose plain text over JSON: nothing parses it yet"],
    violations: [],
    personNotes: [],
    dashboardActions: [],
    verification: [
      {
        kind: "gate",
        command: "./verify.sh",
        passed: true,
        ms: 1234,
        commit: HEAD,
        at: "t",
        tail: null,
        log: null,
      },
      {
        kind: "clean",
        command: "./verify.sh",
        passed: true,
        ms: 50,
        commit: HEAD,
        at: "t",
        tail: null,
        log: null,
      },
    ],
    flaky: [],
    unverified: false,
    tampered: [],
    dependencies: [],
    diffStat: " src/greeting.txt | 1 +\n 1 file changed, 1 insertion(+)",
    changed: ["src/greeting.txt"],
    outsideScope: [],
    denials: [],
    conflicts: [],
    mergeOrder: [],
    reviewer: null,
    specChange: null,
    stages: [],
    partVerify: null,
    ...over,
  };
}

const SPEC = `# 0001 Greetings

## Context
People want to be greeted.

## Problem
Nobody greets the person at the keyboard.
<!-- a comment the brief leaves out -->

## Decision
Greet with a plain text file under src/.
`;

function facts(over: Partial<BriefFacts> = {}, d: Partial<BriefData> = {}): BriefFacts {
  return {
    data: data(d),
    part: {
      title: "Greet the person",
      body: "Write the greeting.",
      scope: ["src/**"],
      spec: "specs/0001-greetings.md",
    },
    spec: { text: SPEC },
    ...over,
  };
}

/** The body under a `## ` heading, up to the next one. */
function section(md: string, heading: string): string {
  const lines = md.split("\n");
  const start = lines.indexOf(`## ${heading}`);
  if (start < 0) return "";
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith("## "));
  return (end < 0 ? rest : rest.slice(0, end)).join("\n").trim();
}

describe("renderBrief", () => {
  it("writes a plain task's brief, every section in order", () => {
    expect(renderBrief(facts())).toBe(
      [
        "# Greet the person",
        "",
        "Task `greet` on branch `ballador/greet` at 0123456789, for `main`. 1 attempt by claude.",
        "",
        "## The part",
        "",
        "Write the greeting.",
        "",
        "Declared scope: `src/**`",
        "",
        "## The spec",
        "",
        "From `specs/0001-greetings.md`:",
        "",
        "**Problem.** Nobody greets the person at the keyboard.",
        "",
        "**Decision.** Greet with a plain text file under src/.",
        "",
        "## What the agent says",
        "",
        "(the agent's own claims; the sections after this one are observed by Ballador)",
        "",
        "Summary: greeting added under src/",
        "",
        "- chose plain text over JSON: nothing parses it yet",
        "",
        "## Verification",
        "",
        "- passed: `./verify.sh` (run by the agent's `ballador done`) on 0123456789, 1.2 s",
        "- passed: `./verify.sh` (Ballador, clean checkout) on 0123456789, 0.1 s",
        "",
        "## Diff",
        "",
        "```",
        " src/greeting.txt | 1 +",
        " 1 file changed, 1 insertion(+)",
        "```",
        "",
        "All changed files are within the declared scope.",
        "",
        "## Sandbox",
        "",
        "No denied network requests.",
        "",
        "## Predicted conflicts",
        "",
        "None with other running or in-review branches.",
        "",
        "## Reviewer",
        "",
        "No reviewer profile has read this change.",
        "",
      ].join("\n"),
    );
  });

  it("says what is missing: no head, no agent, no spec, no checks, no changes", () => {
    const md = renderBrief(
      facts(
        { part: { title: "T", body: "", scope: [], spec: null }, spec: null },
        { head: null, attempts: 0, profiles: [], summary: null, notes: [], verification: [], diffStat: "" },
      ),
    );
    expect(md).toContain("Task `greet` on branch `ballador/greet`, for `main`. 0 attempts by no agent.");
    expect(section(md, "The part")).toBe("(no description)");
    expect(section(md, "The spec")).toBe("This part names no spec.");
    expect(section(md, "What the agent says")).toContain("No summary given.\n\nNo notes.");
    expect(section(md, "Verification")).toBe("No verification recorded.");
    expect(section(md, "Diff")).toBe("```\n(no changes)\n```");
  });

  it("says why the spec could not be read, and whether the branch changed it", () => {
    const missing = renderBrief(
      facts(
        { spec: { missing: "specs/0001-greetings.md is not committed on main" } },
        { specChange: { path: "specs/0001-greetings.md", changed: false, stat: "" } },
      ),
    );
    expect(section(missing, "The spec")).toBe(
      "`specs/0001-greetings.md`: specs/0001-greetings.md is not committed on main\n\n" +
        "This branch did not change the spec (a living spec records what the work taught: check its Decision and History).",
    );
    const changed = renderBrief(
      facts(
        {},
        { specChange: { path: "specs/0001-greetings.md", changed: true, stat: " specs/x.md | 2 +-" } },
      ),
    );
    expect(section(changed, "The spec")).toContain(
      "**This branch changed the spec:**\n\n```\n specs/x.md | 2 +-\n```",
    );
    // An empty spec file reads as no spec.
    expect(section(renderBrief(facts({ spec: { text: "" } })), "The spec")).toBe("This part names no spec.");
  });

  it("says where the work ran when any run was on a runner, and nothing when all ran here", () => {
    expect(renderBrief(facts({}, { runners: ["build-box", "local"] }))).toContain(
      "Ran on runner `build-box`, this machine: its clean verification there is the runner's, and merge verifies at home.",
    );
    expect(renderBrief(facts({}, { runners: ["local"] }))).not.toContain("Ran on");
    expect(renderBrief(facts())).not.toContain("Ran on");
  });

  it("lists secrets, usage, the person's notes and the dashboard's actions", () => {
    const md = renderBrief(
      facts(
        {},
        {
          attempts: 2,
          profiles: ["first", "second"],
          secrets: ["first: masks API_TOKEN (for api.example.test)"],
          cost: "11.8k tokens, $0.01",
          personNotes: ["looks right (ana)"],
          dashboardActions: ["2025-01-01 approve (review -> done), by ana"],
        },
      ),
    );
    expect(md).toContain(
      "2 attempts by first, second.\n\n- first: masks API_TOKEN (for api.example.test)\n\n## The part",
    );
    expect(md).toContain("Usage, from its own session records: 11.8k tokens, $0.01");
    expect(section(md, "The person's notes")).toBe(
      "(left by a person on the dashboard)\n\n- looks right (ana)",
    );
    expect(section(md, "Actions from the dashboard")).toBe("- 2025-01-01 approve (review -> done), by ana");
  });

  it("says under Verification what decided it, what is unverified, flaky or changes how tests run", () => {
    const md = renderBrief(
      facts(
        {},
        {
          partVerify: { part: "npm test -- greet", project: null },
          unverified: true,
          flaky: [HEAD],
          tampered: ["package.json `scripts.test`"],
          dependencies: [
            { section: "dependencies", name: "left-pad", from: null, to: "1.0.0" },
            { section: "devDependencies", name: "vitest", from: "1.0.0", to: null },
            { section: "dependencies", name: "yaml", from: "2.0.0", to: "2.1.0" },
          ],
        },
      ),
    );
    const v = section(md, "Verification");
    expect(v).toContain(
      "**The part's own verify command decided this task:** `npm test -- greet`, not the project's (none set). `ballador merge greet` asks you to accept it with `--accept-part-verify`.",
    );
    expect(v).toContain("**Unverified:** no verify command checked this work");
    expect(v).toContain(
      "**Flaky:** the same commit both passed and failed Ballador's own verification: 0123456789.",
    );
    expect(v).toContain("### Changes how tests run");
    // A hostile name is put in a code span its backticks cannot close.
    expect(v).toContain("- `` package.json `scripts.test` ``");
    expect(v).toContain("- added `left-pad` `1.0.0` (dependencies)");
    expect(v).toContain("- removed `vitest` (was `1.0.0`) (devDependencies)");
    expect(v).toContain("- changed `yaml` `2.0.0` -> `2.1.0` (dependencies)");
  });

  it("shows the newest three failed checks' output fenced and escaped, and counts the earlier ones", () => {
    const failed = (n: number) => ({
      kind: n % 2 ? "clean" : "update",
      command: "./verify.sh",
      passed: false,
      ms: 10,
      commit: HEAD,
      at: "t",
      tail: `FAIL ${n}\n\`\`\`\n## Injected heading\u001b]52`,
      log: `/runs/r${n}/verify.log`,
    });
    const md = renderBrief(facts({}, { verification: [1, 2, 3, 4].map(failed) }));
    const v = section(md, "Verification");
    expect(v).toContain("- FAILED: `./verify.sh` (Ballador, clean checkout) on 0123456789, 0.0 s");
    expect(v).toContain("(1 earlier failed checks: `ballador show` lists them)");
    expect(v).not.toContain("FAIL 1");
    expect(v).toContain("Output of the failed check on 0123456789 (updated branch), its end:");
    expect(v).toContain("The whole log: `/runs/r4/verify.log`");
    expect(md).not.toMatch(/\u001b/);
    expect(md.split("\n")).not.toContain("## Injected heading");
  });

  it("gives each pipeline stage its section", () => {
    const md = renderBrief(
      facts(
        {},
        {
          stages: [
            {
              index: 0,
              role: "test-author",
              profiles: ["author"],
              claim: "wrote test/shout.sh",
              gates: [
                {
                  passed: false,
                  summary: "",
                  commit: HEAD,
                  checks: [{ name: "tests fail", ok: false, detail: "passed" }],
                },
                {
                  passed: true,
                  summary: "",
                  commit: null,
                  checks: [{ name: "tests fail", ok: true, detail: "failed" }],
                },
              ],
            },
            { index: 1, role: "implementer", profiles: [], claim: null, gates: [] },
          ],
        },
      ),
    );
    expect(section(md, "Stage 1: test-author")).toBe(
      [
        "Who: author.",
        "",
        "What they claimed: wrote test/shout.sh",
        "",
        "Gate (round 1): REFUSED on 0123456789 (observed by Ballador):",
        "- FAILED: tests fail: passed",
        "Gate (round 2): passed (observed by Ballador):",
        "- ok: tests fail: failed",
      ].join("\n"),
    );
    expect(section(md, "Stage 2: implementer")).toBe(
      "Who: not run yet.\n\nWhat they claimed: nothing yet\n\nGate: not reached yet.",
    );
  });

  it("names files outside the scope, violations, denials, conflicts, the merge order and the reviewer", () => {
    const md = renderBrief(
      facts(
        {},
        {
          outsideScope: ["docs/greeting.md", "shared.txt"],
          violations: ["sandbox violation: moved refs/heads/main"],
          denials: [
            { host: "telemetry.example.test", port: 80, count: 1 },
            { host: "localhost", port: null, count: 2, secret: "API_TOKEN" },
          ],
          conflicts: ["greet and rival conflict in shared.txt"],
          mergeOrder: ["greet", "rival"],
          reviewer: "reviewer: approved",
        },
      ),
    );
    expect(section(md, "Diff")).toContain("**Outside the declared scope:** `docs/greeting.md`, `shared.txt`");
    expect(section(md, "Sandbox")).toBe(
      [
        "**Sandbox violations** (observed by Ballador; the real refs and files were not changed):",
        "",
        "- sandbox violation: moved refs/heads/main",
        "",
        "- denied telemetry.example.test:80 (1x); allow with `sandbox.allow_hosts` if it was needed",
        "- the stand-in of masked secret API_TOKEN was sent to localhost (2x), a host it is not for: it got the stand-in only",
      ].join("\n"),
    );
    expect(section(md, "Predicted conflicts")).toBe(
      "- greet and rival conflict in shared.txt\n\nSuggested merge order: greet → rival",
    );
    expect(section(md, "Reviewer")).toBe("reviewer: approved");
  });
});

describe("countDenials", () => {
  it("counts one row per host, port and secret", () => {
    expect(
      countDenials([
        { host: "a", port: 80 },
        { host: "a", port: 80 },
        { host: "a", port: 443 },
        { host: "a", port: 80, secret: "TOKEN" },
      ]),
    ).toEqual([
      { host: "a", port: 80, count: 2 },
      { host: "a", port: 443, count: 1 },
      { host: "a", port: 80, count: 1, secret: "TOKEN" },
    ]);
  });
});

describe("specSectionBody", () => {
  it("reads a section up to the next heading, without comments", () => {
    expect(specSectionBody(SPEC, "Problem")).toBe("Nobody greets the person at the keyboard.");
    expect(specSectionBody(SPEC, "Decision")).toBe("Greet with a plain text file under src/.");
    expect(specSectionBody(SPEC, "History")).toBeNull();
  });
});
