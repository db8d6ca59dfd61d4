/**
 * The per-run git store of a jj run (src/adapters/jj/git-store.ts), on a real git repository with
 * packed refs: what the copy holds (links into the read-only mount, HEAD and packed-refs copies,
 * mount points for the run's objects and keep refs, none of the person's lock files), that
 * seeding again removes what an agent planted there without following its links, and the jj
 * secure-config metadata written into the run's HOME. Pure file work: the runs with a real jj and
 * bubblewrap are test/jj/packed-refs.test.ts.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { agentPaths, seedRunGitStore, seedSecureConfigMetadata } from "../../src/adapters/jj/index.js";

const dir = mkdtempSync(join(tmpdir(), "bl-jjgit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const root = join(dir, "repo");
const git = join(root, ".git");
const copyDir = join(dir, "run", "jjops");
const g = (args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
    cwd: root,
    encoding: "utf8",
  });
mkdirSync(root);
g(["init", "-q", "-b", "main"]);
writeFileSync(join(root, "a"), "a\n");
g(["add", "a"]);
g(["commit", "-qm", "a"]);
g(["tag", "v1"]);
g(["pack-refs", "--all"]);
// A git of the person's at work: its lock files must not reach the run.
writeFileSync(join(git, "index.lock"), "");
writeFileSync(join(git, "refs", "heads.lock"), "");
mkdirSync(join(git, "refs", "jj", "keep"), { recursive: true });
mkdirSync(join(root, ".jj", "repo", "store"), { recursive: true });
writeFileSync(join(root, ".jj", "repo", "store", "git_target"), "../../../.git");

describe("a jj run's git store", () => {
  it("is a per-run folder of links into the read-only mount, with its own HEAD and packed-refs", () => {
    seedRunGitStore(git, copyDir);
    const copy = join(copyDir, "git");
    const shadow = join(copyDir, "real-git");
    expect(readFileSync(join(copy, "packed-refs"), "utf8")).toBe(
      readFileSync(join(git, "packed-refs"), "utf8"),
    );
    expect(readFileSync(join(copy, "packed-refs"), "utf8")).toContain("refs/tags/v1");
    expect(lstatSync(join(copy, "packed-refs")).isFile()).toBe(true);
    expect(lstatSync(join(copy, "HEAD")).isFile()).toBe(true);
    expect(readlinkSync(join(copy, "config"))).toBe(join(shadow, "config"));
    expect(readlinkSync(join(copy, "hooks"))).toBe(join(shadow, "hooks"));
    expect(readlinkSync(join(copy, "refs", "heads"))).toBe(join(shadow, "refs", "heads"));
    for (const mountPoint of ["objects", join("refs", "jj")]) {
      expect(lstatSync(join(copy, mountPoint)).isDirectory()).toBe(true);
      expect(readdirSync(join(copy, mountPoint))).toEqual([]);
    }
    expect(existsSync(join(copy, "index.lock"))).toBe(false);
    expect(existsSync(join(copy, "refs", "heads.lock"))).toBe(false);

    // The sandbox mounts the copy over the real store first, then the real one read-only beside it,
    // then the run's objects and keep refs into the copy.
    const mounts = agentPaths(root, join(dir, "ws"), {
      opHeads: join(dir, "run", "refs"),
      opStore: copyDir,
      objects: join(dir, "run", "objects"),
    }).mounts;
    const at = (to: string) => mounts.findIndex((m) => m.to === to);
    expect(mounts[at(git)]?.from).toBe(copy);
    expect(mounts[at(shadow)]).toEqual({ from: git, to: shadow, readOnly: true });
    expect(at(git)).toBeLessThan(at(join(git, "objects")));
    expect(at(git)).toBeLessThan(at(join(git, "refs", "jj")));
  });

  it("is made anew before each step: what an agent planted goes, never followed", () => {
    const copy = join(copyDir, "git");
    const outside = join(dir, "outside");
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, "keep-me"), "person's\n");
    // The agent's writes in its copy: a config of its own, junk packed refs, a link to elsewhere.
    rmSync(join(copy, "config"));
    writeFileSync(join(copy, "config"), "[core]\n\thooksPath = /tmp/evil\n");
    writeFileSync(join(copy, "packed-refs"), "junk\n");
    symlinkSync(outside, join(copy, "refs", "planted"));
    symlinkSync(outside, join(copy, "objects", "planted"));
    seedRunGitStore(git, copyDir);
    expect(readlinkSync(join(copy, "config"))).toBe(join(copyDir, "real-git", "config"));
    expect(readFileSync(join(copy, "packed-refs"), "utf8")).toBe(
      readFileSync(join(git, "packed-refs"), "utf8"),
    );
    expect(existsSync(join(copy, "refs", "planted"))).toBe(false);
    expect(readdirSync(join(copy, "objects"))).toEqual([]);
    expect(readFileSync(join(outside, "keep-me"), "utf8")).toBe("person's\n");
    expect(readFileSync(join(git, "config"), "utf8")).not.toContain("evil");
  });

  it("gives the run's HOME jj's secure-config metadata for the repository's config id, never through a link", () => {
    const home = join(dir, "home");
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(join(home, ".config"), { recursive: true });
    mkdirSync(elsewhere);
    // No config id: nothing written.
    seedSecureConfigMetadata(root, home);
    expect(readdirSync(join(home, ".config"))).toEqual([]);
    const id = "0123456789abcdef0123";
    writeFileSync(join(root, ".jj", "repo", "config-id"), id);
    // The agent pointed its jj config folder elsewhere: replaced, not followed.
    symlinkSync(elsewhere, join(home, ".config", "jj"));
    seedSecureConfigMetadata(root, home);
    const path = Buffer.from(realpathSync(join(root, ".jj", "repo")));
    const meta = readFileSync(join(home, ".config", "jj", "repos", id, "metadata.binpb"));
    expect(meta).toEqual(Buffer.concat([Buffer.from([0x0a, path.length]), path]));
    expect(lstatSync(join(home, ".config", "jj")).isDirectory()).toBe(true);
    expect(readdirSync(elsewhere)).toEqual([]);
    // A config id that is not one (20 hex digits) is not used as a path.
    writeFileSync(join(root, ".jj", "repo", "config-id"), "../../etc");
    seedSecureConfigMetadata(root, home);
    expect(readdirSync(join(home, ".config", "jj", "repos"))).toEqual([id]);
  });
});
