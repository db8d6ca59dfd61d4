/**
 * The Droid session a retry continues (`droid exec --fork <id>`), found in the agent's HOME
 * (hostile): the worktree's newest by the session's own stamps, never through a link, never
 * another working directory's, never an id that is not one.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { latestDroidSession } from "../../src/adapters/agents/droid-session.js";
import { PRESETS, withResume } from "../../src/adapters/agents/presets.js";

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function session(dir: string, id: string, cwd: string, at: string, headId = id): void {
  const lines = [
    JSON.stringify({ type: "session_start", id: headId, cwd }),
    JSON.stringify({ type: "message", id: "m", timestamp: at, message: { role: "user", content: [] } }),
  ];
  writeFileSync(join(dir, `${id}.jsonl`), `${lines.join("\n")}\n`);
}

describe("Droid's session to continue", () => {
  it("is the worktree's newest by its stamps; another cwd's, a link, a mislabeled or odd id are passed over", () => {
    const root = mkdtempSync(join(tmpdir(), "bl-droid-"));
    roots.push(root);
    const home = join(root, "home");
    const worktree = join(root, "wt", "task");
    const dir = join(home, ".factory", "sessions", worktree.replace(/\//g, "-"));
    mkdirSync(dir, { recursive: true });
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
