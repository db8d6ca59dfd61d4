/**
 * A jj run's sandbox policy (vcs: jj): what the agent's jj may write instead of git's folders, the
 * mount of the run's copy of the operation heads, and the read-only paths under the writable
 * store. Pure: the policy as data, no sandbox started (the runs are test/jj/runs*.test.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildPolicy, gitObjectEnv, type JjPolicy } from "../../src/adapters/sandbox/index.js";

const dir = mkdtempSync(join(tmpdir(), "bl-jjpol-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const root = join(dir, "repo");
const ws = join(dir, "repo.ballador", "t");
const runDir = join(dir, "state", "runs", "r1");
for (const d of [".jj/repo/op_heads/heads", ".git/hooks", ".git/refs/heads"])
  mkdirSync(join(root, d), { recursive: true });
writeFileSync(join(root, ".jj/repo/config.toml"), "");
mkdirSync(ws, { recursive: true });

const jj: JjPolicy = {
  root,
  workspace: "bl-t",
  bookmark: "ballador/t",
  opFile: join(dir, "state", "jj-ops", "t"),
  write: [ws, join(root, ".jj/repo/op_store"), join(root, ".git/objects")],
  readOnly: [
    join(root, ".jj/repo/config.toml"),
    join(root, ".git/hooks"),
    join(root, ".git/refs/heads"),
    join(root, ".git/config"),
  ],
  mounts: [{ from: join(runDir, "refs"), to: join(root, ".jj/repo/op_heads/heads") }],
  opStoreCopy: join(runDir, "jjops"),
};

const input = {
  worktree: ws,
  runDir,
  stateDir: join(dir, "state"),
  shimDir: join(dir, "state", "bin"),
  worktreeRoot: join(dir, "repo.ballador"),
  gitCommonDir: join(root, ".git"),
  gitWorktreeDir: join(ws, ".jj"),
  branch: "ballador/t",
  allowHosts: [],
  allowWrite: [],
  denyRead: [],
  jj,
};

describe("a jj run's policy", () => {
  it("writes the workspace and jj's folders, never git's per-run folders; the heads copy is mounted", () => {
    const p = buildPolicy({ ...input, kind: "agent" });
    expect(p.filesystem.allowWrite).toEqual(
      expect.arrayContaining([
        ws,
        join(root, ".jj/repo/op_store"),
        join(runDir, "inbox"),
        join(runDir, "home"),
      ]),
    );
    // No git ref copies, no git objects folder of the run, no worktree git folder.
    expect(p.filesystem.allowWrite).not.toContain(join(runDir, "objects"));
    expect(p.filesystem.allowWrite).not.toContain(join(ws, ".jj"));
    expect(p.binds).toEqual([{ source: join(runDir, "refs"), dest: join(root, ".jj/repo/op_heads/heads") }]);
    expect(p.jj?.workspace).toBe("bl-t");
    // The environment sends no git objects elsewhere: jj writes where its backend does.
    expect(gitObjectEnv(p)).toEqual({});
  });

  it("keeps the repository's config, hooks and branches read-only, only those that exist (no stubs)", () => {
    const deny = buildPolicy({ ...input, kind: "agent" }).filesystem.denyWrite;
    expect(deny).toEqual(
      expect.arrayContaining([
        join(root, ".jj/repo/config.toml"),
        join(root, ".git/hooks"),
        join(root, ".git/refs/heads"),
      ]),
    );
    // .git/config does not exist here: a deny on it would make the runtime create a stub.
    expect(deny).not.toContain(join(root, ".git/config"));
    // No git links to protect in a jj workspace (denying a missing .git would stub one there).
    expect(deny).not.toContain(join(ws, ".git"));
  });

  it("a reviewer's run writes only its own folders; no mount", () => {
    const p = buildPolicy({ ...input, kind: "reviewer" });
    expect(p.filesystem.allowWrite.sort()).toEqual(
      [join(runDir, "inbox"), join(runDir, "home"), join(runDir, "tmp")].sort(),
    );
    expect(p.binds).toEqual([]);
  });
});
