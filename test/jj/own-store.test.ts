/**
 * Runs in a jj repository that is not colocated (`jj git init` without --colocate: no `.git`, the
 * git store jj's own `.jj/repo/store/git`), end to end through bin/ballador.js with a real jj and
 * bubblewrap: three parts (two independent, one stacked on both) reaching review, verified on a
 * clean checkout and merged in dependency order, the base bookmark moved at home, cleanup
 * forgetting the workspaces; a hostile agent moving the base and another bookmark of the person's
 * and writing the store's config, hooks and branches; one deleting and forging the store's
 * objects, keep refs and metadata tables; a supervisor killed -9, reconciled; `merge --squash`;
 * `vcs: git` refused; and `pr` pushing from that store.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { git } from "../helpers/cli.js";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { addBareRemote, ghStandIn, reviewBrief, writePart } from "../helpers/verification.js";
import {
  agentJj,
  filesIn,
  jjDone,
  jjOut,
  killSupervisorAtGate,
  makeJjProject,
  threePartsToReview,
} from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

const workspaces = async (p: Parameters<typeof jjOut>[0]) =>
  (await jjOut(p, ["workspace", "list", "-T", 'name ++ "\\n"']))
    .split("\n")
    .filter((n) => n.startsWith("bl-"))
    .sort();

describe.skipIf(!version)(`runs in a non-colocated jj repository (jj ${version ?? "not installed"})`, () => {
  it("three parts, one stacked on two, reach review and merge in order; main moves at home; cleanup forgets", async () => {
    const p = await makeJjProject({ stack: true }, { colocate: false });
    expect(existsSync(join(p.dir, ".git"))).toBe(false);
    await threePartsToReview(p);

    expect(await workspaces(p)).toEqual(["bl-a", "bl-b", "bl-c"]);
    const bookmark = async (name: string) =>
      (await jjOut(p, ["log", "--no-graph", "-r", name, "-T", "commit_id"])).trim();
    for (const id of ["a", "b", "c"])
      expect(await bookmark(`ballador/${id}`)).toBe(await p.rev(`ballador/${id}`));
    expect(await p.git(["show", "ballador/c:a.txt"])).toBe("a\n");
    expect(await p.git(["show", "ballador/c:b.txt"])).toBe("b\n");
    for (const id of ["a", "b", "c"]) {
      const clean = (await reviewBrief(p, id)).data.verification.filter((v) => v.kind === "clean");
      expect(clean.at(-1)).toMatchObject({ passed: true, commit: await p.rev(`ballador/${id}`) });
    }

    // The person moves main with jj alone (no git branch moves with it until exported):
    // Ballador's merge starts from that main, not from the store's stale branch.
    await jjOut(p, ["commit", "-m", "the parts"]);
    await jjOut(p, ["bookmark", "set", "main", "-r", "@-"]);
    const mainBefore = await bookmark("main");
    for (const id of ["a", "b", "c"]) {
      // Each merged result verified again before main moves.
      const m = JSON.parse((await p.ok(["merge", id, "--json"])).stdout) as {
        commit: string;
        verified: boolean;
      };
      expect(m.verified).toBe(true);
      expect(await bookmark("main")).toBe(m.commit);
      expect((await p.task(id)).state).toBe("merged");
    }
    const mainAfter = await bookmark("main");
    expect(mainAfter).toBe(await p.rev("main"));
    expect(await p.git(["merge-base", "--is-ancestor", mainBefore, mainAfter]).then(() => true)).toBe(true);
    for (const f of ["a.txt", "b.txt", "c.txt"])
      expect(await jjOut(p, ["file", "show", "-r", "main", f])).toBe(`${f[0]}\n`);
    expect(await jjOut(p, ["file", "show", "-r", "main", ".ballador/parts/a.md"])).toContain("a.txt");
    // jj sees no conflicted bookmark: the store's branches and jj's view agree.
    expect(await jjOut(p, ["bookmark", "list", "--conflicted"])).toBe("");

    await p.ok(["cleanup", "--all"]);
    expect(await workspaces(p)).toEqual([]);
    expect(await jjOut(p, ["bookmark", "list", "-T", 'name ++ "\\n"'])).not.toContain("ballador/");
    expect(existsSync(join(p.dir, ".git"))).toBe(false);
  }, 300_000);

  it("an agent moving main and another bookmark, and writing the store's config, hooks and branches: refused and recorded", async () => {
    const p = await makeJjProject({}, { colocate: false });
    const root = p.dir;
    const store = join(root, ".jj", "repo", "store", "git");
    await jjOut(p, ["bookmark", "create", "release", "-r", "main"]);
    const storeConfig = readFileSync(join(store, "config"), "utf8");
    await writePart(p, "evil", {
      steps: [
        { write: { path: "app.txt", content: "good\n" } },
        { run: agentJj("bookmark set main -r @ --allow-backwards"), allow_fail: true },
        { run: agentJj("bookmark set release -r @ --allow-backwards"), allow_fail: true },
        { run: agentJj("bookmark create stolen -r @-"), allow_fail: true },
        { run: `echo '[core]' >> ${store}/config`, allow_fail: true },
        {
          run: `printf '#!/bin/sh\\ntouch /tmp/pwned\\n' > ${store}/hooks/reference-transaction`,
          allow_fail: true,
        },
        { run: `echo 0000000000000000000000000000000000000001 > ${store}/refs/heads/main`, allow_fail: true },
        { run: `echo planted > ${root}/planted.txt`, allow_fail: true },
        ...jjDone("evil.txt", "evil\n", "evil work"),
      ],
    });
    const mainBefore = (await jjOut(p, ["log", "--no-graph", "-r", "main", "-T", "commit_id"])).trim();
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("evil", ["review", "failed"])).state).toBe("failed");
    const notes = (await p.show("evil")).notes.map((n) => n.text).join("\n");
    expect(notes).toContain("tried to move bookmark main");
    expect(notes).toContain("tried to move bookmark release");
    expect(notes).toContain("tried to create bookmark stolen");

    for (const name of ["main", "release"]) {
      expect((await jjOut(p, ["log", "--no-graph", "-r", name, "-T", "commit_id"])).trim()).toBe(mainBefore);
      expect(await p.rev(name)).toBe(mainBefore);
    }
    expect(await jjOut(p, ["bookmark", "list", "-T", 'name ++ "\\n"'])).not.toContain("stolen");
    expect(readFileSync(join(store, "config"), "utf8")).toBe(storeConfig);
    expect(existsSync(join(store, "hooks", "reference-transaction"))).toBe(false);
    expect(existsSync(join(root, "planted.txt"))).toBe(false);
    expect(execFileSync("git", ["--git-dir", store, "fsck", "--no-dangling"], { encoding: "utf8" })).toBe("");
    // Its own commit is taken, for a person to judge.
    expect(await p.git(["show", "ballador/evil:evil.txt"])).toBe("evil\n");
  }, 300_000);

  it("an agent deleting and forging the store's objects, keep refs and metadata tables changes nothing at home", async () => {
    const p = await makeJjProject({}, { colocate: false });
    const repo = join(p.dir, ".jj", "repo");
    const store = join(repo, "store", "git");
    const objects = join(store, "objects");
    const keep = join(store, "refs", "jj", "keep");
    const extra = join(repo, "store", "extra");
    await jjOut(p, ["describe", "-m", "the person's wip"]);
    const keepRefs = async () =>
      (await p.git(["for-each-ref", "--format=%(refname) %(objectname)", "refs/jj/"])).trim();
    const keepBefore = (await keepRefs()).split("\n");
    const objectsBefore = filesIn(objects);
    const extraBefore = filesIn(extra);
    const missing = "1".repeat(40);
    await writePart(p, "vandal", {
      steps: [
        ...jjDone("vandal.txt", "v\n", "vandal work").slice(0, 2),
        // The person's objects through the run's alternate (read-only), a forged loose object.
        { run: `rm -f $(cat ${objects}/info/alternates)/??/*`, allow_fail: true },
        { run: `mkdir -p ${objects}/ab && echo junk > ${objects}/ab/${"0".repeat(38)}` },
        // Every keep ref of the person's deleted, one naming an object the store never gets.
        { run: `rm -f ${keepBefore.map((l) => join(keep, l.split(" ")[1] ?? "")).join(" ")}` },
        { run: `echo ${missing} > ${keep}/${missing}` },
        // The metadata tables removed and replaced by junk.
        { run: `for f in $(find ${extra} -maxdepth 1 -type l); do rm -f "$f" && echo junk > "$f"; done` },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("vandal", ["review", "failed"])).state).toBe("failed");

    const objectsAfter = filesIn(objects);
    for (const [name, bytes] of objectsBefore) expect(objectsAfter.get(name), name).toBe(bytes);
    expect(objectsAfter.has(`ab/${"0".repeat(38)}`)).toBe(false);
    const extraAfter = filesIn(extra);
    for (const [name, bytes] of extraBefore)
      if (!name.startsWith("heads/")) expect(extraAfter.get(name), name).toBe(bytes);
    const keepAfter = (await keepRefs()).split("\n");
    for (const line of keepBefore) expect(keepAfter).toContain(line);
    expect(keepAfter.some((l) => l.includes(missing))).toBe(false);
    await p.git(["fsck", "--no-dangling"]);
    const notes = (await p.show("vandal")).notes.map((n) => n.text).join("\n");
    expect(notes).toContain("git object refused: ab/");
    expect(notes).toMatch(/deleted keep ref refs\/jj\/keep\/[0-9a-f]{40}/);
    expect(notes).toMatch(/rewrote commit metadata table [0-9a-f]{12}/);
    expect(await jjOut(p, ["log", "--no-graph", "-r", "ballador/vandal", "-T", "description"])).toContain(
      "vandal work",
    );
    expect(await p.git(["show", "ballador/vandal:vandal.txt"])).toBe("v\n");
  }, 300_000);

  it("kill -9 of a supervisor mid-run: reconciled, its work taken in, the retry continues to review", async () => {
    const p = await makeJjProject({}, { colocate: false });
    await killSupervisorAtGate(p, "crashy");

    await p.ok(["launch"]);
    expect((await p.show("crashy")).runs[0]?.outcome).toBe("session-lost");
    expect(await p.git(["log", "--format=%s", "main..ballador/crashy"])).toContain("early work");
    await p.open("crashy");
    await p.ok(["retry", "crashy"]);
    await p.reaches("crashy", "review");
    expect(
      (await p.git(["log", "--format=%s", "main..ballador/crashy"])).split("\n").filter(Boolean),
    ).toEqual(["add crashy", "early work"]);
    expect(await workspaces(p)).toEqual(["bl-crashy"]);
    await p.ok(["abandon", "crashy"]);
    await p.ok(["cleanup", "crashy", "--force"]);
    expect(await workspaces(p)).toEqual([]);
  }, 300_000);

  it("merge --squash: the agent's iterative jj commits become one verified commit on main", async () => {
    const p = await makeJjProject({}, { colocate: false });
    await writePart(p, "iterate", {
      steps: [
        { write: { path: "feature.txt", content: "try 1\n" } },
        { run: agentJj("commit -m 'wip: first try'") },
        ...jjDone("feature.txt", "try 2\n", "wip: second try"),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("iterate", "review");
    await jjOut(p, ["commit", "-m", "the parts"]);
    await jjOut(p, ["bookmark", "set", "main", "-r", "@-"]);
    const bookmark = async (name: string) =>
      (await jjOut(p, ["log", "--no-graph", "-r", name, "-T", "commit_id"])).trim();
    const mainBefore = await bookmark("main");
    const head = await p.rev("ballador/iterate");
    const m = JSON.parse((await p.ok(["merge", "iterate", "--squash", "--json"])).stdout) as {
      commit: string;
      squashed: number | null;
      verified: boolean;
    };
    expect(m).toMatchObject({ squashed: 2, verified: true });
    expect(await bookmark("main")).toBe(m.commit);
    expect(await bookmark("main-")).toBe(mainBefore);
    expect(await jjOut(p, ["file", "show", "-r", "main", "feature.txt"])).toBe("try 2\n");
    expect(await bookmark("ballador/iterate")).toBe(head);
    expect(await jjOut(p, ["bookmark", "list", "--conflicted"])).toBe("");
  }, 300_000);

  it("vcs: git there is refused with the fix: git worktrees would live in jj's own store", async () => {
    const p = await makeJjProject({ vcs: "git" }, { colocate: false });
    await writePart(p, "plain", { steps: [{ done: { summary: "nothing" } }] });
    await p.ok(["queue"]);
    const r = await p.run(["launch", "plain"]);
    expect(`${r.stdout}${r.stderr}`).toContain("set vcs: jj (or remove vcs: git) in .ballador/config.yaml");
    expect((await p.task("plain")).state).not.toBe("running");
    expect(await workspaces(p)).toEqual([]);
    expect(
      (await p.git(["worktree", "list", "--porcelain"])).split("\n").filter((l) => l.startsWith("worktree ")),
    ).toHaveLength(1);
  }, 120_000);

  it("pr pushes the task's change from jj's own git store and opens the pull request", async () => {
    const p = await makeJjProject({}, { colocate: false });
    await writePart(p, "ship", { title: "Ship it", steps: jjDone("ship.txt", "ship\n", "ship it") });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("ship", "review");
    // The remote is the store's (what `jj git remote add` writes).
    const bare = await addBareRemote(p);
    await p.git(["push", "-q", bare, "main"]);
    const gh = await ghStandIn(p);

    const r = await p.run(["pr", "ship", "--json"], { env: gh.env });
    expect(r.code, r.stderr).toBe(0);
    const pr = JSON.parse(r.stdout) as { url: string; branch: string; remote: string };
    expect(pr).toMatchObject({ url: gh.url, branch: "ballador/ship", remote: "origin" });
    const remote = await git(["ls-remote", bare, "refs/heads/ballador/ship"], p.parent, p.env);
    expect(remote.split("\t")[0]).toBe(await p.rev("ballador/ship"));
    expect(await git(["show", `${await p.rev("ballador/ship")}:ship.txt`], bare, p.env)).toBe("ship\n");
    const argv = (await gh.calls())[0] ?? [];
    expect(argv[argv.indexOf("--head") + 1]).toBe("ballador/ship");
    expect(await gh.body()).toBe(await readFile(argv[argv.indexOf("--body-file") + 1] ?? "", "utf8"));
    expect(await jjOut(p, ["git", "remote", "list"])).toContain("origin");
  }, 300_000);
});
