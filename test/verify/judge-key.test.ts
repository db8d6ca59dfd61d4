/**
 * The judge's environment in the verdict reuse key and in the verify sandbox (issue 28): a verdict
 * reached with the run's own HOME (key version 1) is never reused, and the verify policy writes
 * only the checkout and the judge's fresh folders, reading none of the run's agent-written ones.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildPolicy } from "../../src/adapters/sandbox/index.js";
import { verificationKey, verifyClean } from "../../src/verify/verification.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), "ballador-judge-"));
  dirs.push(d);
  return d;
}

function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = temp();
  const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      env,
      encoding: "utf8",
    }).trim();
  git("init", "-q", "-b", "main");
  mkdirSync(join(dir, ".ballador"));
  writeFileSync(join(dir, ".ballador", "config.yaml"), "base: main\n");
  writeFileSync(join(dir, "verify.sh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  git("add", "-A");
  git("commit", "-qm", "base");
  return { dir, git };
}

describe("the verdict reuse key", () => {
  it("names the judge's environment: it differs from the key of a verdict reached before (version 1)", async () => {
    const { dir, git } = repo();
    const commit = git("rev-parse", "HEAD");
    const input = {
      repoRoot: dir,
      commit,
      projectBase: "main",
      verify: "./verify.sh",
      bootstrap: [],
      copy: [],
    };
    const key = await verificationKey(input);
    // The key as version 1 made it, from the same facts (no judge environment in it).
    const judges = git("ls-tree", "main", "--", ".ballador/config.yaml", "verify.sh").split("\n").sort();
    const old = createHash("sha256")
      .update(
        JSON.stringify({
          v: 1,
          tree: git("log", "-1", "--format=%T", commit),
          verify: "./verify.sh",
          judges,
          bootstrap: [],
          copies: [],
        }),
      )
      .digest("hex");
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toBe(old);
    // Still a key: the same facts give the same key.
    expect(await verificationKey(input)).toBe(key);
  });
});

describe("the verify sandbox policy", () => {
  it("writes only the checkout and the judge's fresh HOME and TMPDIR; the run's own folders are unreadable", () => {
    const root = temp();
    const runDir = join(root, "state", "runs", "r1");
    for (const d of ["inbox", "home", "tmp", "objects", "refs", "reflogs"])
      mkdirSync(join(runDir, d), { recursive: true });
    const judge = { home: join(runDir, "judge-a", "home"), tmp: join(runDir, "judge-a", "tmp") };
    const policy = buildPolicy({
      kind: "verify",
      worktree: join(root, "trees", "t"),
      runDir,
      stateDir: join(root, "state"),
      shimDir: join(root, "state", "bin"),
      worktreeRoot: join(root, "trees"),
      gitCommonDir: join(root, "repo", ".git"),
      gitWorktreeDir: join(root, "repo", ".git", "worktrees", "v"),
      branch: "main",
      verifyTree: join(runDir, "verify-r1"),
      judge,
      allowHosts: [],
      allowWrite: [],
      denyRead: [],
      realHome: join(root, "person"),
    });
    expect(policy.filesystem.allowWrite.sort()).toEqual(
      [join(runDir, "verify-r1"), judge.home, judge.tmp].sort(),
    );
    for (const d of ["inbox", "home", "tmp", "objects", "refs", "reflogs"]) {
      expect(policy.filesystem.denyRead).toContain(join(runDir, d));
    }
  });
});

describe("verifyClean (the clean verification, gates, update's and merge's)", () => {
  it("ignores the caller's HOME, TMPDIR and variables: a poisoned run environment bends no verdict", async () => {
    const { dir, git } = repo();
    writeFileSync(
      join(dir, "verify.sh"),
      [
        "#!/bin/sh",
        // Shell ${X-unset} expansions: "unset" when the variable is not in the environment.
        `echo "HOME=$HOME TMPDIR=$TMPDIR GCG=\${GIT_CONFIG_GLOBAL-unset} NO=\${NODE_OPTIONS-unset} BW=\${BALLADOR_WORKTREE-unset} ID=$BALLADOR_TASK_ID"`,
        "if git grep -I -q -e 'WRO''NG' -- '*.txt'; then echo VERIFY-FAIL; exit 1; fi",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    git("add", "-A");
    git("commit", "-qm", "verify");
    writeFileSync(join(dir, "notes.txt"), "WRONG\n");
    git("add", "-A");
    git("commit", "-qm", "wrong answer");
    const runDir = join(temp(), "run");
    const home = join(runDir, "home");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, ".gitattributes"), "* -diff\n");
    writeFileSync(join(home, ".gitconfig"), `[core]\n\tattributesFile = ${home}/.gitattributes\n`);
    const verdict = await verifyClean({
      repoRoot: dir,
      commit: git("rev-parse", "HEAD"),
      runDir,
      projectBase: "HEAD",
      verify: "./verify.sh",
      bootstrap: [],
      copy: [],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        TMPDIR: join(runDir, "tmp"),
        GIT_CONFIG_GLOBAL: join(home, ".gitconfig"),
        NODE_OPTIONS: "--require /nowhere.js",
        BALLADOR_WORKTREE: "/somewhere",
        BALLADOR_TASK_ID: "t1",
      },
      timeoutMs: 60_000,
      sandboxFor: async () => null,
    });
    expect(verdict.tail).toContain("VERIFY-FAIL");
    expect(verdict.ok).toBe(false);
    const seen = /HOME=(\S+) TMPDIR=(\S+) GCG=(\S+) NO=(\S+) BW=(\S+) ID=(\S+)/.exec(verdict.tail);
    expect(seen?.slice(3)).toEqual(["unset", "unset", "unset", "t1"]);
    expect(seen?.[1]).toMatch(new RegExp(`^${runDir}/judge-[^/]+/home$`));
    expect(seen?.[2]).toMatch(new RegExp(`^${runDir}/judge-[^/]+/tmp$`));
  });
});
