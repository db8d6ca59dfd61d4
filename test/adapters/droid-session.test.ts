/**
 * The Droid session a retry continues (`droid exec --fork <id>`), found in the agent's HOME
 * (hostile): the worktree's newest by the session's own stamps, never through a link, never
 * another working directory's, never an id that is not one.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { latestDroidSession } from "../../src/adapters/agents/droid-session.js";
import { PRESETS, withResume } from "../../src/adapters/agents/presets.js";

const roots: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.pid && c.exitCode === null) process.kill(-c.pid, "SIGKILL");
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function sessionsDir(): { root: string; home: string; worktree: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), "bl-droid-"));
  roots.push(root);
  const home = join(root, "home");
  const worktree = join(root, "wt", "task");
  const dir = join(home, ".factory", "sessions", worktree.replace(/\//g, "-"));
  mkdirSync(dir, { recursive: true });
  return { root, home, worktree, dir };
}

function session(dir: string, id: string, cwd: string, at: string, headId = id): void {
  const lines = [
    JSON.stringify({ type: "session_start", id: headId, cwd }),
    JSON.stringify({ type: "message", id: "m", timestamp: at, message: { role: "user", content: [] } }),
  ];
  writeFileSync(join(dir, `${id}.jsonl`), `${lines.join("\n")}\n`);
}

describe("Droid's session to continue", () => {
  it("is the worktree's newest by its stamps; another cwd's, a link, a mislabeled or odd id are passed over", () => {
    const { root, home, worktree, dir } = sessionsDir();
    session(dir, "a1", worktree, "2026-12-07T10:00:00.000Z");
    session(dir, "b2", worktree, "2026-12-07T11:00:00.000Z");
    session(dir, "c3", join(root, "other"), "2026-12-07T12:00:00.000Z");
    session(dir, "d4", worktree, "2026-12-07T13:00:00.000Z", "a1");
    session(dir, "-e5", worktree, "2026-12-07T14:00:00.000Z");
    const outside = join(root, "outside");
    mkdirSync(outside);
    session(outside, "f6", worktree, "2026-12-07T15:00:00.000Z");
    symlinkSync(join(outside, "f6.jsonl"), join(dir, "f6.jsonl"));
    expect(latestDroidSession(home, worktree)).toBe("b2");
    expect(latestDroidSession(home, join(root, "none"))).toBeNull();
  });

  it("an agent's traps where a session is expected: a huge session is read at its two ends only, a FIFO is not waited on, links and odd entries are passed over", () => {
    const { root, home, worktree, dir } = sessionsDir();
    session(dir, "a1", worktree, "2026-12-07T10:00:00.000Z");
    // 64 GiB (sparse): its header at the start, its last message at the end, nothing between.
    // Read whole it could not be held; at its two ends it is the newest session.
    const fd = openSync(join(dir, "h7.jsonl"), "w");
    writeSync(fd, `${JSON.stringify({ type: "session_start", id: "h7", cwd: worktree })}\n`);
    const last = `${JSON.stringify({ type: "message", id: "m", timestamp: "2026-12-07T16:00:00.000Z" })}\n`;
    writeSync(fd, last, 64 * 1024 ** 3 - last.length);
    closeSync(fd);
    // A FIFO nobody writes to: opened blocking, the read would wait for ever. So that a wait fails
    // the test rather than hangs it, a writer comes after 20 s (leaving a mark) with a session
    // newer than any: the answer must come back before it, and without it.
    execFileSync("mkfifo", [join(dir, "p8.jsonl")]);
    const newer = JSON.stringify({
      type: "session_start",
      id: "p8",
      cwd: worktree,
      timestamp: "2027-01-01T00:00:00.000Z",
    });
    const writer = spawn(
      "sh",
      ["-c", `sleep 20; : > ../../../../writer-came; printf '%s\\n' '${newer}' > p8.jsonl`],
      {
        cwd: dir,
        detached: true,
        stdio: "ignore",
      },
    );
    children.push(writer);
    // Links to what would block or never end, and to a newer session outside; a folder.
    symlinkSync("/dev/zero", join(dir, "z0.jsonl"));
    symlinkSync(join(dir, "p8.jsonl"), join(dir, "q9.jsonl"));
    const outside = join(root, "outside");
    mkdirSync(outside);
    session(outside, "f6", worktree, "2027-01-01T00:00:00.000Z");
    symlinkSync(join(outside, "f6.jsonl"), join(dir, "f6.jsonl"));
    mkdirSync(join(dir, "d5.jsonl"));
    expect(latestDroidSession(home, worktree)).toBe("h7");
    expect(existsSync(join(root, "writer-came"))).toBe(false);
  });

  it("is none when the sessions folder, or a folder above it, is a link (to newer sessions elsewhere)", () => {
    const { root, home, worktree, dir } = sessionsDir();
    session(dir, "a1", worktree, "2026-12-07T10:00:00.000Z");
    expect(latestDroidSession(home, worktree)).toBe("a1");
    const elsewhere = join(root, "elsewhere");
    mkdirSync(join(elsewhere, "sessions"), { recursive: true });
    session(join(elsewhere, "sessions"), "b2", worktree, "2027-01-01T00:00:00.000Z");
    rmSync(dir, { recursive: true });
    symlinkSync(join(elsewhere, "sessions"), dir);
    expect(latestDroidSession(home, worktree)).toBeNull();
    const other = join(root, "home2");
    mkdirSync(other);
    symlinkSync(elsewhere, join(other, ".factory"));
    mkdirSync(join(elsewhere, "sessions", worktree.replace(/\//g, "-")));
    session(
      join(elsewhere, "sessions", worktree.replace(/\//g, "-")),
      "c3",
      worktree,
      "2027-01-01T00:00:00.000Z",
    );
    expect(latestDroidSession(other, worktree)).toBeNull();
  });

  it("goes after exec as --fork <id>; without a session droid-headless does not resume", () => {
    const preset = PRESETS["droid-headless"];
    if (!preset) throw new Error("no droid-headless preset");
    const argv = ["/bin/droid", "exec", "--skip-permissions-unsafe", "do it"];
    expect(withResume(argv, preset, "b2")).toEqual([
      "/bin/droid",
      "exec",
      "--fork",
      "b2",
      "--skip-permissions-unsafe",
      "do it",
    ]);
    expect(withResume(argv, preset)).toBeNull();
  });
});
