import { describe, expect, it } from "vitest";
import type { Stage, StageKind } from "../../src/core/pipeline.js";
import {
  auditGate,
  auditNoVerdict,
  finishCause,
  pauseCause,
  pipelineLabel,
  pipelineStep,
  stageCannotStart,
  stageStartCause,
} from "../../src/core/pipeline-step.js";

function stages(...specs: Array<[string, StageKind, boolean?]>): Stage[] {
  return specs.map(([role, kind, pauseAfter], index) => ({
    index,
    role,
    kind,
    profile: null,
    prompt: null,
    paths: null,
    pauseAfter: pauseAfter ?? false,
  }));
}

const TDD = stages(["test-author", "tests"], ["implementer", "build"], ["security-auditor", "audit"]);
const PAUSED = stages(["test-author", "tests", true], ["implementer", "build"]);
const BUILD_ONLY = stages(["implementer", "build"]);
const H = "0123456789abcdef0123456789abcdef01234567";

describe("pipelineStep", () => {
  it.each([
    ["tdd after the test author: the implementer starts", TDD, 0, true, { kind: "start", next: TDD[1] }],
    ["tdd after the implementer: the auditor reads", TDD, 1, true, { kind: "audit", next: TDD[2] }],
    ["tdd after the auditor: review without a second read", TDD, 2, true, { kind: "finish", review: false }],
    ["a pause after a stage", PAUSED, 0, true, { kind: "pause", next: PAUSED[1] }],
    ["past the last build stage, with a reviewer", BUILD_ONLY, 0, true, { kind: "finish", review: true }],
    ["past the last build stage, no reviewer", BUILD_ONLY, 0, false, { kind: "finish", review: false }],
  ] as const)("%s", (_name, s, index, reviewer, want) => {
    expect(pipelineStep(s, index, reviewer)).toEqual(want);
  });
});

describe("the words of a pipeline's steps", () => {
  it("names, causes, failures", () => {
    expect(pipelineLabel("tdd", TDD)).toBe("tdd");
    expect(pipelineLabel(null, TDD)).toBe("test-author → implementer → security-auditor");
    expect(finishCause("tdd", "security-auditor", H, false)).toBe(
      "pipeline tdd: every stage passed its gate (last: security-auditor on 0123456789)",
    );
    expect(finishCause("tdd", "implementer", H, true)).toBe(
      "pipeline tdd: every stage passed its gate (last: implementer on 0123456789); reviewer approved",
    );
    expect(pauseCause("t1", "test-author", "implementer")).toBe(
      'paused after test-author for the person\'s check: ballador approve t1 continues with implementer; ballador request-changes t1 "..." sends it back to test-author',
    );
    expect(stageStartCause(TDD[1] as Stage, 3, "builder", "test-author", H)).toBe(
      "stage 2 of 3: implementer (builder) starts; test-author passed its gate on 0123456789",
    );
    expect(stageCannotStart("implementer")).toBe(
      "agent: the implementer stage cannot start (its profile's program is not found, or its attempts are used up)",
    );
    expect(auditNoVerdict("auditor", "security-auditor", 2)).toBe(
      "audit: no verdict from auditor (security-auditor) after 2 run(s)",
    );
  });

  it.each([
    [{ verdict: true, approve: true, notes: "fine\nmore", profile: "a" }, true, "approved by a: fine"],
    [{ verdict: true, approve: false, notes: "bad", profile: "a" }, false, "changes requested by a: bad"],
    [{ verdict: true, approve: true, notes: "", profile: "a" }, true, "approved by a"],
    [{ verdict: false, approve: true, notes: "", profile: "a" }, false, "no verdict from a"],
  ])("the auditor's gate %j", (read, passed, detail) => {
    const g = auditGate(read);
    expect(g.passed).toBe(passed);
    expect(g.checks).toEqual([{ name: "the auditor's verdict", ok: passed, detail }]);
  });
});
