import { describe, expect, it } from "vitest";
import {
  baseFileFindings,
  baseFileLimits,
  claimRefusedReason,
  continuesConversation,
  existingWorktreeProblem,
  launchAttempt,
  launchableStates,
  notLaunchableMessage,
  profileSlots,
} from "../../src/core/launch-rules.js";

describe("launch rules", () => {
  it("starts ready tasks, and resumes stopped, blocked or failed ones", () => {
    expect(launchableStates(false)).toEqual(["ready"]);
    expect(launchableStates(true)).toEqual(["stopped", "blocked", "failed"]);
  });

  it("says why a named task does not start, with what a queued one waits on", () => {
    expect(notLaunchableMessage("a", "queued", ["ready"], ["b", "c"])).toBe(
      "task a is queued, not ready; it waits on b, c",
    );
    expect(notLaunchableMessage("a", "merged", ["stopped", "blocked"], [])).toBe(
      "task a is merged, not stopped or blocked",
    );
  });

  it("counts each profile's live runs and limits", () => {
    expect(
      profileSlots({ x: { max_sessions: 2 }, y: { enabled: false }, z: undefined }, ["x", "x", "z"]),
    ).toEqual([
      { name: "x", enabled: true, maxSessions: 2, running: 2 },
      { name: "y", enabled: false, maxSessions: null, running: 0 },
      { name: "z", enabled: true, maxSessions: null, running: 1 },
    ]);
  });

  it("refuses a spec the base lacks (once per problem) and warns of a part", () => {
    const tasks = [
      { id: "a", spec: "s.md", partPath: "p/a.md" },
      { id: "b", spec: "s.md", partPath: "p/b.md" },
      { id: "c", spec: null, partPath: null },
    ];
    expect([...baseFileLimits(tasks, { part: 1, spec: 2 })]).toEqual([
      ["p/a.md", 1],
      ["s.md", 2],
      ["p/b.md", 1],
    ]);
    const found = baseFileFindings(
      tasks,
      new Map([
        ["s.md", "s.md is not committed on main"],
        ["p/b.md", "missing"],
        ["p/a.md", null],
      ]),
      "main",
    );
    expect(found.missingSpecs).toEqual(["s.md is not committed on main (spec of a, b)"]);
    expect(found.warnings).toEqual([
      "p/b.md (part b) is not committed on main; the agent gets its text in the prompt, but not the file (commit .ballador/)",
    ]);
  });

  it("numbers the attempt: a resume continues the last one", () => {
    expect(launchAttempt(false, 0)).toBe(1);
    expect(launchAttempt(false, 2)).toBe(3);
    expect(launchAttempt(true, 2)).toBe(2);
    expect(launchAttempt(true, 0)).toBe(1);
  });

  it("accepts an existing worktree only on the task's branch", () => {
    expect(existingWorktreeProblem("/w", "b/a", { branch: "refs/heads/b/a" })).toBeNull();
    expect(existingWorktreeProblem("/w", "b/a", { branch: "b/a" })).toBeNull();
    expect(existingWorktreeProblem("/w", "b/a", undefined)).toBe(
      "/w exists but is not a git worktree of this repository; move it away",
    );
    expect(existingWorktreeProblem("/w", "b/a", { branch: null })).toBe(
      "/w is a worktree on a detached HEAD, not b/a",
    );
    expect(existingWorktreeProblem("/w", "b/a", { branch: "refs/heads/x" })).toBe(
      "/w is a worktree on refs/heads/x, not b/a",
    );
  });

  it("names another launcher's claim, and continues a conversation only with the same agent", () => {
    expect(claimRefusedReason("UNIQUE constraint failed: runs.task")).toBe(
      "not started here: another launcher started it first",
    );
    expect(claimRefusedReason("disk I/O error")).toBe("not started here: disk I/O error");
    expect(continuesConversation(true, "claude", "claude")).toBe(true);
    expect(continuesConversation(true, "codex", "claude")).toBe(false);
    expect(continuesConversation(false, "claude", "claude")).toBe(false);
    expect(continuesConversation(true, null, "claude")).toBe(false);
  });
});
