/**
 * Before and at delivery: textual conflicts between review branches are flagged by `next`
 * before anything merges; `merge` re-verifies the merged result in a temporary worktree,
 * refuses out of dependency order or when the merged result fails, and only then moves the
 * base; `pr` pushes to the remote and opens a pull request through `gh` with the brief as body.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { git } from "../helpers/cli.js";
import { cleanupProjects, commitAndDone, gate, launchedToReview } from "../helpers/runtime.js";
import {
  addBareRemote,
  ghStandIn,
  makeVerifyProject,
  reviewBrief,
  writePart,
} from "../helpers/verification.js";

afterEach(cleanupProjects);

interface NextJson {
  review: Array<{ id: string }>;
  ready: Array<{ id: string }>;
  conflicts: Array<{ kind: string; tasks: string[]; files: string[]; message: string }>;
  mergeOrder: string[];
}

/** `show --json` with the task's artifacts (pull requests, merges). */
interface ShowArtifacts {
  artifacts: Array<{ kind: string; value: string }>;
}

interface MergeJson {
  task: string;
  commit: string;
  base: string;
  fastForward: boolean;
  verified: boolean;
  verificationReused: string | null;
  unblocked: string[];
  watcher: boolean;
}

describe("conflicts before merge", () => {
  it("two branches editing the same lines are flagged by next; after one merges, the other is refused naming the file, and the base does not move", async () => {
    const p = await makeVerifyProject({ files: { "shared.txt": "one\ntwo\nthree\n" } });
    await writePart(p, "left", {
      steps: [
        { edit: { path: "shared.txt", find: "two", replace: "two (left)" } },
        { commit: "left's line" },
        { done: "left" },
      ],
    });
    await writePart(p, "right", {
      steps: [
        { edit: { path: "shared.txt", find: "two", replace: "two (right)" } },
        { commit: "right's line" },
        { done: "right" },
      ],
    });
    await launchedToReview(p, "left");
    expect((await p.waitState("right", ["review", "failed"])).state).toBe("review");

    const before = JSON.parse((await p.ok(["next", "--json"])).stdout) as NextJson;
    const textual = before.conflicts.filter((c) => c.kind === "textual");
    expect(textual).toHaveLength(1);
    expect(textual[0]?.tasks.sort()).toEqual(["left", "right"]);
    expect(textual[0]?.files).toEqual(["shared.txt"]);
    expect(textual[0]?.message).toContain("shared.txt");
    expect(before.review.map((r) => r.id).sort()).toEqual(["left", "right"]);
    // The text form says it too.
    expect((await p.ok(["next"])).stdout).toContain("conflict in shared.txt");

    await p.commitAll("parts");
    await p.ok(["merge", "left"]);
    expect((await p.task("left")).state).toBe("merged");
    expect(await readFile(join(p.dir, "shared.txt"), "utf8")).toBe("one\ntwo (left)\nthree\n");

    // Now the other no longer merges into the base: next says so, merge refuses.
    const after = JSON.parse((await p.ok(["next", "--json"])).stdout) as NextJson;
    expect(after.conflicts).toContainEqual(
      expect.objectContaining({ kind: "textual", tasks: ["right"], files: ["shared.txt"] }),
    );
    const main = await p.rev("main");
    const r = await p.run(["merge", "right"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("ballador/right does not merge cleanly into main: conflicts in shared.txt");
    expect(await p.rev("main")).toBe(main);
    expect((await p.task("right")).state).toBe("review");
    expect(await readFile(join(p.dir, "shared.txt"), "utf8")).toBe("one\ntwo (left)\nthree\n");
    expect(await p.git(["status", "--porcelain"])).toBe("");
    // The temporary merge worktree is gone.
    expect((await p.worktrees()).filter((w) => w.includes("merges"))).toEqual([]);
  });
});

describe("merge", () => {
  it("reuses a verification only for the identical tree verified the same way: merging a verified branch into the base it started from skips it and says so; a merge whose tree differs verifies", async () => {
    const p = await makeVerifyProject();
    await writePart(p, "first", { steps: commitAndDone("first.txt") });
    await writePart(p, "second", { steps: commitAndDone("second.txt") });
    await p.commitAll("parts");
    await launchedToReview(p, "first");
    expect((await p.waitState("second", ["review", "failed"])).state).toBe("review");

    // first's branch is main plus its commit: merging it makes the very tree Ballador verified
    // on a clean checkout at review (a merge commit, but the same tree).
    const text = await p.ok(["merge", "first"]);
    expect(text.stdout).toContain("verification reused: the merged tree is identical");
    expect(text.stdout).toContain("not run again");
    expect(text.stdout).not.toContain("verifying the merged result");
    expect(text.stdout).toMatch(/clean verification #\d+ of first/);
    expect(text.stdout).toContain("verification reused (identical tree already verified)");
    expect(await p.rev("main^{tree}")).toBe(await p.rev("ballador/first^{tree}"));

    // second now merges into a main that has first.txt: a tree nobody verified, so it runs.
    const second = JSON.parse((await p.ok(["merge", "second", "--json"])).stdout) as MergeJson;
    expect(second.fastForward).toBe(false);
    expect(second.verified).toBe(true);
    expect(second.verificationReused).toBeNull();
    // Merging the same tree again would be reused: the merge's own verdict now counts too.
    expect(await p.rev("main")).toBe(second.commit);
  });

  it("re-verifies the merged result, in dependency order: a dependent before its dependency and a result that fails verify are refused with the base unmoved; then main moves", async () => {
    // verify left to the default (./verify.sh when the base has one), which merge must find too.
    const p = await makeVerifyProject({ sandbox: "bwrap", config: { stack: true, verify: null } });
    await writePart(p, "core", { steps: commitAndDone("core.txt") });
    await writePart(p, "child", { needs: ["core"], steps: commitAndDone("child.txt") });
    // Uses lib.txt's "greet", which main renames after this branch started.
    await writePart(p, "caller", {
      steps: commitAndDone("caller.txt", "calls greet\n", { commit: "call greet", done: "ok" }),
    });
    await launchedToReview(p, "core");
    expect((await p.waitState("caller", ["review", "failed"])).state).toBe("review");
    await p.ok(["launch"]);
    expect((await p.waitState("child", ["review", "failed"])).state).toBe("review");
    // Each branch still carries its agent's work (nothing in a parallel run reset it).
    expect(await p.ownCommits("core")).toEqual(["add core.txt"]);
    expect(await p.ownCommits("caller")).toEqual(["call greet"]);
    expect(await p.ownCommits("child")).toEqual(["add child.txt", "add core.txt"]);
    await p.commitAll("parts");

    // Out of dependency order.
    let main = await p.rev("main");
    const early = await p.run(["merge", "child"]);
    expect(early.code, `${early.stdout}\n${early.stderr}`).not.toBe(0);
    expect(early.stderr).toContain("task child needs core, not merged yet");
    expect(await p.rev("main")).toBe(main);
    expect((await p.task("child")).state).toBe("review");

    // The base moved on: lib.txt renames greet. caller merges without a textual conflict, but the result fails.
    await p.write("lib.txt", "api: hello\n");
    main = await p.commitAll("rename greet to hello");
    const bad = await p.run(["merge", "caller"]);
    expect(bad.code, `${bad.stdout}\n${bad.stderr}`).not.toBe(0);
    expect(bad.stderr).toContain(
      "the merged result fails verification (./verify.sh exited 1); main was not moved",
    );
    expect(bad.stderr).toContain("VERIFY-FAIL: caller.txt calls greet, which lib.txt does not provide");
    expect(await p.rev("main")).toBe(main);
    expect((await p.task("caller")).state).toBe("review");
    const callerBrief = await reviewBrief(p, "caller");
    expect(callerBrief.data.verification.map((v) => [v.kind, v.passed])).toContainEqual(["merge", false]);

    // In order: core, then child.
    const m1 = JSON.parse((await p.ok(["merge", "core", "--json"])).stdout) as MergeJson;
    expect(m1).toMatchObject({ task: "core", base: "main", fastForward: false, verified: true });
    expect(await p.rev("main")).toBe(m1.commit);
    expect((await p.git(["log", "-1", "--format=%s", "main"])).trim()).toBe("Merge ballador/core: Part core");
    expect((await p.git(["rev-parse", "main^1"])).trim()).toBe(main);
    expect((await p.git(["rev-parse", "main^2"])).trim()).toBe(await p.rev("ballador/core"));
    expect((await p.task("core")).state).toBe("merged");
    expect(await readFile(join(p.dir, "core.txt"), "utf8")).toBe("core.txt\n");

    const m2 = JSON.parse((await p.ok(["merge", "child", "--json"])).stdout) as MergeJson;
    expect(await p.rev("main")).toBe(m2.commit);
    expect((await p.task("child")).state).toBe("merged");
    const log = (await p.git(["log", "--first-parent", "--format=%s", "main"])).split("\n");
    expect(log.slice(0, 2)).toEqual(["Merge ballador/child: Part child", "Merge ballador/core: Part core"]);
    const coreShown = (await p.show("core")) as unknown as ShowArtifacts;
    expect(coreShown.artifacts).toContainEqual(expect.objectContaining({ kind: "merge", value: m1.commit }));
  });

  it("after a merge, the dependents become ready (stack: false)", async () => {
    const p = await makeVerifyProject();
    await writePart(p, "base-part", { steps: commitAndDone("base-part.txt") });
    await writePart(p, "later", { needs: ["base-part"], steps: commitAndDone("later.txt") });
    await launchedToReview(p, "base-part");
    expect((await p.task("later")).state).toBe("queued");
    const refused = await p.run(["merge", "later"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("only a task in review can be merged");

    await p.commitAll("parts");
    const m = JSON.parse((await p.ok(["merge", "base-part", "--json"])).stdout) as MergeJson;
    expect(m.unblocked).toEqual(["later"]);
    expect(m.watcher).toBe(false);
    expect((await p.task("later")).state).toBe("ready");
    const next = JSON.parse((await p.ok(["next", "--json"])).stdout) as NextJson;
    expect(next.ready.map((r) => r.id)).toEqual(["later"]);
    // It starts from the new base, which has its dependency's work.
    await p.ok(["launch"]);
    expect((await p.waitState("later", ["review", "failed"])).state).toBe("review");
    await git(["merge-base", "--is-ancestor", m.commit, "ballador/later"], p.dir, p.env);
  });
  it("after a merge while `launch --watch` conducts, the ready dependent is left to the watcher, not to the person", async () => {
    const p = await makeVerifyProject();
    await writePart(p, "first", { steps: commitAndDone("first.txt") });
    await writePart(p, "second", { needs: ["first"], steps: commitAndDone("second.txt") });
    // A task that works until the test opens its gate keeps the watcher conducting meanwhile.
    await writePart(p, "long", { steps: [gate(p, "long"), ...commitAndDone("long.txt")] });
    await p.ok(["queue"]);
    const watcher = p.spawn(["launch", "--watch"]);
    expect((await p.waitState("first", ["review", "failed"])).state).toBe("review");
    expect((await p.task("long")).state).toBe("running");
    await p.commitAll("parts");
    const r = await p.ok(["merge", "first"]);
    expect(r.stdout).toContain("Now ready: second; the running `ballador launch --watch` starts it");
    expect(r.stdout).not.toContain("(ballador launch)");
    // And it does.
    expect((await p.waitState("second", ["review", "failed"])).state).toBe("review");
    await p.open("long");
    expect((await p.waitState("long", ["review", "failed"])).state).toBe("review");
    expect(await watcher.exited, watcher.output()).toBe(0);
  });
});

describe("pr", () => {
  it("pushes the branch to a local bare remote and opens the pull request through gh with the brief as its body; the URL is the task's artifact", async () => {
    const p = await makeVerifyProject();
    await writePart(p, "ship", { title: "Ship it", steps: commitAndDone("ship.txt") });
    await launchedToReview(p, "ship");
    const bare = await addBareRemote(p);
    const gh = await ghStandIn(p);

    const r = await p.run(["pr", "ship", "--json"], { env: gh.env });
    expect(r.code, r.stderr).toBe(0);
    const pr = JSON.parse(r.stdout) as {
      task: string;
      url: string;
      branch: string;
      remote: string;
      warnings: string[];
    };
    // The remote has no main yet: the pull request would have nothing to compare with, and pr says so.
    expect(pr).toEqual({
      task: "ship",
      url: gh.url,
      branch: "ballador/ship",
      remote: "origin",
      warnings: [
        "origin has no branch main: the pull request has no base to compare with; push it first: git push origin main",
      ],
    });

    // The branch is on the remote, at the task's head.
    const remote = await git(["ls-remote", bare, "refs/heads/ballador/ship"], p.parent, p.env);
    expect(remote.split("\t")[0]).toBe(await p.rev("ballador/ship"));

    const calls = await gh.calls();
    expect(calls).toHaveLength(1);
    const argv = calls[0] ?? [];
    expect(argv.slice(0, 2)).toEqual(["pr", "create"]);
    const flag = (name: string) => argv[argv.indexOf(name) + 1];
    expect(argv).toContain("--base");
    expect(flag("--base")).toBe("main");
    expect(flag("--head")).toBe("ballador/ship");
    expect(flag("--title")).toBe("Ship it");
    // The body is the brief, as written to the run folder and as `review` shows it.
    const body = await gh.body();
    const briefFile = flag("--body-file") ?? "";
    expect(body).toBe(await readFile(briefFile, "utf8"));
    expect(body).toContain("# Ship it");
    expect(body).toContain("## Verification");
    expect(body).toBe((await reviewBrief(p, "ship")).markdown);

    const shown = (await p.show("ship")) as unknown as ShowArtifacts;
    expect(shown.artifacts).toContainEqual(expect.objectContaining({ kind: "pull-request", value: gh.url }));
    expect((await p.ok(["show", "ship"])).stdout).toContain(gh.url);
  });
});
