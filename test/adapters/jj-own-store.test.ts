// A jj repository with its own git store (`jj git init` without --colocate), against a real jj:
// found from inside (and not through a link or a secondary workspace's `.jj`), host-side git
// pointed at its store for exactly its root, bookmarks exported to git branches, and the person's
// working-copy changes named for the conductor's record. Skips loudly without jj.
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  currentBranch,
  git,
  ownGitStore,
  ownStoreRootAbove,
  resolveCommit,
  useGitStore,
} from "../../src/adapters/git/index.js";
import { addWorkspace, exportGitRefs, workingCopyChanges } from "../../src/adapters/jj/index.js";
import { JJ, JJ_ENV, jjAvailable, useJjRepo } from "../helpers/jj.js";

const version = jjAvailable();
let dir = "";
let repo = "";

describe.skipIf(!version)(`a jj repository with its own git store (jj ${version ?? "not installed"})`, () => {
  useJjRepo("bl-jj-own-", ["main"], (d, r) => {
    dir = d;
    repo = r;
  });

  it("is found from a folder inside it; a colocated one, a link and a secondary workspace are not", async () => {
    const store = join(repo, ".jj", "repo", "store", "git");
    mkdirSync(join(repo, "sub", "deep"), { recursive: true });
    expect(ownGitStore(repo)).toBe(store);
    expect(ownStoreRootAbove(join(repo, "sub", "deep"))).toEqual({ root: repo, store });
    // A secondary workspace's .jj/repo is a file naming the store: the search goes on above it.
    const ws = join(repo, "sub", "ws");
    await addWorkspace(repo, { name: "ws", path: ws, parents: ["main"] });
    expect(ownStoreRootAbove(ws)).toEqual({ root: repo, store });
    // A .jj/repo that is a link (as an agent could plant one) is no repository of its own.
    const linked = join(dir, "linked");
    mkdirSync(join(linked, ".jj"), { recursive: true });
    symlinkSync(join(repo, ".jj", "repo"), join(linked, ".jj", "repo"));
    expect(ownGitStore(linked)).toBeNull();
    // A colocated repository is git's to find.
    const colocated = join(dir, "colocated");
    mkdirSync(colocated);
    execFileSync(JJ, ["git", "init", "--colocate"], { cwd: colocated, env: JJ_ENV, stdio: "ignore" });
    expect(ownStoreRootAbove(colocated)).toBeNull();
  });

  it("host-side git at the root reads the store; jj's bookmarks are branches there once exported", async () => {
    const store = ownGitStore(repo) as string;
    useGitStore(repo, store);
    expect(await currentBranch(repo)).toBeNull();
    execFileSync(JJ, ["bookmark", "create", "feature", "-r", "main"], {
      cwd: repo,
      env: JJ_ENV,
      stdio: "ignore",
    });
    expect(await resolveCommit(repo, "refs/heads/feature")).toBeNull();
    await exportGitRefs(repo);
    const main = await resolveCommit(repo, "refs/heads/main");
    expect(main).toMatch(/^[0-9a-f]{40}$/);
    expect(await resolveCommit(repo, "refs/heads/feature")).toBe(main);
    expect((await git(["rev-parse", "--git-dir"], { cwd: repo })).stdout.trim()).toBe(store);
    // Only the root itself: a folder below it is not pointed at the store.
    const below = await git(["rev-parse", "--git-dir"], { cwd: join(repo, "sub", "deep"), allowFail: true });
    expect(below.stdout.trim()).not.toBe(store);
  });

  it("names the person's working-copy changes as status lines", async () => {
    writeFileSync(join(repo, "a"), "changed\n");
    writeFileSync(join(repo, "new.txt"), "n\n");
    const lines = (await workingCopyChanges(repo)).split("\n").sort();
    expect(lines).toContain("M  a");
    expect(lines).toContain("A  new.txt");
  });
});
