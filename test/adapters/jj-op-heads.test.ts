// The per-run copy of jj's operation heads, with a real jj and bubblewrap: the agent's operations
// (its commits, and a bookmark moved, created, deleted, the base rewritten) stay in its copy; the
// person's repository never takes them; the host reads the agent's one head back and takes only
// the task's commit. Skips loudly without jj.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  addWorkspace,
  adoptCommit,
  commitOf,
  forgetWorkspace,
  listBookmarks,
  readAgentOp,
  realOpHeads,
  seedOpHeads,
} from "../../src/adapters/jj/index.js";
import { inSandbox, JJ, JJ_ENV, jjAvailable, useJjRepo } from "../helpers/jj.js";
import { storeWritingPaths } from "./jj-store-paths.js";

const version = jjAvailable();
let dir = "";
let repo = "";

const agent = (workspace: string, copy: string, script: string) =>
  inSandbox(storeWritingPaths(repo, workspace, copy), workspace, script);

describe.skipIf(!version)(`jj operation heads per run, real jj ${version ?? "(not installed)"}`, () => {
  useJjRepo("ballador-jjop-", ["main", "release"], (d, r) => {
    dir = d;
    repo = r;
  });

  it("keeps every operation of the agent out of the repository and takes only the task's commit", async () => {
    const ws = join(dir, "ws-task");
    const copy = join(dir, "run", "op-heads");
    await addWorkspace(repo, { name: "bl-task", path: ws, parents: ["main"] });
    const startOp = await seedOpHeads(repo, copy);
    const before = await listBookmarks(repo);
    const headsBefore = readdirSync(realOpHeads(repo)).sort();
    const r = agent(
      ws,
      copy,
      [
        "echo work > work && jj commit -m work",
        "jj bookmark set main -r @- --allow-backwards",
        "jj bookmark create planted -r @-",
        "jj bookmark delete release",
        "jj describe -r 'main-' -m rewritten --ignore-immutable",
      ].join(" && "),
    );
    expect(r.code, r.out).toBe(0);
    // The person's repository: same heads, same bookmarks.
    expect(readdirSync(realOpHeads(repo)).sort()).toEqual(headsBefore);
    expect(await listBookmarks(repo)).toEqual(before);

    const got = await readAgentOp(repo, copy, {
      workspace: "bl-task",
      ownBookmark: "ballador/task",
      startOp,
    });
    expect(got.problems).toEqual([]);
    expect(got.moved.map((m) => m.name).sort()).toEqual(["main", "planted", "release"]);
    expect(got.head).toMatch(/^[0-9a-f]{40}$/);
    // The host takes the commit (its objects are in the shared store) and bookmarks it itself.
    await adoptCommit(repo, "ballador/task", got.head as string);
    expect((await listBookmarks(repo)).get("ballador/task")).toBe(got.head);
    const verify = join(dir, "verify");
    await addWorkspace(repo, { name: "verify", path: verify, parents: ["ballador/task"] });
    expect(readFileSync(join(verify, "work"), "utf8")).toBe("work\n");
    expect(await commitOf(repo, "main")).toBe(before.get("main"));
    expect((await listBookmarks(repo)).get("release")).toBe(before.get("release"));
    expect((await listBookmarks(repo)).has("planted")).toBe(false);
    await forgetWorkspace(repo, "verify");

    // The agent's next step continues from its own operation (its copy persists).
    const r2 = agent(
      ws,
      copy,
      "echo more >> work && jj commit -m more && jj log -r 'ballador/task' --no-graph 2>&1 | head -1",
    );
    expect(r2.code, r2.out).toBe(0);
    const got2 = await readAgentOp(repo, copy, {
      workspace: "bl-task",
      ownBookmark: "ballador/task",
      startOp,
    });
    expect(got2.head).not.toBe(got.head);
    expect(got2.problems).toEqual([]);
  });

  it("a jj killed while it updated the heads (its lock, the start beside its new head) reads as the new head", async () => {
    const ws = join(dir, "ws-kill");
    const copy = join(dir, "run", "op-heads-kill");
    await addWorkspace(repo, { name: "bl-kill", path: ws, parents: ["main"] });
    const startOp = await seedOpHeads(repo, copy);
    const r = agent(ws, copy, "echo work > work && jj commit -m work");
    expect(r.code, r.out).toBe(0);
    const run = { workspace: "bl-kill", ownBookmark: "ballador/kill", startOp };
    const clean = await readAgentOp(repo, copy, run);
    expect(clean.problems).toEqual([]);
    // What jj leaves when killed between adding its new head and removing the one it started from.
    writeFileSync(join(copy, startOp), "");
    writeFileSync(join(copy, "lock"), "");
    const killed = await readAgentOp(repo, copy, run);
    expect(killed.problems).toEqual([]);
    expect(killed.op).toBe(clean.op);
    expect(killed.head).toBe(clean.head);
    // Killed at a later commit: its new head beside its parent, neither of them the start.
    const first = clean.op as string;
    for (const f of [startOp, "lock"]) rmSync(join(copy, f));
    // One operation (nothing to snapshot), so its parent is the first.
    const r2 = agent(ws, copy, "jj describe -m more");
    expect(r2.code, r2.out).toBe(0);
    const second = await readAgentOp(repo, copy, run);
    expect(second.op).not.toBe(first);
    writeFileSync(join(copy, first), "");
    writeFileSync(join(copy, "lock"), "");
    const later = await readAgentOp(repo, copy, run);
    expect(later.problems).toEqual([]);
    expect(later.op).toBe(second.op);
    expect(later.head).toBe(second.head);
    rmSync(join(copy, first));
    // Two heads neither of which is the other's parent nor the start are a problem.
    writeFileSync(join(copy, "ab".repeat(64)), "");
    const unrelated = await readAgentOp(repo, copy, run);
    expect(unrelated.op).toBeNull();
    expect(unrelated.problems).toContain("2 operation heads (one expected)");
    rmSync(join(copy, "ab".repeat(64)));
    writeFileSync(join(copy, startOp), "");
    // Anything more is still a problem: a third head.
    writeFileSync(join(copy, "cd".repeat(64)), "");
    const three = await readAgentOp(repo, copy, run);
    expect(three.op).toBeNull();
    expect(three.problems).toContain("3 operation heads (one expected)");
  });

  it("two operation heads at seed time (two jj processes at once) are one merged start, as jj reads them: the other head's bookmarks do not look moved", async () => {
    const ws = join(dir, "ws-two");
    const copy = join(dir, "run", "op-heads-two");
    await addWorkspace(repo, { name: "bl-two", path: ws, parents: ["main"] });
    const jjAt = (args: string[]) =>
      execFileSync(JJ, ["--repository", repo, "--ignore-working-copy", ...args], {
        env: JJ_ENV,
        encoding: "utf8",
      });
    const prior = jjAt(["op", "log", "--no-graph", "-n", "1", "-T", "id"]).trim();
    // One head makes a bookmark; a jj that loaded the repository before it makes another.
    jjAt(["bookmark", "create", "one", "-r", "main"]);
    jjAt(["--at-op", prior, "bookmark", "create", "other", "-r", "main"]);
    expect(readdirSync(realOpHeads(repo))).toHaveLength(2);
    const startOp = await seedOpHeads(repo, copy);
    expect(readdirSync(copy)).toEqual([startOp]);
    const r = agent(ws, copy, "echo two > two && jj commit -m two");
    expect(r.code, r.out).toBe(0);
    const got = await readAgentOp(repo, copy, { workspace: "bl-two", ownBookmark: "ballador/two", startOp });
    expect(got.problems).toEqual([]);
    expect(got.moved).toEqual([]);
    expect(got.head).toMatch(/^[0-9a-f]{40}$/);
    // The person's repository keeps both bookmarks (jj merged the heads, as its next command would).
    const home = await listBookmarks(repo);
    expect(home.has("one") && home.has("other")).toBe(true);
    await forgetWorkspace(repo, "bl-two");
  });

  it("a planted name or a second head in the copy is recorded, and no operation is taken", async () => {
    const copy = join(dir, "run", "op-heads");
    writeFileSync(join(copy, "not-an-op"), "");
    const stray = await readAgentOp(repo, copy, {
      workspace: "bl-task",
      ownBookmark: "ballador/task",
      startOp: "",
    });
    expect(stray.problems).toContain('not an operation head: "not-an-op"');
    rmSync(join(copy, "not-an-op"));
    const fake = "ab".repeat(64);
    writeFileSync(join(copy, fake), "");
    const two = await readAgentOp(repo, copy, {
      workspace: "bl-task",
      ownBookmark: "ballador/task",
      startOp: "",
    });
    expect(two.op).toBeNull();
    expect(two.problems).toContain("2 operation heads (one expected)");
    for (const f of readdirSync(copy)) rmSync(join(copy, f));
    writeFileSync(join(copy, fake), "");
    const missing = await readAgentOp(repo, copy, {
      workspace: "bl-task",
      ownBookmark: "ballador/task",
      startOp: "",
    });
    expect(missing.op).toBeNull();
    expect(missing.problems[0]).toContain(`operation ${fake.slice(0, 12)} does not load`);
  });

  it("in a colocated repository with git 2.39: the workspace has no git worktree, and the adopted bookmark is a git branch", async () => {
    const co = join(dir, "colocated");
    execFileSync("git", ["init", "-q", "-b", "main", co]);
    writeFileSync(join(co, "a"), "base\n");
    const g = (args: string[]) => execFileSync("git", args, { cwd: co, encoding: "utf8", env: JJ_ENV });
    g(["add", "a"]);
    g(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"]);
    execFileSync(JJ, ["git", "init", "--colocate"], { cwd: co, env: JJ_ENV, stdio: "ignore" });
    const saveRepo = repo;
    repo = co;
    try {
      const ws = join(dir, "co-task");
      const copy = join(dir, "co-run", "op-heads");
      await addWorkspace(co, { name: "bl-co", path: ws, parents: ["main"] });
      const startOp = await seedOpHeads(co, copy);
      const r = agent(
        ws,
        copy,
        "echo co > co && jj commit -m co && jj bookmark set main -r @- --allow-backwards",
      );
      expect(r.code, r.out).toBe(0);
      const got = await readAgentOp(co, copy, { workspace: "bl-co", ownBookmark: "ballador/co", startOp });
      expect(got.moved.map((m) => m.name)).toEqual(["main"]);
      await adoptCommit(co, "ballador/co", got.head as string);
      expect(g(["rev-parse", "refs/heads/ballador/co"]).trim()).toBe(got.head);
      expect(g(["show", "ballador/co:co"])).toBe("co\n");
      // main did not move, in git nor in jj; git knows only the main checkout.
      expect(g(["rev-parse", "main"]).trim()).toBe(await commitOf(co, "main"));
      expect(g(["log", "-1", "--format=%s", "main"]).trim()).toBe("base");
      expect(g(["worktree", "list"]).trim().split("\n")).toHaveLength(1);
    } finally {
      repo = saveRepo;
    }
  });
});
