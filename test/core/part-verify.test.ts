import { describe, expect, it } from "vitest";
import {
  conductorVerifyProblem,
  draftVerifyProblems,
  frontMatterSetsVerify,
  overrideText,
  partVerifyMergeRefusal,
  partVerifyOverride,
} from "../../src/core/part-verify.js";

describe("a part's own verify command", () => {
  it("is an override only when set and not the project's", () => {
    expect(partVerifyOverride(null, "npm test")).toBeNull();
    expect(partVerifyOverride(undefined, null)).toBeNull();
    expect(partVerifyOverride("npm test", "npm test")).toBeNull();
    expect(partVerifyOverride(" npm test ", "npm test")).toBeNull();
    expect(partVerifyOverride("true", "npm test")).toEqual({ part: "true", project: "npm test" });
    expect(partVerifyOverride("npm test", null)).toEqual({ part: "npm test", project: null });
    expect(overrideText({ part: "true", project: null })).toBe(
      `part verify "true" instead of the project's (none set)`,
    );
  });

  it("makes merge ask for --accept-part-verify, naming the task and both commands", () => {
    const task = { id: "lazy", verify: "true" };
    const r = partVerifyMergeRefusal(task, "npm test", false);
    expect(r?.message).toContain("task lazy was verified by its part's own command");
    expect(r?.message).toContain("ballador merge lazy --accept-part-verify");
    expect(r?.details).toEqual(["part's verify:    true", "project's verify: npm test"]);
    expect(partVerifyMergeRefusal(task, "npm test", true)).toBeNull();
    expect(partVerifyMergeRefusal({ id: "same", verify: "npm test" }, "npm test", false)).toBeNull();
    expect(partVerifyMergeRefusal({ id: "none", verify: null }, "npm test", false)).toBeNull();
  });

  it("names the file and the field when the conductor writes one", () => {
    expect(conductorVerifyProblem(".ballador/parts/x/a.md")).toMatch(
      /^\.ballador\/parts\/x\/a\.md: verify: a part written by the conductor cannot set its own verify command/,
    );
  });

  it("finds verify in a drafted spec's front matter, not in its body", () => {
    expect(frontMatterSetsVerify("---\nnumber: 3\nverify: true\n---\n# x\n")).toBe(true);
    expect(frontMatterSetsVerify('---\n"verify": "true"\n---\n')).toBe(true);
    expect(frontMatterSetsVerify("---\nnumber: 3\n---\nverify: true\n")).toBe(false);
    expect(frontMatterSetsVerify("no front matter\nverify: x\n")).toBe(false);
    expect(draftVerifyProblems("---\nverify: true\n---\n", "specs/0002-x.md")[0]).toMatch(
      /^specs\/0002-x\.md: verify: a drafted spec cannot carry a verify command/,
    );
    expect(draftVerifyProblems("---\ntitle: x\n---\n", "specs/0002-x.md")).toEqual([]);
  });
});
