/**
 * A person's part `verify:` that is not the project's (issue 28): what decides "done" changed,
 * so every place a reviewer looks says so (queue, status, show, the brief), and `merge` refuses
 * the task until the person accepts it with `--accept-part-verify`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, type Project } from "../helpers/runtime.js";
import { makeVerifyProject, reviewBrief, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

const NARROW = "./verify.sh --quick";

interface Override {
  part: string;
  project: string | null;
}

/** The part "narrow": its own verify (NARROW), and a commit that adds `wave` to lib.txt. */
function writeNarrowPart(p: Project): Promise<string> {
  return writePart(p, "narrow", {
    verify: NARROW,
    steps: [
      { edit: { path: "lib.txt", find: "api: greet", replace: "api: greet\napi: wave" } },
      { commit: "wave" },
      { done: "wave added" },
    ],
  });
}

describe("a person's part verify override", () => {
  it("is shown by queue, status, show and the brief; a plain merge refuses it, --accept-part-verify merges", async () => {
    const p = await makeVerifyProject();
    await writeNarrowPart(p);
    await writePart(p, "plain", { steps: [{ done: "nothing to do" }] });
    const said = `part verify "${NARROW}" instead of the project's "./verify.sh"`;

    const queued = await p.ok(["queue"]);
    expect(queued.stdout).toContain(`narrow: ${said}`);
    expect(queued.stdout).not.toContain("plain: part verify");
    const dry = await p.json<{ verifyOverrides: Array<{ id: string } & Override> }>(["queue", "--dry-run"]);
    expect(dry.verifyOverrides).toEqual([]);

    const status = await p.json<{ tasks: Array<{ id: string; partVerify: Override | null }> }>(["status"]);
    expect(status.tasks.find((t) => t.id === "narrow")?.partVerify).toEqual({
      part: NARROW,
      project: "./verify.sh",
    });
    expect(status.tasks.find((t) => t.id === "plain")?.partVerify).toBeNull();
    expect((await p.ok(["status"])).stdout).toMatch(/narrow.*own verify/);
    const shown = await p.json<{ partVerify: Override | null }>(["show", "narrow"]);
    expect(shown.partVerify).toEqual({ part: NARROW, project: "./verify.sh" });
    expect((await p.ok(["show", "narrow"])).stdout).toContain(said);

    await p.ok(["launch", "narrow"]);
    expect((await p.waitState("narrow", ["review", "failed"])).state).toBe("review");
    const brief = await reviewBrief(p, "narrow");
    expect(brief.markdown).toContain(`**The part's own verify command decided this task:** \`${NARROW}\``);
    expect(brief.markdown).toContain("`./verify.sh`");
    expect((brief.data as unknown as { partVerify: Override | null }).partVerify).toEqual({
      part: NARROW,
      project: "./verify.sh",
    });

    await p.commitAll("parts");
    const main = await p.rev("main");
    const refused = await p.run(["merge", "narrow"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("task narrow was verified by its part's own command, not the project's");
    expect(refused.stderr).toContain("ballador merge narrow --accept-part-verify");
    expect(refused.stderr).toContain(`part's verify:    ${NARROW}`);
    expect(refused.stderr).toContain("project's verify: ./verify.sh");
    const asJson = await p.run(["merge", "narrow", "--json"]);
    expect(asJson.code).toBe(4);
    expect(JSON.parse(asJson.stdout).error).toMatchObject({ code: "part_verify" });
    expect(await p.rev("main")).toBe(main);
    expect((await p.task("narrow")).state).toBe("review");

    const merged = await p.ok(["merge", "narrow", "--accept-part-verify", "--json"]);
    expect(JSON.parse(merged.stdout)).toMatchObject({
      task: "narrow",
      partVerify: { part: NARROW, project: "./verify.sh" },
    });
    expect((await p.task("narrow")).state).toBe("merged");
  }, 120_000);

  it("a plain merge says the accepted override in its text output", async () => {
    const p = await makeVerifyProject();
    await writeNarrowPart(p);
    await p.ok(["queue"]);
    await p.ok(["launch", "narrow"]);
    expect((await p.waitState("narrow", ["review", "failed"])).state).toBe("review");
    await p.commitAll("parts");
    const r = await p.ok(["merge", "narrow", "--accept-part-verify"]);
    expect(r.stdout).toContain(`Merged narrow into main`);
    expect(r.stdout).toContain(
      `accepted: ${`part verify "${NARROW}" instead of the project's "./verify.sh"`}`,
    );
  }, 120_000);
});
