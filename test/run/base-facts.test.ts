/**
 * What a run's prompt needs from the base (its verify command, its part's spec), read from git
 * while the bootstrap runs (spec 0017, "The bootstrap path"): the early reading is used only
 * for the task as it was read; a task changed meanwhile, or a reading that failed, is read again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openProject } from "../../src/project/index.js";
import { baseFacts, currentBaseFacts } from "../../src/run/run-spec.js";
import { cleanupProjects, makeProject } from "../helpers/runtime.js";

afterEach(cleanupProjects);

describe("the base's answers for a run's prompt", () => {
  it("are read from the base, kept for the same task, read again for a changed one", async () => {
    const p = await makeProject({ files: { "verify.sh": "#!/bin/sh\n", "docs/a.md": "the spec\n" } });
    // The worktree's copy is not what counts: only the committed base is read.
    await p.write("docs/a.md", "an uncommitted edit\n");
    const project = await openProject(p.dir);
    try {
      const task = { verify: null, spec: "docs/a.md" };
      const facts = await baseFacts(project, task);
      expect(facts.verify).toBe("./verify.sh");
      expect(facts.spec).toEqual({ text: "the spec\n" });
      // A reviewer's prompt of its own needs no spec.
      expect((await baseFacts(project, task, false)).spec).toBeNull();

      const early = Promise.resolve({ ...facts, verify: "as read early" });
      expect((await currentBaseFacts(project, task, { onBase: early })).verify).toBe("as read early");
      const changed = { verify: "make check", spec: "docs/a.md" };
      expect((await currentBaseFacts(project, changed, { onBase: early })).verify).toBe("make check");
      const failed = Promise.resolve(null);
      expect(await currentBaseFacts(project, task, { onBase: failed })).toEqual(facts);
    } finally {
      project.close();
    }
  });
});
