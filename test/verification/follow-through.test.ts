/**
 * Retries keep what the agent needs, and the person sees what happens: a person's retry carries
 * the failure like an automatic one; a refused `done` followed by quiet starts the next attempt
 * at once; `launch --watch` shows every attempt; a spec not committed on the base refuses the
 * launch; `pr` warns when the remote's base is behind; `cleanup --all` leaves no empty folder.
 */
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runProgram } from "../helpers/cli.js";
import { cleanupProjects, launchedToReview } from "../helpers/runtime.js";
import { fixedOnlyInWorktree, gitCommit, makeVerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

describe("retries keep everything", () => {
  it("a person's retry after a failed verification carries the reason and the verify output into the next prompt", async () => {
    const p = await makeVerifyProject();
    // Attempt 1 commits a broken app.txt and fixes it only in the worktree: its gate passes on
    // the dirty tree, Ballador's clean checkout fails. Attempt 2 (the person's retry) commits it.
    await writePart(p, "again", {
      steps: fixedOnlyInWorktree(),
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("again", ["review", "failed"])).state).toBe("failed");
    await p.ok(["retry", "again"]);
    expect((await p.waitState("again", ["review", "failed"])).state).toBe("review");
    const runs = (await p.show("again")).runs;
    const prompt2 = await readFile(join(runs[1]?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt2).toContain("## This is attempt 2");
    expect(prompt2).toContain("verify: ./verify.sh exited 1");
    expect(prompt2).toContain("VERIFY-FAIL: app.txt says 'bad'");
  });

  it("a refused done followed by quiet starts the next attempt promptly, with the verify failure, not 'idle'", async () => {
    const p = await makeVerifyProject({
      config: { max_attempts: 2, refused_idle: "2s", idle_timeout: "10m" },
    });
    await writePart(p, "quiet", {
      steps: [
        {
          run: `if [ {attempt} -eq 1 ]; then echo bad > app.txt; else echo good > app.txt; fi; ${gitCommit("try {attempt}")}`,
        },
        { ballador: ["done", "--summary", "attempt {attempt}"], allow_fail: true },
        // An interactive agent whose done was refused and that then stops talking.
        { run: "if [ {attempt} -eq 1 ]; then sleep 300; fi" },
      ],
    });
    await p.ok(["queue"]);
    const started = Date.now();
    const watch = p.spawn(["launch", "--watch"]);
    expect((await p.waitState("quiet", ["review", "failed"], 150_000)).state).toBe("review");
    // Promptly: the quiet agent sleeps 300 s and idle_timeout is 10m, so a bound well under both
    // (slack for a loaded two-core machine) still fails if the refusal did not end the attempt.
    expect(Date.now() - started).toBeLessThan(150_000);
    const shown = await p.show("quiet");
    expect(shown.runs.map((r) => r.outcome)).toEqual(["verify-failed", "done"]);
    const prompt2 = await readFile(join(shown.runs[1]?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt2).toContain("ballador done was refused");
    expect(prompt2).toContain("VERIFY-FAIL: app.txt says 'bad'");
    expect(prompt2).not.toMatch(/idle for/);
    await watch.exited;
    expect(watch.output()).toMatch(/quiet: running -> running \(attempt 2 of 2: /);
  }, 200_000);
  it("a person's retry after a reviewer's requested changes carries the reviewer's words; the reviewer's run is no attempt", async () => {
    const p = await makeVerifyProject({ sandbox: "bwrap", config: { max_attempts: 1 } });
    const script = join(p.parent, "review.yaml");
    await writeFile(
      script,
      "steps:\n  - run: \"grep -q v2 notes.txt && ballador approve 'fine' || ballador request-changes 'REVIEWER-SAYS: write v2 into notes.txt'\"\n",
    );
    const config = (await p.git(["show", "HEAD:.ballador/config.yaml"])).replace(
      "profiles:\n    scripted:",
      `profiles:\n    critic:\n      command: [ballador-scripted-agent, --script, ${JSON.stringify(script)}]\n    scripted:`,
    );
    await p.write(".ballador/config.yaml", `${config}reviewer: critic\n`);
    await p.git(["commit", "-qam", "reviewer"]);
    await writePart(p, "reviewed", {
      steps: [
        {
          run: `echo v{attempt} > notes.txt; ${gitCommit("try {attempt}")}`,
        },
        { ballador: ["done", "--summary", "attempt {attempt}"] },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const failed = await p.waitState("reviewed", ["review", "failed"]);
    expect(failed.state).toBe("failed");
    await p.ok(["retry", "reviewed"]);
    expect((await p.waitState("reviewed", ["review", "failed"])).state).toBe("review");
    const shown = await p.show("reviewed");
    const implementer = shown.runs.filter((r) => r.profile === "scripted");
    expect(implementer.map((r) => r.attempt)).toEqual([1, 2]);
    const prompt2 = await readFile(join(implementer[1]?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt2).toContain("## This is attempt 2");
    expect(prompt2).toContain("REVIEWER-SAYS: write v2 into notes.txt");
    const brief = await p.ok(["review", "reviewed", "--no-diff"]);
    // Two implementer attempts: the reviewer's runs count as none.
    expect(brief.stdout).toContain("2 attempts by scripted");
  }, 120_000);

  it("resume tells the agent why its earlier session stopped", async () => {
    const p = await makeVerifyProject();
    const gateFile = join(p.parent, "gate-open");
    await writePart(p, "paused", {
      steps: [
        { run: `test -f ${gateFile} || sleep 300` },
        { write: { path: "work.txt", content: "work\n" } },
        { run: gitCommit("work") },
        { ballador: ["done", "--summary", "resumed"] },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("paused", ["running"]);
    await p.ok(["stop", "paused"]);
    await writeFile(gateFile, "");
    await p.ok(["resume", "paused"]);
    expect((await p.waitState("paused", ["review", "failed"])).state).toBe("review");
    const runs = (await p.show("paused")).runs;
    const prompt2 = await readFile(join(runs[1]?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt2).toContain("## This session continues an earlier one");
    expect(prompt2).toContain("Your previous session was stopped by a person");
  });
});

describe("what the person is told", () => {
  it("launch refuses a part whose spec is not committed on the base, naming the file", async () => {
    const p = await makeVerifyProject();
    await writePart(p, "nospec", { spec: "specs/0009-draft.md", steps: [{ done: "x" }] });
    await p.ok(["queue"]);
    for (const args of [["launch", "--dry-run"], ["launch"]]) {
      const r = await p.run(args);
      expect(r.code, r.stdout + r.stderr).toBe(4);
      expect(r.stderr).toContain("specs/0009-draft.md is not committed on main");
      expect(r.stderr).toContain("git add");
    }
    expect((await p.task("nospec")).state).toBe("ready");
  });

  it("pr warns that the remote's base is behind the local base; cleanup --all leaves no empty worktree root", async () => {
    const p = await makeVerifyProject();
    const remote = join(p.parent, "remote.git");
    await runProgram("git", ["init", "-q", "--bare", "-b", "main", remote], { cwd: p.parent, env: p.env });
    await p.git(["remote", "add", "origin", remote]);
    await p.git(["push", "-q", "origin", "main"]);
    // A gh stand-in: authenticated, and prints a URL for pr create.
    const bin = join(p.parent, "bin");
    await runProgram("mkdir", ["-p", bin], { cwd: p.parent, env: p.env });
    await writeFile(
      join(bin, "gh"),
      '#!/bin/sh\n[ "$1" = auth ] && exit 0\necho https://example.invalid/pr/1\n',
    );
    await chmod(join(bin, "gh"), 0o755);
    p.env.PATH = `${bin}:${p.env.PATH}`;
    await writePart(p, "one", {
      steps: [{ write: { path: "one.txt", content: "1\n" } }, { run: gitCommit("one") }, { done: "1" }],
    });
    await writePart(p, "two", {
      steps: [{ write: { path: "two.txt", content: "2\n" } }, { run: gitCommit("two") }, { done: "2" }],
    });
    await p.commitAll("parts");
    await p.git(["push", "-q", "origin", "main"]);
    await launchedToReview(p, "one");
    expect((await p.waitState("two", ["review", "failed"])).state).toBe("review");
    await p.ok(["merge", "one"]);
    // The remote's base lacks the merge: pr refuses before pushing, naming the fix and the flag.
    const refused = await p.run(["pr", "two"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/origin\/main is behind your main by \d+ commits?/);
    expect(refused.stderr).toContain("git push origin main");
    expect(refused.stderr).toContain("--allow-base-behind");
    const pr = await p.ok(["pr", "two", "--allow-base-behind"]);
    expect(pr.stdout).toMatch(/origin\/main is behind your main by \d+ commits?/);
    await p.ok(["abandon", "two"]);
    await p.ok(["cleanup", "--all", "--force"]);
    expect(existsSync(p.worktreeRoot), "the empty worktree root was removed").toBe(false);
  });

  it("launch refuses an agent whose model endpoint on loopback the allowlist does not list, printing the line to add", async () => {
    const p = await makeVerifyProject({
      sandbox: "bwrap",
      config: {
        agents: {
          default: "scripted",
          profiles: { scripted: { preset: "scripted", env: ["ANTHROPIC_BASE_URL"] } },
        },
      },
    });
    await writePart(p, "local", { steps: [{ done: "x" }] });
    await p.ok(["queue"]);
    const r = await p.run(["launch"], { env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:4000" } });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toContain("ANTHROPIC_BASE_URL");
    expect(r.stderr).toContain("127.0.0.1");
    expect(r.stderr).toMatch(/allow_hosts/);
    expect((await p.task("local")).state).toBe("ready");
  });

  it("queue warns about a part and spec not committed on the base", async () => {
    const p = await makeVerifyProject();
    await writePart(p, "fresh", { spec: "specs/0001-new.md", steps: [{ done: "x" }] });
    await p.write("specs/0001-new.md", "# New\n");
    const r = await p.ok(["queue"]);
    expect(r.stderr).toContain("specs/0001-new.md (spec of fresh) is not committed on main");
    expect(r.stderr).toContain(".ballador/parts/fresh.md (part of fresh) is not committed on main");
  });

  it("a duplicate key in a part names the key", async () => {
    const p = await makeVerifyProject();
    await p.write(".ballador/parts/dup.md", "---\nid: dup\ntitle: One\ntitle: Two\n---\nx\n");
    const r = await p.run(["queue"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('the key "title" appears twice');
  });
});
