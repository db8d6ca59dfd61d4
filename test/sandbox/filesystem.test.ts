/**
 * The filesystem side of the sandbox, with real bubblewrap: an agent writes and commits in its
 * own worktree, and cannot write anywhere else nor read secrets, other tasks' worktrees or the
 * task store. Every denied step is a scripted `expect_fail` step; the test then checks that the
 * step failed for the sandbox's reason and that nothing happened on disk.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commitAndDone, gate, waitFor } from "../helpers/runtime.js";
import {
  agentSteps,
  cleanupSandboxTests,
  launchToReview,
  makeSandboxProject,
  sessionLog,
  uniqueValue,
} from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

describe("sandbox: filesystem", () => {
  it("writes and commits in the worktree; writes to the main checkout, /tmp, HOME and beside the repo fail", async () => {
    const p = await makeSandboxProject();
    const inMain = join(p.dir, "from-agent.txt");
    const inTmp = join(tmpdir(), uniqueValue("bl-sandbox-escape-"), "x.txt");
    const inHome = join(p.home, "from-agent.txt");
    const beside = join(p.parent, "from-agent.txt");
    const inMainGit = join(p.dir, ".git", "hooks", "pre-commit");
    await p.part("writer", {
      steps: [
        { write: { path: "inside.txt", content: "made in the sandbox\n" } },
        { commit: "inside the sandbox" },
        { write: { path: inMain, content: "escaped\n" }, expect_fail: true },
        { write: { path: inTmp, content: "escaped\n" }, expect_fail: true },
        { write: { path: inHome, content: "escaped\n" }, expect_fail: true },
        { write: { path: beside, content: "escaped\n" }, expect_fail: true },
        { write: { path: inMainGit, content: "#!/bin/sh\ntouch pwned\n" }, expect_fail: true },
        { run: `echo escaped > '${inMain}'`, expect_fail: true },
        { done: "wrote inside.txt" },
      ],
    });
    await launchToReview(p, "writer");

    // The commit was made from inside the sandbox and landed on the task's branch.
    const log = await p.git(["log", "--format=%s", "ballador/writer"]);
    expect(log.split("\n")[0]).toBe("inside the sandbox");
    expect(await p.git(["show", "ballador/writer:inside.txt"])).toBe("made in the sandbox\n");
    expect(await readFile(join(p.worktree("writer"), "inside.txt"), "utf8")).toBe("made in the sandbox\n");

    // Each outside write failed because the file system is read-only there (a new folder in
    // /tmp cannot be made: ENOENT from the recursive mkdir), and left nothing.
    const steps = await agentSteps(p, "writer");
    for (const s of steps.filter((x) => x.expect_fail && x.kind === "write")) {
      expect(s.ok, JSON.stringify(s)).toBe(true);
      expect(s.detail).toMatch(s.detail.includes(inTmp.split("/")[2] as string) ? /ENOENT|EROFS/ : /EROFS/);
    }
    for (const path of [inMain, inTmp, inHome, beside, inMainGit]) expect(existsSync(path), path).toBe(false);
    // The main checkout is as the test left it (the part files are the test's own).
    expect(await p.git(["status", "--porcelain", "--", ".", ":!.ballador/parts"])).toBe("");
    expect((await p.git(["log", "--format=%s", "-1", "main"])).trim()).toBe("ballador config");
  });

  // zsh writes here-documents to files under TMPPREFIX (default /tmp/zsh), and /tmp is read-only
  // inside: Claude Code runs its Bash tool in the person's zsh, and its `cat <<EOF` failed in CI.
  it.skipIf(!existsSync("/usr/bin/zsh") && !existsSync("/bin/zsh"))(
    "an agent whose shell is zsh can use here-documents inside the sandbox",
    async () => {
      const p = await makeSandboxProject();
      await p.part("zsh", {
        steps: [
          { run: "zsh -c 'cat > heredoc.txt <<EOF\nmade by a zsh here-document\nEOF'" },
          { commit: "zsh here-document" },
          { done: "zsh wrote heredoc.txt" },
        ],
      });
      await launchToReview(p, "zsh");
      expect(await p.git(["show", "ballador/zsh:heredoc.txt"])).toBe("made by a zsh here-document\n");
    },
  );

  it("reads of ~/.ssh, another task's worktree and run folder, and the task store are denied", async () => {
    const p = await makeSandboxProject();
    const storeFile = join(p.dir, ".ballador", "state", "ballador.db");
    await p.part("first", {
      steps: commitAndDone("private.txt", "first's work\n", { commit: "first", done: "first done" }),
    });
    await p.part("second", {
      steps: [
        // Positive control: the same kind of step reads the agent's own files.
        { read: "README.md" },
        { read: p.sshKey, expect_fail: true },
        { run: `cat '${p.sshKey}'`, expect_fail: true },
        { run: `ls '${join(p.home, ".ssh")}' | grep -q id_rsa`, expect_fail: true },
        { read: join(p.worktree("first"), "private.txt"), expect_fail: true },
        { read: join(p.worktree("first"), "README.md"), expect_fail: true },
        { run: `cat '${p.dir}'/.ballador/state/runs/first-*/run.json`, expect_fail: true },
        { read: storeFile, expect_fail: true },
        {
          run: `sqlite3 '${storeFile}' 'select id from tasks' || head -c 16 '${storeFile}' | grep -q SQLite`,
          expect_fail: true,
        },
        { done: "second done" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "first"]);
    expect((await p.waitState("first", ["review", "failed"])).state, await sessionLog(p, "first")).toBe(
      "review",
    );
    await p.ok(["launch", "second"]);
    const t = await p.waitState("second", ["review", "failed"]);
    expect(t.state, await sessionLog(p, "second")).toBe("review");

    const steps = await agentSteps(p, "second");
    expect(steps.map((s) => s.ok)).toEqual(steps.map(() => true));
    // Denied reads see nothing there (the runtime hides the path), never the content.
    for (const s of steps.filter((x) => x.kind === "read" && x.expect_fail)) {
      expect(s.detail).toMatch(/ENOENT|EACCES|no such file/i);
    }
    // The files exist on the host: the denials were the sandbox's, not missing files.
    for (const f of [p.sshKey, join(p.worktree("first"), "private.txt"), storeFile])
      expect(existsSync(f), f).toBe(true);
    const transcript = await readFile(
      join(await p.runDir("second"), "inbox", "agent-transcript.jsonl"),
      "utf8",
    );
    expect(transcript).not.toContain(p.sshKeyContent.trim());
    expect(await sessionLog(p, "second")).not.toContain(p.sshKeyContent.trim());
  });

  it("a running task cannot read its neighbour's live worktree either", async () => {
    const p = await makeSandboxProject({ config: { max_parallel: 2 } });
    await p.part("left", {
      priority: 2,
      steps: [
        { write: { path: "wip.txt", content: "uncommitted work\n" } },
        gate(p, "left"),
        { commit: "left" },
        { done: "left" },
      ],
    });
    await p.part("right", {
      priority: 1,
      steps: [
        {
          run: `i=0; until [ -e '${p.gates}/left-ready' ]; do i=$((i+1)); [ $i -lt 600 ] || exit 1; sleep 0.05; done`,
        },
        { read: join(p.worktree("left"), "wip.txt"), expect_fail: true },
        { run: `ls '${p.worktree("left")}'`, expect_fail: true },
        // The runtime hides a denied folder under an empty in-sandbox tmpfs: a write there
        // "succeeds" into that tmpfs and vanishes with the sandbox. What matters is the host file.
        { write: { path: join(p.worktree("left"), "wip.txt"), content: "overwritten\n" }, allow_fail: true },
        { done: "right" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    // Both run at once; right goes on once left's uncommitted file is there.
    await p.waitState("left", "running");
    await p.waitState("right", "running");
    const wip = join(p.worktree("left"), "wip.txt");
    await waitFor(async () => (existsSync(wip) ? true : undefined), "left's wip.txt");
    await p.open("left-ready");
    const r = await p.waitState("right", ["review", "failed"]);
    expect(r.state, await sessionLog(p, "right")).toBe("review");
    expect(await readFile(wip, "utf8")).toBe("uncommitted work\n");
    await p.open("left");
    expect((await p.waitState("left", ["review", "failed"])).state).toBe("review");
  });

  it("git from inside: the task's own branch moves; main and tags cannot; moving another task's branch touches only the sandbox's copy, and fails the task as a violation", async () => {
    const p = await makeSandboxProject();
    await p.part("first", {
      steps: [{ write: { path: "a.txt", content: "a\n" } }, { commit: "first" }, { done: "a" }],
    });
    await p.part("second", {
      steps: [
        { write: { path: "b.txt", content: "b\n" } },
        { commit: "second" },
        { run: "git branch -f main HEAD", expect_fail: true },
        { run: "git tag from-agent", expect_fail: true },
        // Inside, the folder of task refs is a per-run copy: these succeed there and nowhere else.
        { run: "git update-ref refs/heads/ballador/first HEAD", allow_fail: true },
        { run: "git branch planted HEAD", expect_fail: true },
        { run: "git branch -f ballador/planted HEAD", allow_fail: true },
        { done: "b" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "first"]);
    expect((await p.waitState("first", ["review", "failed"])).state).toBe("review");
    const firstTip = (await p.git(["rev-parse", "ballador/first"])).trim();
    const mainTip = (await p.git(["rev-parse", "main"])).trim();
    await p.ok(["launch", "second"]);
    const t = await p.waitState("second", ["review", "failed"]);
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainTip);
    expect(await p.git(["tag", "--list"])).toBe("");
    expect((await p.git(["rev-parse", "ballador/first"])).trim(), "another task's branch was moved").toBe(
      firstTip,
    );
    expect(t.state, await sessionLog(p, "second")).toBe("failed");
    expect(t.reason).toContain("sandbox violation");
    // Its own commit still reached its own branch: the work is kept for the person to judge.
    expect((await p.git(["log", "--format=%s", "-1", "ballador/second"])).trim()).toBe("second");
    expect(await p.git(["branch", "--list", "ballador/planted"]), "a planted task branch was left").toBe("");
    const notes = JSON.stringify((await p.show("second")).notes);
    expect(notes).toContain("sandbox violation (agent): tried to move branch ballador/first");
    expect(notes).toContain("sandbox violation (agent): tried to create branch ballador/planted");
  });

  // The run writes objects to its own folder and reads the shared store through alternates.
  it("git from inside: the shared object store keeps the main branch's objects, and the run's commits are adopted", async () => {
    const p = await makeSandboxProject();
    const blob = (await p.git(["rev-parse", "main:README.md"])).trim();
    const loose = join(p.dir, ".git", "objects", blob.slice(0, 2), blob.slice(2));
    expect(existsSync(loose)).toBe(true);
    await p.part("vandal", {
      steps: [
        { run: `rm -f '${loose}'`, expect_fail: true },
        { run: `chmod u+w '${loose}' && : > '${loose}'`, expect_fail: true },
        { done: "tried" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("vandal", ["review", "failed"]);
    expect(existsSync(loose), "an agent deleted an object of main's history").toBe(true);
    expect(await p.git(["show", "main:README.md"])).toBe("# test repo\n");
    // A committing run: its objects were written privately, then adopted into the repository.
    await p.part("committer", {
      steps: [{ write: { path: "c.txt", content: "c\n" } }, { commit: "add c" }, { done: "c" }],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "committer"]);
    expect((await p.waitState("committer", ["review", "failed"])).state).toBe("review");
    expect(await p.git(["show", "ballador/committer:c.txt"])).toBe("c\n");
    await p.git(["fsck", "--connectivity-only", "--no-dangling"]);
  });
});
