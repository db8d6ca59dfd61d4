// The jj adapter against a real jj (Debian unstable's, unpacked by scripts/install-jj.mjs) and a
// real bubblewrap: workspaces at a base and stacked, the bookmark guard, the store's write policy,
// verification of an exact commit on a clean checkout, merge in dependency order, squash, evolog,
// forget. Skips loudly without jj.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  addWorkspace,
  advanceBase,
  atLeast,
  commitOf,
  commitsBetween,
  detectVcs,
  evolog,
  expectNow,
  forgetWorkspace,
  guardCheck,
  isColocated,
  JJ_MINIMUM,
  jjVersion,
  listBookmarks,
  listWorkspaces,
  mergeCandidate,
  pushBookmark,
  setBookmark,
  squashRange,
  taskHeadRevset,
} from "../../src/adapters/jj/index.js";
import { inSandbox, JJ, JJ_ENV, jjAvailable, useJjRepo } from "../helpers/jj.js";
import { storeWritingPaths } from "./jj-store-paths.js";

const version = jjAvailable();
let dir = "";
let repo = "";

/** Runs a scripted agent's shell in its workspace under bubblewrap, its jj writing the store (storeWritingPaths). */
const agent = (workspace: string, script: string) =>
  inSandbox(storeWritingPaths(repo, workspace), workspace, script);

/** Verification on a clean checkout: a fresh workspace at exactly that commit, the verify command run there, forgotten after. */
async function verifyCommit(commit: string, name: string): Promise<{ ok: boolean; files: string }> {
  const path = join(dir, `verify-${name}`);
  await addWorkspace(repo, { name: `verify-${name}`, path, parents: [commit] });
  try {
    // The clean workspace's working copy sits on top of the commit, empty: its tree is the commit's.
    expect(await commitOf(repo, `verify-${name}@-`)).toBe(commit);
    const r = spawnSync("sh", ["-c", "test -f a && ls | sort | tr '\\n' ' '"], {
      cwd: path,
      encoding: "utf8",
    });
    return { ok: r.status === 0, files: r.stdout.trim() };
  } finally {
    await forgetWorkspace(repo, `verify-${name}`);
    rmSync(path, { recursive: true, force: true });
  }
}

describe.skipIf(!version)(`jj adapter with a real jj ${version ?? "(not installed)"}`, () => {
  // Non-colocated here; jj-op-heads.test.ts covers a colocated one.
  useJjRepo("ballador-jj-", ["main", "release"], (d, r) => {
    dir = d;
    repo = r;
  });

  it("recognises the repository and the version", async () => {
    expect(detectVcs(repo)).toBe("jj");
    expect(detectVcs(dir)).toBe("git");
    expect(isColocated(repo)).toBe(false);
    const v = await jjVersion(JJ);
    expect(v && atLeast(v, JJ_MINIMUM)).toBe(true);
    expect(atLeast("0.45.9", JJ_MINIMUM)).toBe(false);
  });

  it("three parts (two independent, one stacked) reach review and merge in dependency order, each verified on a clean checkout", async () => {
    const expected = await expectNow(repo);
    const main0 = await commitOf(repo, "main");
    const heads: Record<string, string> = {};
    for (const task of ["one", "two"]) {
      const ws = join(dir, `ws-${task}`);
      await addWorkspace(repo, { name: `bl-${task}`, path: ws, parents: ["main"] });
      expect(await commitOf(repo, `bl-${task}@-`)).toBe(main0);
      // The agent iterates: two commits, then leaves work uncommitted in the working copy.
      const r = agent(
        ws,
        `echo ${task} > ${task} && jj commit -m "${task}: first" && echo more >> ${task} && jj commit -m "${task}: more" && echo wip > ${task}-wip && jj util snapshot`,
      );
      expect(r.code, r.out).toBe(0);
      heads[task] = await commitOf(repo, taskHeadRevset(`bl-${task}`));
      await setBookmark(repo, `ballador/${task}`, heads[task] as string);
      expected.bookmarks.set(`ballador/${task}`, heads[task] as string);
      expected.workspaces = await listWorkspaces(repo);
      expect(
        await guardCheck(repo, expected, { bookmark: `ballador/${task}`, workspace: `bl-${task}` }),
      ).toEqual([]);
      expect(await commitsBetween(repo, "main", heads[task] as string)).toHaveLength(3);
    }
    // Stacked: its workspace starts on the merge of both dependencies.
    const ws3 = join(dir, "ws-three");
    await addWorkspace(repo, { name: "bl-three", path: ws3, parents: ["ballador/one", "ballador/two"] });
    expect(readFileSync(join(ws3, "one"), "utf8")).toBe("one\nmore\n");
    expect(readFileSync(join(ws3, "two-wip"), "utf8")).toBe("wip\n");
    const r3 = agent(ws3, `echo three > three && jj commit -m three`);
    expect(r3.code, r3.out).toBe(0);
    heads.three = await commitOf(repo, taskHeadRevset("bl-three"));
    await setBookmark(repo, "ballador/three", heads.three);

    for (const task of ["one", "two", "three"]) {
      const v = await verifyCommit(heads[task] as string, task);
      expect(v.ok).toBe(true);
      expect(v.files.split(" ")).toContain(task);
    }
    // Merge in dependency order, each candidate verified again before the base moves.
    for (const task of ["one", "two", "three"]) {
      const from = await commitOf(repo, "main");
      const candidate = await mergeCandidate(repo, "main", `ballador/${task}`, `Merge ${task}`);
      expect((await verifyCommit(candidate, `merge-${task}`)).ok).toBe(true);
      await advanceBase(repo, "main", from, candidate);
    }
    const merged = await verifyCommit(await commitOf(repo, "main"), "final");
    expect(merged.files).toBe("a one one-wip three two two-wip");
    // The other bookmark never moved.
    expect((await listBookmarks(repo)).get("release")).toBe(main0);
  });

  it("an agent moving another bookmark, the base, or rewriting the base is refused: recorded and undone", async () => {
    const ws = join(dir, "ws-evil");
    await addWorkspace(repo, { name: "bl-evil", path: ws, parents: ["main"] });
    const expected = await expectNow(repo);
    const before = new Map(expected.bookmarks);
    const r = agent(
      ws,
      [
        "echo x > x && jj commit -m evil",
        "jj bookmark set release -r @- --allow-backwards",
        "jj bookmark set main -r @- --allow-backwards",
        "jj bookmark create planted -r @-",
        "jj bookmark delete ballador/one",
      ].join(" && "),
    );
    expect(r.code, r.out).toBe(0);
    const violations = await guardCheck(repo, expected, { bookmark: "ballador/evil", workspace: "bl-evil" });
    expect(violations.map((v) => `${v.kind} ${v.name} undone=${v.undone}`).sort()).toEqual([
      "bookmark ballador/one undone=true",
      "bookmark main undone=true",
      "bookmark planted undone=true",
      "bookmark release undone=true",
    ]);
    expect(await listBookmarks(repo)).toEqual(before);
    // Rewriting the base's commit (jj describe main) moves the bookmark to a new commit: undone too.
    const r2 = agent(ws, "jj describe main -m rewritten");
    expect(r2.code, r2.out).toBe(0);
    const v2 = await guardCheck(repo, expected, { bookmark: "ballador/evil", workspace: "bl-evil" });
    expect(v2.some((v) => v.name === "main" && v.undone)).toBe(true);
    expect((await listBookmarks(repo)).get("main")).toBe(before.get("main"));
  });

  it("an agent writing outside its workspace, or the repository's config and git hooks, is refused by the sandbox", async () => {
    const ws = join(dir, "ws-evil");
    const configPath = join(repo, ".jj", "repo", "config.toml");
    const configBefore = existsSync(configPath) ? readFileSync(configPath, "utf8") : null;
    const outside = agent(ws, `echo pwned > ${join(repo, "planted")}`);
    expect(outside.code).not.toBe(0);
    expect(existsSync(join(repo, "planted"))).toBe(false);
    const config = agent(ws, `jj config set --repo ui.editor evil`);
    expect(config.code).not.toBe(0);
    expect(existsSync(configPath) ? readFileSync(configPath, "utf8") : null).toBe(configBefore);
    const hooks = join(repo, ".jj", "repo", "store", "git", "hooks");
    mkdirSync(hooks, { recursive: true });
    const hook = agent(ws, `echo '#!/bin/sh' > ${join(hooks, "pre-commit")}`);
    expect(hook.code).not.toBe(0);
    expect(existsSync(join(hooks, "pre-commit"))).toBe(false);
  });

  it("squashes a change's iterative commits into one and shows its evolution", async () => {
    const ws = join(dir, "ws-four");
    await addWorkspace(repo, { name: "bl-four", path: ws, parents: ["release"] });
    const r = agent(
      ws,
      'echo 1 > four && jj commit -m "four: try" && echo 2 > four && jj commit -m "four: again" && echo 3 > four && jj describe -m "four: done"',
    );
    expect(r.code, r.out).toBe(0);
    const head = await commitOf(repo, taskHeadRevset("bl-four"));
    await setBookmark(repo, "ballador/four", head);
    const base = await commitOf(repo, "release");
    expect((await commitsBetween(repo, base, head)).length).toBe(3);
    const squashed = await squashRange(repo, base, head);
    expect(await commitsBetween(repo, base, squashed)).toEqual([squashed]);
    expect(await commitOf(repo, "ballador/four")).toBe(squashed);
    expect(readFileSync(join(ws, "four"), "utf8")).toBe("3\n");
    const lines = await evolog(repo, squashed);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]).toContain(squashed.slice(0, 12));
  });

  it("pr: the task's bookmark reaches a git remote through jj's git backend", async () => {
    const bare = join(dir, "remote.git");
    execFileSync("git", ["init", "-q", "--bare", bare]);
    execFileSync(JJ, ["git", "remote", "add", "origin", bare], { cwd: repo, env: JJ_ENV, stdio: "ignore" });
    await pushBookmark(repo, "origin", "ballador/four");
    const remote = execFileSync(
      "git",
      ["--git-dir", bare, "for-each-ref", "--format=%(refname) %(objectname)"],
      {
        encoding: "utf8",
      },
    );
    expect(remote.trim()).toBe(`refs/heads/ballador/four ${await commitOf(repo, "ballador/four")}`);
  });

  it("cleanup forgets the workspaces (idempotent)", async () => {
    for (const name of ["bl-one", "bl-two", "bl-three", "bl-evil", "bl-four"])
      expect(await forgetWorkspace(repo, name)).toBe(true);
    expect(await forgetWorkspace(repo, "bl-one")).toBe(false);
    expect([...(await listWorkspaces(repo)).keys()]).toEqual(["default"]);
  });
});
