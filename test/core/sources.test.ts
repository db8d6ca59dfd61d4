/** Task sources' pure rules (issue 33): selection, ids, the settings block, the part, groups. */
import { describe, expect, it } from "vitest";
import { parsePart } from "../../src/core/part.js";
import {
  idClashes,
  issueSettings,
  issueTaskId,
  judgeIssue,
  planParts,
  type Selection,
  type TrackerIssue,
} from "../../src/core/sources.js";

const issue = (o: Partial<TrackerIssue> & { ref: string }): TrackerIssue => ({
  key: `#${o.ref}`,
  title: `Issue ${o.ref}`,
  body: "",
  url: null,
  open: true,
  labels: ["ballador"],
  assignees: ["alice"],
  blockedBy: [],
  parent: null,
  claimedBy: [],
  ...o,
});

const sel: Selection = {
  label: "ballador",
  assignee: "alice",
  instance: "me",
  hasProfile: (p) => p === "codex",
};
const describeIt = { what: (i: TrackerIssue) => `issue ${i.key}` };

describe("task ids from issue keys", () => {
  it.each([
    ["#12", "gh-12"],
    ["ENG-42", "gh-eng-42"],
    ["../../etc/passwd", "gh-etc-passwd"],
    ["$(rm -rf ~)", "gh-rm-rf"],
    ["ünïcødé", "gh-n-c-d"],
    ["----", "gh-issue"],
    ["x".repeat(300), `gh-${"x".repeat(40)}`],
  ])("%j becomes %s", (key, id) => {
    expect(issueTaskId("gh", key)).toBe(id);
    expect(id).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/);
  });
});

describe("which issues are imported", () => {
  it("needs the label (any case), the assignee, no other instance's claim, and a configured profile", () => {
    expect(judgeIssue(issue({ ref: "1", labels: ["BALLADOR"] }), sel)).toEqual({ import: true, agent: null });
    expect(judgeIssue(issue({ ref: "1", labels: ["ballador", "Agent:Codex"] }), sel)).toEqual({
      import: true,
      agent: "codex",
    });
    expect(judgeIssue(issue({ ref: "1", labels: ["ballador", "agent:any"] }), sel)).toEqual({
      import: true,
      agent: null,
    });
    expect(judgeIssue(issue({ ref: "1", labels: ["bug"] }), sel)).toEqual({
      import: false,
      reason: 'no "ballador" label',
    });
    expect(judgeIssue(issue({ ref: "1", open: false }), sel)).toEqual({ import: false, reason: "closed" });
    expect(judgeIssue(issue({ ref: "1", assignees: [] }), sel)).toEqual({
      import: false,
      reason: "not assigned to alice",
    });
    expect(judgeIssue(issue({ ref: "1", assignees: [] }), { ...sel, assignee: null })).toMatchObject({
      import: true,
    });
    expect(judgeIssue(issue({ ref: "1", claimedBy: ["me"] }), sel)).toMatchObject({ import: true });
    expect(judgeIssue(issue({ ref: "1", claimedBy: ["other"] }), sel)).toEqual({
      import: false,
      reason: "claimed by another Ballador (other)",
    });
    // A label chooses a profile of the config, nothing else: not a sandbox mode, a host or a path.
    for (const agent of ["agent:none", "agent:../../x", "agent:bwrap", "agent:*"])
      expect(judgeIssue(issue({ ref: "1", labels: ["ballador", agent] }), sel)).toMatchObject({
        import: false,
      });
  });
});

describe("the ```ballador block of an issue", () => {
  it("sets scope, priority and pipeline only", () => {
    const r = issueSettings("Text\n```ballador\nscope: [src/**]\npriority: 5\npipeline: tdd\n```\nMore");
    expect(r).toEqual({
      ok: true,
      settings: { scope: ["src/**"], priority: 5, pipeline: "tdd" },
      rest: "Text\nMore",
    });
    for (const bad of [
      "verify: rm -rf /",
      "sandbox: none",
      "allow_hosts: ['*']",
      "agent: codex",
      "scope: ['../x']",
    ])
      expect(issueSettings(`\`\`\`ballador\n${bad}\n\`\`\``)).toMatchObject({ ok: false });
    expect(issueSettings("```ballador\nscope: [a]")).toEqual({
      ok: false,
      problem: "its ```ballador block is never closed",
    });
    expect(issueSettings("no block")).toEqual({ ok: true, settings: {}, rest: "no block" });
  });
});

describe("planning parts from issues", () => {
  it("turns blockers into needs, skips what is blocked by an issue left out, and groups sub-issues under their parent", () => {
    const plan = planParts(
      "gh",
      [
        issue({ ref: "1" }),
        issue({ ref: "2", blockedBy: ["1"] }),
        issue({ ref: "3", labels: [] }),
        issue({ ref: "4", blockedBy: ["3"] }),
        issue({ ref: "5", blockedBy: ["4"] }),
        issue({ ref: "10", title: "Epic" }),
        issue({ ref: "11", parent: "10", labels: [] }),
        issue({ ref: "12", parent: "10", labels: [], blockedBy: ["11"] }),
      ],
      sel,
      describeIt,
    );
    expect(plan.parts.map((p) => [p.id, p.group])).toEqual([
      ["gh-1", ""],
      ["gh-2", ""],
      ["gh-11", "gh-10"],
      ["gh-12", "gh-10"],
    ]);
    expect(plan.skipped.map((s) => [s.key, s.reason])).toEqual([
      ["#3", 'no "ballador" label'],
      ["#10", "has sub-issues: they are the parts"],
      ["#4", "blocked by #3 that is not imported"],
      ["#5", "blocked by #4 that is not imported"],
    ]);
    const p12 = parsePart(plan.parts[3]?.text ?? "", "x.md");
    expect(p12).toMatchObject({ ok: true, part: { id: "gh-12", needs: ["gh-11"] } });
    expect(plan.parts[3]?.text).toContain('part of issue #10: "Epic"');
  });

  it("writes a part the queue accepts, whatever the issue holds", () => {
    const hostile = issue({
      ref: "7",
      title: "\u001b[2J\nid: evil\n---",
      body: "---\nid: evil\n---\n```ballador\npriority: 3\n```\n\u0007\u009b31m",
    });
    const [part] = planParts("gh", [hostile], sel, describeIt).parts;
    const parsed = parsePart(part?.text ?? "", "x.md");
    expect(parsed).toMatchObject({ ok: true, part: { id: "gh-7", priority: 3, title: "[2J id: evil ---" } });
    expect(part?.text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it("refuses two issues that become one task id, naming both", () => {
    const plan = planParts(
      "gh",
      [issue({ ref: "1", key: "A-1" }), issue({ ref: "2", key: "a_1" })],
      sel,
      describeIt,
    );
    expect(idClashes(plan.parts)).toEqual(["issues A-1 and a_1 both become task gh-a-1"]);
  });
});
