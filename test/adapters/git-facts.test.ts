/**
 * One reading of the repository (issue 35): inside withGitFacts a question git answers from refs
 * and objects alone is asked once; Ballador's own writes are always seen; nothing that reads a
 * checkout's files is reused; outside a reading every call is a process of its own. The count
 * is a real git behind a logging `git` first on PATH.
 */
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  addDetachedWorktree,
  git,
  refsUnder,
  removeWorktree,
  resolveCommit,
  updateRef,
  withGitFacts,
} from "../../src/adapters/git/index.js";

const IDENTITY = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

let root: string;
let repo: string;
let log: string;
let savedPath: string | undefined;

async function commitFile(file: string, content: string): Promise<string> {
  await writeFile(join(repo, file), content);
  await git(["add", "--", file], { cwd: repo });
  await git(["commit", "-q", "-m", file], { cwd: repo, env: IDENTITY });
  return (await git(["rev-parse", "HEAD"], { cwd: repo })).stdout.trim();
}

/** The git commands run since the log was last emptied (their subcommand and what follows). */
async function calls(): Promise<string[]> {
  const text = await readFile(log, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => line.replace(/(-c \S+ )+/g, ""));
}

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "bl-git-facts-")));
  repo = join(root, "repo");
  await mkdir(repo);
  await git(["init", "-q", "-b", "main"], { cwd: repo });
  await commitFile("README.md", "hello\n");
  const bin = join(root, "bin");
  await mkdir(bin);
  log = join(root, "calls.log");
  const real = (await git(["--exec-path"], { cwd: repo })).stdout.trim();
  await writeFile(join(bin, "git"), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${log}\nexec ${real}/git "$@"\n`);
  await chmod(join(bin, "git"), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
});

afterEach(async () => {
  process.env.PATH = savedPath;
  await rm(root, { recursive: true, force: true });
});

const resolves = (all: string[], rev: string) =>
  all.filter((c) => c.startsWith("rev-parse --verify") && c.includes(rev));

describe("withGitFacts", () => {
  it("asks git once for the same ref inside a reading, and every time outside one", async () => {
    const head = await resolveCommit(repo, "main");
    await writeFile(log, "");
    const inside = await withGitFacts(async () => [
      await resolveCommit(repo, "main"),
      await resolveCommit(repo, "main"),
      ...(await Promise.all([resolveCommit(repo, "main"), resolveCommit(repo, "main")])),
    ]);
    expect(inside).toEqual([head, head, head, head]);
    expect(resolves(await calls(), "main^{commit}")).toHaveLength(1);

    await writeFile(log, "");
    await resolveCommit(repo, "main");
    await resolveCommit(repo, "main");
    expect(resolves(await calls(), "main^{commit}")).toHaveLength(2);
  });

  it("ends with its work: a callback left behind asks git again", async () => {
    let later: Promise<string | null> | null = null;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    await withGitFacts(async () => {
      await resolveCommit(repo, "main");
      later = gate.then(() => resolveCommit(repo, "main"));
    });
    await writeFile(log, "");
    release();
    await later;
    expect(resolves(await calls(), "main^{commit}")).toHaveLength(1);
  });

  it("sees a ref Ballador moves inside the reading: any write forgets every answer", async () => {
    const first = (await resolveCommit(repo, "main")) as string;
    const second = await commitFile("b.txt", "b\n");
    await git(["update-ref", "refs/heads/side", first], { cwd: repo });
    const seen = await withGitFacts(async () => {
      const before = await resolveCommit(repo, "side");
      const refs = await refsUnder(repo, "refs/heads/side");
      expect(await updateRef(repo, "refs/heads/side", second, first, "test")).toBe(true);
      return {
        before,
        refs,
        after: await resolveCommit(repo, "side"),
        listed: await refsUnder(repo, "refs/heads/side"),
      };
    });
    expect(seen.before).toBe(first);
    expect(seen.refs.get("refs/heads/side")).toBe(first);
    expect(seen.after).toBe(second);
    expect(seen.listed.get("refs/heads/side")).toBe(second);
  });

  it("keeps the answers across a clean checkout made and removed (no ref moves), not across a commit", async () => {
    const tree = join(root, "verify-tree");
    await withGitFacts(async () => {
      const head = (await resolveCommit(repo, "main")) as string;
      await addDetachedWorktree(repo, tree, head);
      await removeWorktree(repo, tree);
      await resolveCommit(repo, "main");
      expect(resolves(await calls(), "main^{commit}")).toHaveLength(1);
      // A commit through the adapter moves main: the next question is asked again.
      await writeFile(join(repo, "c.txt"), "c\n");
      await git(["add", "c.txt"], { cwd: repo });
      await git(["commit", "-q", "-m", "c"], { cwd: repo, env: IDENTITY });
      expect(await resolveCommit(repo, "main")).not.toBe(head);
    });
  });

  it("never reuses what reads a checkout's files: a working-tree diff is asked each time", async () => {
    await withGitFacts(async () => {
      const names = async () => (await git(["diff", "--name-only"], { cwd: repo })).stdout.trim();
      expect(await names()).toBe("");
      await writeFile(join(repo, "README.md"), "changed\n");
      expect(await names()).toBe("README.md");
      const top = async () => (await git(["rev-parse", "--show-toplevel"], { cwd: repo })).stdout.trim();
      await top();
      await top();
    });
    const all = await calls();
    expect(all.filter((c) => c.startsWith("diff --no-ext-diff --no-textconv --name-only"))).toHaveLength(2);
    expect(all.filter((c) => c.startsWith("rev-parse --show-toplevel"))).toHaveLength(2);
  });

  it("answers a failed question the same way each time (allowFail or thrown) from one process", async () => {
    await writeFile(log, "");
    await withGitFacts(async () => {
      expect(await resolveCommit(repo, "nope")).toBeNull();
      expect(await resolveCommit(repo, "nope")).toBeNull();
      await expect(git(["merge-base", "--end-of-options", "nope", "main"], { cwd: repo })).rejects.toThrow(
        /merge-base/,
      );
      await expect(git(["merge-base", "--end-of-options", "nope", "main"], { cwd: repo })).rejects.toThrow(
        /merge-base/,
      );
    });
    const all = await calls();
    expect(resolves(all, "nope^{commit}")).toHaveLength(1);
    expect(all.filter((c) => c.startsWith("merge-base"))).toHaveLength(1);
  });

  it("keeps the hardening on every process of a reading (no hooks, no fsmonitor)", async () => {
    await writeFile(log, "");
    await withGitFacts(() => resolveCommit(repo, "main"));
    const raw = await readFile(log, "utf8");
    expect(raw).toContain("core.hooksPath=/dev/null");
    expect(raw).toContain("core.fsmonitor=false");
  });

  it("commands that skip the driver lookup run no filter or driver, and later ones in that folder get the overrides", async () => {
    const markers = join(root, "markers");
    await mkdir(markers);
    await git(["config", "filter.evil.clean", `touch ${markers}/clean; cat`], { cwd: repo });
    await git(["config", "filter.evil.smudge", `touch ${markers}/smudge; cat`], { cwd: repo });
    await git(["config", "diff.evil.textconv", `touch ${markers}/textconv; cat`], { cwd: repo });
    await writeFile(join(repo, ".gitattributes"), "* filter=evil diff=evil\n");
    await git(["-c", "filter.evil.clean=cat", "add", "-A"], { cwd: repo });
    await git(["-c", "filter.evil.clean=cat", "commit", "-q", "-m", "attrs"], { cwd: repo, env: IDENTITY });
    // A fresh folder of this process: its first commands are the ones that skip the lookup.
    const tree = join(root, "tree");
    const head = (await resolveCommit(repo, "main")) as string;
    await git(["-c", "filter.evil.smudge=cat", "worktree", "add", "--detach", "-q", tree, head], {
      cwd: repo,
    });
    await git(["rev-parse", "--absolute-git-dir"], { cwd: tree });
    await git(["ls-tree", "-r", "HEAD"], { cwd: tree });
    await git(["merge-base", "HEAD", head], { cwd: tree });
    await git(["cat-file", "-p", `${head}:README.md`], { cwd: tree });
    await writeFile(join(tree, "README.md"), "changed\n");
    await git(["diff", "HEAD"], { cwd: tree });
    await git(["status", "--porcelain"], { cwd: tree });
    await git(["checkout", "--", "README.md"], { cwd: tree });
    expect(await readdirNames(markers)).toEqual([]);
  });
});

async function readdirNames(dir: string): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  return (await readdir(dir)).sort();
}
