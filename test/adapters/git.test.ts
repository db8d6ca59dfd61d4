import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  addDetachedWorktree,
  addWorktree,
  branchExists,
  changedFiles,
  commitsAhead,
  committedProblems,
  currentBranch,
  deleteBranch,
  dirtyFiles,
  GitError,
  git,
  isAncestor,
  isValidBranchName,
  listWorktrees,
  mainCheckoutRoot,
  NotAGitRepoError,
  pruneWorktrees,
  removeWorktree,
  resolveCommit,
  worktreeTopLevel,
} from "../../src/adapters/git/index.js";

// Commits need an identity; pass it per call so the machine's git config is irrelevant.
const IDENTITY = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

async function commitFile(cwd: string, file: string, content: string, message: string): Promise<void> {
  await writeFile(join(cwd, file), content);
  await git(["add", "--", file], { cwd });
  await git(["commit", "-q", "-m", message], { cwd, env: IDENTITY });
}

/** Every path under `dir`, relative, for "nothing appeared" assertions. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => !e.split("/").includes(".git")).sort();
}

let root: string; // temp dir holding the repo and its worktrees
let repo: string;

beforeEach(async () => {
  // realpath: on some systems tmpdir is a symlink and git reports resolved paths.
  root = await realpath(await mkdtemp(join(tmpdir(), "bl-git-")));
  repo = join(root, "repo");
  await mkdir(repo);
  await git(["init", "-q", "-b", "main"], { cwd: repo });
  await commitFile(repo, "README.md", "hello\n", "init");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("git runner", () => {
  it("throws GitError with command, code and stderr", async () => {
    const err = await git(["rev-parse", "--verify", "nope"], { cwd: repo }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    const gitErr = err as GitError;
    expect(gitErr.code).toBe(128);
    expect(gitErr.command).toBe("git rev-parse --verify nope");
    expect(gitErr.stderr).toMatch(/nope|needed a single revision/i);
    expect(gitErr.message).toContain("exited with code 128");
  });

  it("returns the failure instead with allowFail", async () => {
    const res = await git(["rev-parse", "--verify", "--quiet", "nope"], { cwd: repo, allowFail: true });
    expect(res.code).toBe(1);
  });

  it("says when the cwd does not exist", async () => {
    await expect(git(["status"], { cwd: join(root, "missing") })).rejects.toThrow(/does not exist/);
  });
});

describe("repository queries", () => {
  it("finds roots, branch and commits", async () => {
    expect(await mainCheckoutRoot(repo)).toBe(repo);
    await mkdir(join(repo, "sub"));
    expect(await mainCheckoutRoot(join(repo, "sub"))).toBe(repo);
    expect(await worktreeTopLevel(join(repo, "sub"))).toBe(repo);
    expect(await currentBranch(repo)).toBe("main");
    const sha = await resolveCommit(repo, "main");
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await resolveCommit(repo, "HEAD")).toBe(sha);
    expect(await resolveCommit(repo, "does-not-exist")).toBeNull();
    await git(["checkout", "-q", "--detach"], { cwd: repo });
    expect(await currentBranch(repo)).toBeNull();
  });

  it("leaves a .git it cannot read as plain (a symlink, a discovery variable) to git itself", async () => {
    const elsewhere = join(root, "elsewhere");
    await mkdir(elsewhere);
    await git(["init", "-q", "-b", "main"], { cwd: elsewhere });
    const linked = join(root, "linked");
    await mkdir(linked);
    await symlink(join(elsewhere, ".git"), join(linked, ".git"));
    // git resolves the link to the repository it names: so does Ballador.
    expect(await mainCheckoutRoot(linked)).toBe(elsewhere);
    // A ceiling above the checkout: git no longer looks there, and neither does Ballador.
    await mkdir(join(repo, "deep"), { recursive: true });
    process.env.GIT_CEILING_DIRECTORIES = repo;
    try {
      await expect(mainCheckoutRoot(join(repo, "deep"))).rejects.toThrow(NotAGitRepoError);
    } finally {
      delete process.env.GIT_CEILING_DIRECTORIES;
    }
  });

  it("checks many paths at a revision in one call: committed, missing, a link, too large", async () => {
    await mkdir(join(repo, "docs"), { recursive: true });
    await writeFile(join(repo, "docs", "small.md"), "small\n");
    await writeFile(join(repo, "docs", "big.md"), "x".repeat(2048));
    await symlink("small.md", join(repo, "docs", "link.md"));
    await git(["add", "docs"], { cwd: repo });
    await git(["commit", "-q", "-m", "docs"], { cwd: repo, env: IDENTITY });
    const problems = await committedProblems(
      repo,
      "main",
      new Map(["docs/small.md", "docs/big.md", "docs/link.md", "docs/none.md"].map((p) => [p, 1024])),
    );
    expect(Object.fromEntries(problems)).toEqual({
      "docs/small.md": null,
      "docs/big.md": "docs/big.md on main is larger than 1024 bytes",
      "docs/link.md": "docs/link.md on main is not a regular file (a symbolic link)",
      "docs/none.md": "docs/none.md is not committed on main",
    });
  });

  it("throws NotAGitRepoError outside a repository", async () => {
    const plain = join(root, "plain");
    await mkdir(plain);
    const err = await mainCheckoutRoot(plain).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAGitRepoError);
    expect((err as NotAGitRepoError).message).toContain(plain);
    await expect(worktreeTopLevel(plain)).rejects.toThrow(NotAGitRepoError);
  });

  it("refuses revisions that look like options", async () => {
    await expect(resolveCommit(repo, "--all")).rejects.toThrow(GitError);
    await expect(isAncestor(repo, "--x", "main")).rejects.toThrow(/starts with "-"/);
    await expect(commitsAhead(repo, "main", "-n1")).rejects.toThrow(GitError);
  });

  it("counts commits ahead, ancestry and changed files", async () => {
    await git(["checkout", "-q", "-b", "feat"], { cwd: repo });
    await commitFile(repo, "a.txt", "a\n", "a");
    await commitFile(repo, "b.txt", "b\n", "b");
    await git(["checkout", "-q", "main"], { cwd: repo });
    await commitFile(repo, "m.txt", "m\n", "m on main");
    expect(await commitsAhead(repo, "main", "feat")).toBe(2);
    expect(await commitsAhead(repo, "feat", "main")).toBe(1);
    expect(await isAncestor(repo, "main~1", "feat")).toBe(true);
    expect(await isAncestor(repo, "main", "feat")).toBe(false);
    // Three-dot: only what feat changed since the fork, not main's m.txt.
    expect((await changedFiles(repo, "main", "feat")).sort()).toEqual(["a.txt", "b.txt"]);
    await expect(isAncestor(repo, "nope", "main")).rejects.toThrow(GitError);
  });

  it("deletes branches, refusing unmerged ones without force", async () => {
    await git(["branch", "merged"], { cwd: repo });
    await deleteBranch(repo, "merged");
    expect(await branchExists(repo, "merged")).toBe(false);
    await git(["checkout", "-q", "-b", "unmerged"], { cwd: repo });
    await commitFile(repo, "u.txt", "u\n", "u");
    await git(["checkout", "-q", "main"], { cwd: repo });
    await expect(deleteBranch(repo, "unmerged")).rejects.toThrow(GitError);
    await deleteBranch(repo, "unmerged", { force: true });
    expect(await branchExists(repo, "unmerged")).toBe(false);
  });
});

describe("branch names", () => {
  it("accepts ordinary names and rejects bad ones", async () => {
    expect(await isValidBranchName("bl/extract-events")).toBe(true);
    for (const bad of [
      "",
      "--foo",
      "-b",
      "a;rm -rf x",
      "../../x",
      "$(touch pwned)",
      "a..b",
      "@",
      "@{-1}",
      "HEAD",
      "a b",
    ]) {
      expect(await isValidBranchName(bad), bad).toBe(false);
    }
  });

  it("hostile names are rejected or inert", async () => {
    const before = await tree(root);
    const hostile = ["--foo", "a;rm -rf x", "../../x", "$(touch pwned)", "`touch pwned`", "--detach"];
    for (const name of hostile) {
      const wt = join(root, `wt-${hostile.indexOf(name)}`);
      await expect(addWorktree({ repo, path: wt, branch: name, base: "main" })).rejects.toThrow(GitError);
      expect(await branchExists(repo, name)).toBe(false);
      await expect(deleteBranch(repo, name)).rejects.toThrow(GitError);
    }
    // A hostile base is refused too, before reaching worktree add.
    await expect(
      addWorktree({ repo, path: join(root, "wt-b"), branch: "ok", base: "--orphan" }),
    ).rejects.toThrow(/starts with "-"/);
    await expect(
      addWorktree({ repo, path: join(root, "wt-c"), branch: "ok2", base: "$(touch pwned)" }),
    ).rejects.toThrow(/does not name a commit/);
    expect(await tree(root)).toEqual(before);
    expect(before.some((p) => p.includes("pwned"))).toBe(false);
    const parent = await readdir(join(root, ".."));
    expect(parent).not.toContain("pwned");
    expect(parent).not.toContain("x");
    expect(await readdir(process.cwd())).not.toContain("pwned");
  });

  it("hostile but valid names stay inert as arguments", async () => {
    // Valid ref names can still hold shell syntax; passed as argv they are just text.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell ${IFS} is the point.
    for (const [i, name] of ["x$(touch${IFS}pwned)", "y`touch${IFS}pwned`"].entries()) {
      expect(await isValidBranchName(name)).toBe(true);
      const wt = join(root, `wt-${i}`);
      expect(await addWorktree({ repo, path: wt, branch: name, base: "main" })).toEqual({
        createdBranch: true,
      });
      expect(await currentBranch(wt)).toBe(name);
      expect(await branchExists(repo, name)).toBe(true);
      await removeWorktree(repo, wt);
      await deleteBranch(repo, name);
    }
    expect((await tree(root)).filter((p) => p.endsWith("pwned"))).toEqual([]);
    expect(await readdir(process.cwd())).not.toContain("pwned");
  });
});

describe("worktrees", () => {
  it("twenty added at once (every session provisions itself) all succeed, each on its own new branch", async () => {
    // Concurrent adds can catch one another's administrative folder half made; git then dies
    // before changing anything, and the adapter tries again.
    const ids = Array.from({ length: 20 }, (_, i) => `bl/par-${i}`);
    const results = await Promise.all(
      ids.map((branch, i) => addWorktree({ repo, path: join(root, `wt-par-${i}`), branch, base: "main" })),
    );
    expect(results.every((r) => r.createdBranch)).toBe(true);
    for (const [i, branch] of ids.entries())
      expect(await currentBranch(join(root, `wt-par-${i}`))).toBe(branch);
  });

  it("detached adds beside prunes (verifications ending and starting at once) all succeed", async () => {
    // The demo once lost a verification this way: a prune removed the admin folder another
    // add was still writing ("could not open .git/worktrees/X/gitdir").
    const head = (await resolveCommit(repo, "main")) as string;
    const adds = Array.from({ length: 12 }, (_, i) =>
      addDetachedWorktree(repo, join(root, `wt-detached-${i}`), head),
    );
    const prunes = Array.from({ length: 12 }, () => pruneWorktrees(repo));
    await Promise.all([...adds, ...prunes]);
    for (let i = 0; i < 12; i++)
      expect(await resolveCommit(join(root, `wt-detached-${i}`), "HEAD")).toBe(head);
    await expect(addDetachedWorktree(repo, join(root, "wt-opt"), "--orphan")).rejects.toThrow();
  });

  it("adds a worktree on a new branch cut from the base", async () => {
    const base = await resolveCommit(repo, "main");
    await commitFile(repo, "later.txt", "later\n", "after base");
    const wt = join(root, "wt-new");
    const res = await addWorktree({ repo, path: wt, branch: "bl/new", base: base! });
    expect(res).toEqual({ createdBranch: true });
    expect(await currentBranch(wt)).toBe("bl/new");
    expect(await resolveCommit(wt, "HEAD")).toBe(base);
    expect(await worktreeTopLevel(wt)).toBe(wt);
    // Not tracking the base: task branches have no upstream.
    const upstream = await git(["rev-parse", "--abbrev-ref", "bl/new@{upstream}"], {
      cwd: repo,
      allowFail: true,
    });
    expect(upstream.code).not.toBe(0);
  });

  it("reuses an existing branch without resetting it", async () => {
    await git(["branch", "bl/old"], { cwd: repo });
    const wt1 = join(root, "wt-1");
    await addWorktree({ repo, path: wt1, branch: "bl/old", base: "main" });
    await commitFile(wt1, "work.txt", "work\n", "agent work");
    const tip = await resolveCommit(repo, "bl/old");
    await removeWorktree(repo, wt1);

    const wt2 = join(root, "wt-2");
    const res = await addWorktree({ repo, path: wt2, branch: "bl/old", base: "main" });
    expect(res).toEqual({ createdBranch: false });
    expect(await resolveCommit(wt2, "HEAD")).toBe(tip);
    expect(await currentBranch(wt2)).toBe("bl/old");
    expect(await commitsAhead(repo, "main", "bl/old")).toBe(1);
  });

  it("finds the main checkout root from inside a linked worktree", async () => {
    const wt = join(root, "wt-linked");
    await addWorktree({ repo, path: wt, branch: "bl/linked", base: "main" });
    await mkdir(join(wt, "deep", "er"), { recursive: true });
    expect(await mainCheckoutRoot(join(wt, "deep", "er"))).toBe(repo);
    expect(await worktreeTopLevel(join(wt, "deep"))).toBe(wt);
  });

  it("lists worktrees with head, branch, locked and prunable", async () => {
    const a = join(root, "wt-a");
    const b = join(root, "wt-b");
    const c = join(root, "wt-c");
    await addWorktree({ repo, path: a, branch: "bl/a", base: "main" });
    await addWorktree({ repo, path: b, branch: "bl/b", base: "main" });
    await addWorktree({ repo, path: c, branch: "bl/c", base: "main" });
    await git(["worktree", "lock", "--reason", "busy", "--", b], { cwd: repo });
    await git(["checkout", "-q", "--detach"], { cwd: c });
    await rm(c, { recursive: true, force: true });

    const list = await listWorktrees(repo);
    const sha = await resolveCommit(repo, "main");
    expect(list).toEqual([
      { path: repo, head: sha, branch: "main", locked: false, prunable: false },
      { path: a, head: sha, branch: "bl/a", locked: false, prunable: false },
      { path: b, head: sha, branch: "bl/b", locked: true, prunable: false },
      { path: c, head: sha, branch: null, locked: false, prunable: true },
    ]);
  });

  it("removes worktrees, forcing when dirty, pruning when already deleted", async () => {
    const wt = join(root, "wt-rm");
    await addWorktree({ repo, path: wt, branch: "bl/rm", base: "main" });
    await writeFile(join(wt, "scratch.txt"), "x");
    await expect(removeWorktree(repo, wt)).rejects.toThrow(GitError);
    await removeWorktree(repo, wt, { force: true });
    expect((await listWorktrees(repo)).map((w) => w.path)).toEqual([repo]);
    // The branch survives its worktree.
    expect(await branchExists(repo, "bl/rm")).toBe(true);

    const gone = join(root, "wt-gone");
    await addWorktree({ repo, path: gone, branch: "bl/gone", base: "main" });
    await rm(gone, { recursive: true, force: true });
    await removeWorktree(repo, gone);
    expect((await listWorktrees(repo)).map((w) => w.path)).toEqual([repo]);
  });

  it("reports dirty files: modified, staged, untracked, renamed, odd names", async () => {
    const wt = join(root, "wt-dirty");
    await addWorktree({ repo, path: wt, branch: "bl/dirty", base: "main" });
    expect(await dirtyFiles(wt)).toEqual([]);
    await commitFile(wt, "old.txt", "old\n", "old");
    await writeFile(join(wt, "README.md"), "changed\n");
    await mkdir(join(wt, "dir"));
    await writeFile(join(wt, "dir", "new file.txt"), "n");
    await writeFile(join(wt, 'quote"and\nnewline.txt'), "q");
    await git(["mv", "old.txt", "renamed.txt"], { cwd: wt });
    await writeFile(join(wt, "staged.txt"), "s");
    await git(["add", "staged.txt"], { cwd: wt });
    expect((await dirtyFiles(wt)).sort()).toEqual(
      [
        "README.md",
        "dir/new file.txt",
        "old.txt",
        'quote"and\nnewline.txt',
        "renamed.txt",
        "staged.txt",
      ].sort(),
    );
  });
});
