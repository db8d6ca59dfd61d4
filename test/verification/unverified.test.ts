/**
 * Verified by nothing (issue 28): a task that reached review with no verify command is shown as
 * "unverified" in status, show, next and the brief, and `merge` of it refuses until the person
 * says --unverified; work a verify command checked is never marked so.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, makeProject } from "../helpers/runtime.js";
import { briefSection, reviewBrief } from "../helpers/verification.js";

afterEach(cleanupProjects);

interface NextJson {
  review: Array<{ id: string; unverified: boolean }>;
}

describe("unverified: no verify command checked the work", () => {
  it("is shown in status, show, next and the brief; merge refuses without --unverified, then merges with it", async () => {
    const p = await makeProject();
    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.ok(["queue"]);
    await p.ok(["launch", "a"]);
    await p.reaches("a", "review");

    const status = (await p.ok(["status", "--json"])).stdout;
    expect(JSON.parse(status).tasks[0]).toMatchObject({ id: "a", state: "review", unverified: true });
    expect((await p.ok(["status"])).stdout).toMatch(/review unverified/);
    const shown = JSON.parse((await p.ok(["show", "a", "--json"])).stdout) as { unverified: boolean };
    expect(shown.unverified).toBe(true);
    expect((await p.ok(["show", "a"])).stdout).toContain("unverified: no verify command checked this work");
    const next = JSON.parse((await p.ok(["next", "--json"])).stdout) as NextJson;
    expect(next.review).toEqual([expect.objectContaining({ id: "a", unverified: true })]);
    expect((await p.ok(["next"])).stdout).toContain("unverified (no verify command)");
    const brief = await reviewBrief(p, "a");
    const section = briefSection(brief.markdown, "Verification");
    expect(section).toContain("**Unverified:** no verify command checked this work");
    expect(section).toContain("unverified: no verify command (Ballador, clean checkout)");
    // Never read as a pass.
    expect(section).not.toMatch(/passed/);

    const main = (await p.git(["rev-parse", "main"])).trim();
    const refused = await p.run(["merge", "a"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("task a is unverified: no verify command is configured");
    expect(refused.stderr).toContain("ballador merge a --unverified");
    const refusedJson = JSON.parse((await p.run(["merge", "a", "--json"])).stdout);
    expect(refusedJson.error).toMatchObject({ code: "unverified" });
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(main);
    expect((await p.task("a")).state).toBe("review");

    const merged = JSON.parse((await p.ok(["merge", "a", "--unverified", "--json"])).stdout);
    expect(merged).toMatchObject({ task: "a", verified: false, unverified: true });
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(merged.commit);
    // It went in unverified, and stays shown so.
    expect(await p.task("a")).toMatchObject({ state: "merged", unverified: true });
  });

  it("work a verify command checked is not marked, and merges without the flag", async () => {
    const p = await makeProject({ config: { verify: "test -f b.txt" } });
    await p.part("b", { steps: commitAndDone("b.txt") });
    await p.ok(["queue"]);
    await p.ok(["launch", "b"]);
    await p.reaches("b", "review");
    expect(await p.task("b")).toMatchObject({ unverified: false });
    const brief = await reviewBrief(p, "b");
    expect(briefSection(brief.markdown, "Verification")).not.toContain("nverified");
    expect(briefSection(brief.markdown, "Verification")).toContain("passed: `test -f b.txt`");
    const merged = JSON.parse((await p.ok(["merge", "b", "--json"])).stdout);
    expect(merged).toMatchObject({ verified: true, unverified: false });
  });
});
