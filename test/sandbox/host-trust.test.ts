/**
 * Host-side trust: the sandbox holds, so an attacker goes after Ballador's own unsandboxed code,
 * which reads and writes what the agent wrote. Each test is a real sandboxed run of a hostile
 * scripted agent that tries one class of attack, followed by what a person runs next (review,
 * retry, merge, cleanup, status), and asserts what the person would check: victim files
 * outside the worktree unchanged, nothing planted in the repository's .git, no hook ran on the
 * host, no protected content in any prompt or brief, the base branch moved only by Ballador's
 * own merge, and the attempt recorded as a sandbox violation where one was tried.
 */
import { spawn } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { BIN, runProgram } from "../helpers/cli.js";
import { commitAndDone } from "../helpers/runtime.js";
import {
  cleanupSandboxTests,
  filesContaining,
  launchToReview,
  makeSandboxProject,
  type SandboxProject,
  sessionLog,
} from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

/** A file outside everything the agent may write, and its content. */
async function victim(p: SandboxProject, name = "victim.txt"): Promise<{ path: string; content: string }> {
  const path = join(p.home, name);
  const content = `precious ${name} ${Math.random()}\n`;
  await writeFile(path, content);
  return { path, content };
}

const sh = (run: string, extra: Record<string, unknown> = {}) => ({ run, ...extra });

/** Every hook git knows: each one, run by any git on the host, leaves a marker. */
const HOOKS = [
  "applypatch-msg",
  "pre-applypatch",
  "post-applypatch",
  "pre-commit",
  "pre-merge-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "pre-rebase",
  "post-checkout",
  "post-merge",
  "pre-push",
  "reference-transaction",
  "post-rewrite",
  "pre-auto-gc",
  "post-index-change",
  "push-to-checkout",
];

/** Top-level entries of .git that git itself makes while Ballador works. */
const GIT_OWN = new Set([
  "HEAD",
  "ORIG_HEAD",
  "AUTO_MERGE",
  "FETCH_HEAD",
  "COMMIT_EDITMSG",
  "MERGE_HEAD",
  "MERGE_MODE",
  "MERGE_MSG",
  "index",
  "packed-refs",
  "objects",
  "refs",
  "logs",
  "worktrees",
]);

/**
 * What the person would check after the follow-ups: no hook ran on the host (the repository's
 * every hook leaves a marker; the test's own git runs with hooks off), and nothing was planted
 * in the repository's .git (its config, hooks, info, objects/info and top-level entries are as
 * they were). Inside a sandbox the hooks run too, and their markers cannot be written there.
 */
async function watchHost(p: SandboxProject): Promise<{ markers: string; check(): Promise<void> }> {
  const markers = join(p.parent, "hook-markers");
  await mkdir(markers, { recursive: true });
  for (const hook of HOOKS) {
    const file = join(p.dir, ".git", "hooks", hook);
    await writeFile(file, `#!/bin/sh\ntouch '${markers}/hook-${hook}' 2>/dev/null\nexit 0\n`);
    await chmod(file, 0o755);
  }
  const own = p.git;
  p.git = (args) => own(["-c", "core.hooksPath=/dev/null", ...args]);
  const snapshot = async () => {
    const git = join(p.dir, ".git");
    const out: Record<string, string> = {};
    for (const name of await readdir(git)) if (!GIT_OWN.has(name)) out[name] = "";
    const files = async (dir: string) => {
      for (const e of await readdir(join(git, dir), { withFileTypes: true }).catch(() => [])) {
        const rel = join(dir, e.name);
        out[rel] = e.isFile()
          ? await readFile(join(git, rel), "utf8")
          : e.isSymbolicLink()
            ? "link"
            : "other";
      }
    };
    await files("hooks");
    await files("info");
    await files(join("objects", "info"));
    out.config = await readFile(join(git, "config"), "utf8");
    return out;
  };
  const before = await snapshot();
  return {
    markers,
    async check() {
      expect(await readdir(markers), "a hook ran on the host").toEqual([]);
      expect(await snapshot(), "something was planted in the repository's .git").toEqual(before);
    },
  };
}

async function allRunFiles(p: SandboxProject): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(full);
    }
  };
  await walk(join(p.dir, ".ballador", "state", "runs"));
  return out;
}

describe("host trust: the run folder is not a control channel (class 1)", () => {
  it("the agent cannot write the host-only run folder, and its inbox cannot point the host at other files", async () => {
    // Bootstrap runs before the run file exists (the session provisions itself): it tries to
    // plant the run file and the claim the session read, and to link the launch log.
    // The planted text is made by printf, so the command (in config and logs) does not hold it.
    const plant = (f: string) =>
      `printf '{"runId":"x","repoRoot":"/","command":["%s%s"]}' PLAN TED-BY-BOOT > "$BALLADOR_RUN_DIR/${f}" || true`;
    const p = await makeSandboxProject({
      config: {
        bootstrap: [
          `${plant("run.json")}; ${plant("provision.json")}; ${plant("prompt.md")}; ln -sf /etc/hostname "$BALLADOR_RUN_DIR/launch.log" || true`,
        ],
      },
    });
    const host = await watchHost(p);
    const v = await victim(p);
    // A report-shaped file outside: if the host followed a link to it, this text would be a note.
    const bait = join(p.home, "bait.json");
    await writeFile(bait, JSON.stringify({ kind: "note", text: "BAIT-NOTE-TEXT", at: "x" }));
    await p.part("hostile", {
      steps: [
        sh(
          'echo \'{"runId":"x","repoRoot":"/","sandbox":{"gitObjects":{"shared":"/tmp"}}}\' > "$BALLADOR_RUN_DIR/run.json"',
          {
            expect_fail: true,
          },
        ),
        // A new name in the host-only folder lands in the sandbox's private view and vanishes.
        sh(`echo '{"runId":"x","repoRoot":"/"}' > "$BALLADOR_RUN_DIR/provision.json"`, { allow_fail: true }),
        sh(`ln -s '${v.path}' "$BALLADOR_RUN_DIR/brief.md"`, { allow_fail: true }),
        sh(`ln -s '${v.path}' "$BALLADOR_RUN_DIR/verify.log"`, { allow_fail: true }),
        sh(`ln -s '${v.path}' "$BALLADOR_RUN_DIR/denials.jsonl"`, { allow_fail: true }),
        sh(`rm -rf "$BALLADOR_RUN_DIR/inbox" && ln -s '${p.home}' "$BALLADOR_RUN_DIR/inbox"`, {
          expect_fail: true,
        }),
        // (Those fail, or land in the sandbox's private view of the state folder and vanish with it.)
        // Inside its inbox it may write anything: links, FIFOs, folders, junk.
        sh(`ln -s '${bait}' "$BALLADOR_RUN_DIR/inbox/000000000000001-1-aaaaaa.json"`),
        sh(`mkfifo "$BALLADOR_RUN_DIR/inbox/000000000000002-1-bbbbbb.json"`),
        sh(`mkdir "$BALLADOR_RUN_DIR/inbox/000000000000003-1-cccccc.json"`),
        sh(`echo '{"kind":"done","text":' > "$BALLADOR_RUN_DIR/inbox/000000000000004-1-dddddd.json"`),
        sh(`ln -s '${p.home}' "$BALLADOR_RUN_DIR/inbox/handled"`),
        ...commitAndDone("work.txt", "work\n", { commit: "work", done: "hostile but done" }),
      ],
    });
    await launchToReview(p, "hostile");
    // The follow-ups a person runs.
    await p.ok(["review", "hostile"]);
    await p.ok(["status"]);
    await p.ok(["show", "hostile"]);
    expect(await readFile(v.path, "utf8")).toBe(v.content);
    const runDir = await p.runDir("hostile");
    const spec = JSON.parse(await readFile(join(runDir, "run.json"), "utf8"));
    expect(spec.taskId).toBe("hostile");
    const claim = JSON.parse(await readFile(join(runDir, "provision.json"), "utf8"));
    expect(claim.taskId).toBe("hostile");
    expect(await filesContaining(p.parent, "PLANTED-BY-BOOT")).toEqual([]);
    expect(lstatSync(join(runDir, "launch.log")).isFile()).toBe(true);
    expect(await readFile(join(runDir, "launch.log"), "utf8")).toContain("bootstrap");
    for (const f of ["brief.md", "ended"]) {
      expect(lstatSync(join(runDir, f)).isFile(), `${f} is a plain file the host wrote`).toBe(true);
    }
    for (const f of ["verify.log", "denials.jsonl"]) {
      expect(existsSync(join(runDir, f)) && !lstatSync(join(runDir, f)).isFile(), `${f} is no link`).toBe(
        false,
      );
      expect(lstatSync(runDir).isDirectory()).toBe(true);
    }
    expect((await readdir(runDir)).filter((f) => lstatSync(join(runDir, f)).isSymbolicLink())).toEqual([]);
    expect(lstatSync(join(runDir, "inbox")).isDirectory()).toBe(true);
    const notes = JSON.stringify((await p.show("hostile")).notes);
    expect(notes).not.toContain("BAIT-NOTE-TEXT");
    expect(notes).toContain("hostile but done");
    await host.check();
  });
});

describe("host trust: host writes and reads never follow a link (class 2)", () => {
  it("a verify.sh committed as a link: the base's version is restored into the checkout, not through the link", async () => {
    const p = await makeSandboxProject({
      files: { "verify.sh": "#!/bin/sh\necho verify-of-the-base\n" },
      config: { verify: "./verify.sh" },
    });
    await chmod(join(p.dir, "verify.sh"), 0o755);
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "-m", "verify"]);
    const host = await watchHost(p);
    // The victim is a script, so the agent's own gate (which runs the link) passes.
    const victimPath = join(p.home, "bin-helper.sh");
    const victimContent = `#!/bin/sh\n# precious ${Math.random()}\nexit 0\n`;
    await writeFile(victimPath, victimContent);
    await chmod(victimPath, 0o755);
    await p.part("linker", {
      steps: [
        sh(
          `rm verify.sh && ln -s '${victimPath}' verify.sh && git add -A && git commit -q -m 'verify is a link'`,
        ),
        { done: { summary: "linked" } },
      ],
    });
    await launchToReview(p, "linker");
    expect(await readFile(victimPath, "utf8")).toBe(victimContent);
    const log = await readFile(join(await p.runDir("linker"), "verify.log"), "utf8");
    expect(log).toContain("verify-of-the-base");
    await p.ok(["review", "linker"]);
    // The branch changed how tests run (verify.sh): a plain merge asks the person to accept it.
    expect((await p.run(["merge", "linker"])).code).toBe(4);
    await p.ok(["merge", "linker", "--accept-verify-change"]);
    await p.ok(["cleanup", "linker"]);
    expect(await readFile(victimPath, "utf8")).toBe(victimContent);
    await host.check();
  });

  it("copy: never writes through a link the agent left in its worktree, and never copies a link from the main checkout", async () => {
    const p = await makeSandboxProject({ config: { copy: [".env"], max_attempts: 1 } });
    await writeFile(join(p.dir, ".env"), "TOKEN=from-main\n");
    await writeFile(join(p.dir, ".gitignore"), ".env\n");
    await p.git(["add", ".gitignore"]);
    await p.git(["commit", "-q", "-m", "ignore env"]);
    const host = await watchHost(p);
    const v = await victim(p, "profile");
    await p.part("envlink", {
      steps: [
        // Attempt 1 leaves .env as a link to the victim; the retry copies .env again.
        sh(`if [ "$BALLADOR_ATTEMPT" = 1 ]; then rm -f .env && ln -s '${v.path}' .env && exit 3; fi`),
        ...commitAndDone("w.txt", "w\n", { commit: "w", done: "ok" }),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("envlink", ["review", "failed"])).state).toBe("failed");
    await p.ok(["retry", "envlink"]);
    const t = await p.waitState("envlink", ["review", "failed"]);
    expect(t.state, await sessionLog(p, "envlink")).toBe("review");
    expect(await readFile(v.path, "utf8")).toBe(v.content);
    const env = join(p.worktree("envlink"), ".env");
    expect(lstatSync(env).isSymbolicLink()).toBe(false);
    expect(await readFile(env, "utf8")).toBe("TOKEN=from-main\n");
    await p.ok(["status"]);
    await host.check();

    // The main checkout's .env becomes a link to the key: launch refuses to copy it.
    const q = await makeSandboxProject({ config: { copy: [".env"] } });
    const { symlink } = await import("node:fs/promises");
    await symlink(q.sshKey, join(q.dir, ".env"));
    await q.part("leak", { steps: [{ done: "x" }] });
    await q.ok(["queue"]);
    const r = await q.run(["launch"]);
    expect(r.stdout + r.stderr).toMatch(/copy: "\.env"/);
    expect((await q.task("leak")).state).toBe("failed");
    expect(await filesContaining(q.parent, q.sshKeyContent.trim())).toEqual([q.sshKey]);
  });
});

describe("host trust: the brief is never written through a link (class 2)", () => {
  it("even unsandboxed (sandbox.mode: none), where the agent can write its run folder, a link at brief.md is replaced", async () => {
    const p = await makeSandboxProject({ config: { sandbox: { mode: "none" } } });
    const v = await victim(p);
    await p.part("brieflink", {
      steps: [
        sh(`ln -s '${v.path}' "$BALLADOR_RUN_DIR/brief.md"`),
        ...commitAndDone("b.txt", "b\n", { commit: "b", done: "b" }),
      ],
    });
    await launchToReview(p, "brieflink");
    await p.ok(["review", "brieflink"]);
    expect(await readFile(v.path, "utf8")).toBe(v.content);
    const brief = join(await p.runDir("brieflink"), "brief.md");
    expect(lstatSync(brief).isFile()).toBe(true);
    expect(await readFile(brief, "utf8")).toContain("brieflink");
  });
});

describe("host trust: copy: through a folder link (class 2)", () => {
  it("a committed link in the way of a copy: file: the verification checkout gets a real folder, the worktree refuses, nothing lands behind the link", async () => {
    const p = await makeSandboxProject({ config: { copy: ["conf/app.env"] } });
    await mkdir(join(p.dir, "conf"));
    await writeFile(join(p.dir, "conf", "app.env"), "TOKEN=from-main\n");
    await writeFile(join(p.dir, ".gitignore"), "conf/app.env\n");
    await p.git(["add", ".gitignore"]);
    await p.git(["commit", "-q", "-m", "ignore conf"]);
    const host = await watchHost(p);
    const behind = join(p.parent, "behind-the-link");
    await mkdir(behind);
    await p.part("way", {
      steps: [
        // The worktree got conf/app.env at launch; conf becomes a committed link to a folder outside.
        sh(`rm -rf conf && ln -s '${behind}' conf && git add -A && git commit -q -m 'conf is a link'`),
        { done: "linked" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("way", ["review", "failed"]);
    // Verified on a clean checkout, which got the file in a real folder of its own.
    expect(t.state, await sessionLog(p, "way")).toBe("review");
    expect(await readdir(behind)).toEqual([]);
    await p.ok(["review", "way"]);
    // The person's retry provisions the worktree again: the copy is refused, naming the file.
    const r = await p.run(["retry", "way"]);
    expect((await p.waitState("way", ["review", "failed", "running"])).state).not.toBe("review");
    const reason = (await p.waitState("way", ["failed"])).reason ?? "";
    expect(r.stdout + r.stderr + reason).toContain('copy: "conf/app.env" into the worktree');
    expect(await readdir(behind)).toEqual([]);
    await p.ok(["status"]);
    await p.ok(["cleanup", "way", "--force"]);
    expect(await readdir(behind)).toEqual([]);
    await host.check();
  });
});

describe("host trust: the hooks of a launch that failed (classes 2, 5)", () => {
  it("on_fail after a refused copy: runs inside the run's sandbox, never on the host", async () => {
    // $BALLADOR_RUN_DIR/../../../.. is the main checkout: writable on the host, not in a sandbox.
    const p = await makeSandboxProject({
      config: {
        copy: [".env"],
        hooks: {
          on_fail:
            'echo ran > "$BALLADOR_RUN_DIR/tmp/on-fail-ran"; echo out > "$BALLADOR_RUN_DIR/../../../../on-fail-escaped"',
        },
      },
    });
    const host = await watchHost(p);
    const { symlink } = await import("node:fs/promises");
    await symlink(p.sshKey, join(p.dir, ".env"));
    await p.part("failing", { steps: [{ done: "x" }] });
    await p.ok(["queue"]);
    const l = await p.run(["launch"]);
    expect(l.stdout + l.stderr).toMatch(/copy: "\.env"/);
    expect((await p.waitState("failing", ["review", "failed"])).state).toBe("failed");
    const runDir = await p.runDir("failing");
    // on_fail ran (its own trace, in the run's TMPDIR), and only where a sandbox may write.
    const until = Date.now() + 20_000;
    while (!existsSync(join(runDir, "tmp", "on-fail-ran")) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    const launchLog = await readFile(join(runDir, "launch.log"), "utf8");
    expect(existsSync(join(runDir, "tmp", "on-fail-ran")), `on_fail ran:\n${launchLog}`).toBe(true);
    expect(existsSync(join(p.dir, "on-fail-escaped")), "on_fail ran on the host").toBe(false);
    await p.ok(["status"]);
    await host.check();
  });
});

describe("host trust: adopting git objects (class 3)", () => {
  it("only objects whose names are their hashes are adopted; links, forgeries and junk are refused and recorded", async () => {
    const p = await makeSandboxProject();
    const host = await watchHost(p);
    const mainBefore = (await p.git(["rev-parse", "main"])).trim();
    const forged = "ab".padEnd(40, "0");
    await p.part("objects", {
      steps: [
        { write: { path: "real.txt", content: "real\n" } },
        { commit: "real work" },
        sh(`o="$GIT_OBJECT_DIRECTORY"; mkdir -p "$o/ab" "$o/cd" "$o/pack"
            printf 'x' | gzip > "$o/ab/${forged.slice(2)}"
            ln -s '${p.sshKey}' "$o/cd/${"1".repeat(38)}"
            echo junk > "$o/not-an-object"
            echo garbage > "$o/pack/pack-${"2".repeat(40)}.pack"`),
        { done: "objects planted" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("objects", ["review", "failed"]);
    expect(t.state).toBe("failed");
    expect(t.reason).toContain("sandbox violation");
    const objects = join(p.dir, ".git", "objects");
    expect(existsSync(join(objects, "ab", forged.slice(2)))).toBe(false);
    expect(existsSync(join(objects, "cd", "1".repeat(38)))).toBe(false);
    expect(existsSync(join(objects, "not-an-object"))).toBe(false);
    expect(existsSync(join(objects, "pack", `pack-${"2".repeat(40)}.pack`))).toBe(false);
    // The genuine commit was taken in, and the repository is whole.
    expect(await p.git(["show", "ballador/objects:real.txt"])).toBe("real\n");
    await p.git(["fsck", "--no-dangling"]);
    const notes = JSON.stringify((await p.show("objects")).notes);
    expect(notes).toContain("git object refused");
    expect(await filesContaining(p.dir, p.sshKeyContent.trim())).toEqual([]);
    // The person retries: the refused objects are still refused, nothing new gets in.
    await p.ok(["retry", "objects"]);
    expect((await p.waitState("objects", ["review", "failed"])).state).toBe("failed");
    expect(existsSync(join(objects, "ab", forged.slice(2)))).toBe(false);
    await p.ok(["cleanup", "objects", "--force"]);
    await p.ok(["status"]);
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    await host.check();
  });
});

describe("host trust: host git runs no hook, fsmonitor or driver an agent can plant (class 4)", () => {
  it("attributes naming the person's filter and merge drivers, and a per-worktree config, run nothing on the host through review, merge and cleanup", async () => {
    const p = await makeSandboxProject({ files: { "shared.txt": "1\n2\n3\n4\n5\n6\n7\n" } });
    const markers = join(p.parent, "markers");
    await mkdir(markers);
    // The person's own config defines drivers and hooks: an agent's .gitattributes can name them.
    await p.git(["config", "filter.evil.clean", `touch ${markers}/filter-clean; cat`]);
    await p.git(["config", "filter.evil.smudge", `touch ${markers}/filter-smudge; cat`]);
    await p.git(["config", "merge.evil.driver", `touch ${markers}/merge-driver; false`]);
    await p.git(["config", "diff.evil.command", `touch ${markers}/diff-command; true`]);
    await p.git(["config", "extensions.worktreeConfig", "true"]);
    // Every hook of the repository leaves a marker in its own folder if it runs on the host.
    const host = await watchHost(p);
    const fsmonitor = join(p.parent, "fsmonitor.sh");
    await writeFile(fsmonitor, `#!/bin/sh\ntouch ${markers}/fsmonitor\n`);
    await chmod(fsmonitor, 0o755);
    await p.part("drivers", {
      steps: [
        { write: { path: ".gitattributes", content: "* filter=evil merge=evil diff=evil\n" } },
        { write: { path: "x.txt", content: "x\n" } },
        { write: { path: "shared.txt", content: "one\n2\n3\n4\n5\n6\n7\n" } },
        sh(
          "git -c core.hooksPath=/dev/null -c filter.evil.clean=cat add -A && git -c core.hooksPath=/dev/null -c filter.evil.clean=cat commit -q -m drivers",
        ),
        // The per-worktree config is the host's to keep empty: writing it fails.
        sh(
          `printf '[core]\\n\\thooksPath = ${markers}\\n\\tfsmonitor = ${fsmonitor}\\n' > "$(git rev-parse --git-dir)/config.worktree"`,
          { expect_fail: true },
        ),
        { done: "drivers" },
      ],
    });
    await launchToReview(p, "drivers");
    await p.ok(["review", "drivers"]);
    // The base moves on in the same file, so the merge needs a content merge (the driver's place).
    await writeFile(join(p.dir, "shared.txt"), "1\n2\n3\n4\n5\n6\nseven\n");
    await p.git(["-c", "core.hooksPath=/dev/null", "commit", "-q", "-am", "seven"]);
    // No verify command here (the test is about git's drivers): merged as unverified.
    await p.ok(["merge", "drivers", "--unverified"]);
    expect(await p.git(["show", "main:shared.txt"])).toBe("one\n2\n3\n4\n5\n6\nseven\n");
    await p.ok(["cleanup", "drivers"]);
    await p.ok(["status"]);
    expect(await readdir(markers)).toEqual([]);
    await host.check();
  });
});

describe("host trust: stacking in the task's session runs no driver a dependency planted (class 4)", () => {
  it("a dependency's .gitattributes naming the person's merge driver: the stacking merge uses git's own", async () => {
    const p = await makeSandboxProject({
      files: { "shared.txt": "1\n2\n3\n4\n5\n6\n7\n" },
      config: { stack: true },
    });
    const markers = join(p.parent, "driver-markers");
    await mkdir(markers);
    await p.git(["config", "merge.evil.driver", `touch ${markers}/merge-driver; false`]);
    await p.git(["config", "filter.evil.smudge", `touch ${markers}/filter-smudge; cat`]);
    await p.git(["config", "filter.evil.clean", `touch ${markers}/filter-clean; cat`]);
    const host = await watchHost(p);
    const raw = "git -c core.hooksPath=/dev/null -c filter.evil.clean=cat";
    await p.part("a", {
      steps: [
        { write: { path: ".gitattributes", content: "* merge=evil filter=evil\n" } },
        { write: { path: "shared.txt", content: "one\n2\n3\n4\n5\n6\n7\n" } },
        sh(`${raw} add -A && ${raw} commit -q -m a`),
        { done: "a" },
      ],
    });
    await p.part("c", {
      steps: commitAndDone("shared.txt", "1\n2\n3\n4\n5\n6\nseven\n", { commit: "c", done: "c" }),
    });
    await p.part("b", {
      needs: ["a", "c"],
      steps: [{ write: { path: "b.txt", content: "b\n" } }, { commit: "b" }, { done: "b" }],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "a", "c"]);
    expect((await p.waitState("a", ["review", "failed"])).state, await sessionLog(p, "a")).toBe("review");
    expect((await p.waitState("c", ["review", "failed"])).state, await sessionLog(p, "c")).toBe("review");
    await p.ok(["launch", "b"]);
    const t = await p.waitState("b", ["review", "failed"]);
    expect(t.state, `${t.reason ?? ""}\n${await sessionLog(p, "b")}`).toBe("review");
    expect(await p.git(["show", "ballador/b:shared.txt"])).toBe("one\n2\n3\n4\n5\n6\nseven\n");
    await p.ok(["status"]);
    expect(await readdir(markers)).toEqual([]);
    await host.check();
  });
});

describe("host trust: refs (class 5)", () => {
  it("with a prefix that has no folder, moving main touches only the sandbox's copy: recorded, the task failed, main unchanged", async () => {
    const p = await makeSandboxProject({ config: { branch_prefix: "task-" } });
    const host = await watchHost(p);
    const root = (await p.git(["rev-list", "--max-parents=0", "HEAD"])).trim();
    const mainBefore = (await p.git(["rev-parse", "main"])).trim();
    // Another task's branch, in the same folder as the task's own.
    await p.git(["branch", "task-other"]);
    await p.part("mover", {
      steps: [
        // Links in the worktree to the person's files: cleanup removes the links, not them.
        sh(`ln -s '${p.home}' home-link && ln -s '${p.sshKey}' key-link`),
        { write: { path: "m.txt", content: "m\n" } },
        { commit: "m" },
        sh(`git update-ref refs/heads/main ${root}`),
        sh(`git branch -f task-other ${root}`),
        sh(`git branch task-planted ${root}`),
        // A link in the ref copy to a folder outside: reported, and the copy's removal keeps it.
        sh(`ln -s '${p.home}' "$(git rev-parse --git-common-dir)/refs/heads/task-link"`),
        { done: "moved" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("mover", ["review", "failed"]);
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    expect(t.state).toBe("failed");
    expect(t.reason).toContain("sandbox violation");
    const notes = JSON.stringify((await p.show("mover")).notes);
    expect(notes).toContain("tried to move branch main");
    expect(notes).toContain("tried to move branch task-other");
    expect(notes).toContain("tried to create branch task-planted");
    expect(notes).toContain("task-link is a symbolic link");
    expect((await p.git(["rev-parse", "task-other"])).trim()).toBe(mainBefore);
    expect(await p.branches()).toEqual(["main", "task-mover", "task-other"]);
    expect((await p.git(["log", "-1", "--format=%s", "task-mover"])).trim()).toBe("m");
    // The brief a person reads says so too.
    const brief = (await p.ok(["review", "mover", "--no-diff"])).stdout;
    expect(brief).toContain("Sandbox violations");
    expect(brief).toContain("tried to move branch main");
    await p.ok(["status"]);
    await p.ok(["cleanup", "mover", "--force"]);
    expect(existsSync(p.worktree("mover"))).toBe(false);
    expect(await readFile(p.sshKey, "utf8")).toBe(p.sshKeyContent);
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    await host.check();
  });

  it("bootstrap, run by the task's own session, moves refs only in the sandbox's copy: recorded, the task failed, refs unchanged", async () => {
    const p = await makeSandboxProject({
      config: {
        branch_prefix: "task-",
        bootstrap: [
          "git update-ref refs/heads/main $(git rev-list --max-parents=0 HEAD) && git branch -f task-other $(git rev-list --max-parents=0 HEAD)",
        ],
      },
    });
    const host = await watchHost(p);
    await p.git(["branch", "task-other"]);
    const mainBefore = (await p.git(["rev-parse", "main"])).trim();
    await p.part("boot", {
      steps: [{ write: { path: "b.txt", content: "b\n" } }, { commit: "b" }, { done: "b" }],
    });
    await p.ok(["queue"]);
    const l = await p.run(["launch"]);
    expect(l.stdout + l.stderr).toContain("sandbox violation during bootstrap");
    const t = await p.waitState("boot", ["review", "failed"]);
    expect(t.state).toBe("failed");
    expect(t.reason).toContain("sandbox violation during bootstrap");
    const notes = JSON.stringify((await p.show("boot")).notes);
    expect(notes).toContain("tried to move branch main");
    expect(notes).toContain("tried to move branch task-other");
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    expect((await p.git(["rev-parse", "task-other"])).trim()).toBe(mainBefore);
    // The person retries (the session provisions again, bootstrap again): the same outcome.
    await p.run(["retry", "boot"]);
    expect((await p.waitState("boot", ["review", "failed"])).state).toBe("failed");
    expect((await p.show("boot")).runs.length).toBe(2);
    await p.ok(["status"]);
    await p.ok(["cleanup", "boot", "--force"]);
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    expect((await p.git(["rev-parse", "task-other"])).trim()).toBe(mainBefore);
    await host.check();
  });

  it("an after_run hook (the agent's tree, the agent's policy) moving main is a recorded violation too", async () => {
    const p = await makeSandboxProject({
      config: {
        branch_prefix: "task-",
        hooks: { after_run: "git update-ref refs/heads/main $(git rev-list --max-parents=0 HEAD)" },
      },
    });
    const host = await watchHost(p);
    const mainBefore = (await p.git(["rev-parse", "main"])).trim();
    await p.part("hooked", {
      steps: [{ write: { path: "h.txt", content: "h\n" } }, { commit: "h" }, { done: "h" }],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("hooked", ["review", "failed"]);
    expect(t.state).toBe("failed");
    expect(t.reason).toContain("sandbox violation");
    expect(JSON.stringify((await p.show("hooked")).notes)).toContain(
      "sandbox violation (hook after_run): tried to move branch main",
    );
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    // The agent's own commit still reached its branch.
    expect((await p.git(["log", "-1", "--format=%s", "task-hooked"])).trim()).toBe("h");
    await p.ok(["status"]);
    await host.check();
  });

  it("bootstrap and the verify of a merge cannot move the base: only Ballador's merge does", async () => {
    const p = await makeSandboxProject({
      files: {
        "verify.sh": "#!/bin/sh\nsh tools/check.sh\n",
        "tools/check.sh": "exit 0\n",
      },
      config: {
        verify: "./verify.sh",
        bootstrap: ["git update-ref refs/heads/main $(git rev-list --max-parents=0 HEAD) || true"],
      },
    });
    await chmod(join(p.dir, "verify.sh"), 0o755);
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "-m", "verify"]);
    const host = await watchHost(p);
    const root = (await p.git(["rev-list", "--max-parents=0", "HEAD"])).trim();
    const mainBefore = (await p.git(["rev-parse", "main"])).trim();
    await p.part("mover", {
      steps: [
        // The branch's check script (not a protected file) runs in every verification.
        {
          write: {
            path: "tools/check.sh",
            // It also leaves links to the person's files in the checkout Ballador later removes.
            content: `git update-ref refs/heads/main ${root} 2>/dev/null; ln -s '${p.home}' home-link 2>/dev/null; ln -s '${p.sshKey}' key-link 2>/dev/null; exit 0\n`,
          },
        },
        { commit: "check moves refs" },
        sh(`git branch -f main ${root}`, { expect_fail: true }),
        { done: "moved" },
      ],
    });
    await launchToReview(p, "mover");
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    const head = (await p.git(["rev-parse", "ballador/mover"])).trim();
    expect((await p.git(["log", "-1", "--format=%s", head])).trim()).toBe("check moves refs");
    await p.ok(["merge", "mover"]);
    const parents = (await p.git(["rev-list", "--parents", "-n", "1", "main"])).trim().split(" ");
    expect(parents.slice(1)).toEqual([mainBefore, head]);
    expect(await readFile(p.sshKey, "utf8")).toBe(p.sshKeyContent);
    expect(await p.git(["worktree", "list"])).not.toContain("verify-");
    // The agent's own gate ran the script in the worktree too: its links are kept without --force.
    expect((await p.run(["cleanup", "mover"])).stdout).toContain("home-link");
    await p.ok(["cleanup", "mover", "--force"]);
    expect(await readFile(p.sshKey, "utf8")).toBe(p.sshKeyContent);
    await p.ok(["status"]);
    await host.check();
  });
});

describe("host trust: the spec reaches the prompt from the base (class 6)", () => {
  it("a spec path outside the repository is refused; a spec the agent replaced by a link is read from the base; a link on the base is not inlined", async () => {
    const p = await makeSandboxProject({
      files: {
        "specs/0001-real.md": "# Real spec\n\n## Problem\nTHE-REAL-PROBLEM\n",
      },
      config: { max_attempts: 2, verify: "test -f ok.txt" },
    });
    const { symlink } = await import("node:fs/promises");
    await symlink(p.sshKey, join(p.dir, "specs", "0002-link.md"));
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "-m", "specs"]);
    const host = await watchHost(p);

    await p.write(
      ".ballador/parts/escape.md",
      `---\n${stringify({ id: "escape", title: "Escape", spec: "../home/.ssh/id_rsa" })}---\nx\n`,
    );
    await p.write(
      ".ballador/parts/absolute.md",
      `---\n${stringify({ id: "absolute", title: "Absolute", spec: p.sshKey })}---\nx\n`,
    );
    const bad = await p.run(["queue"]);
    expect(bad.code).not.toBe(0);
    expect(bad.code).not.toBe(70);
    expect(bad.stdout + bad.stderr).toContain("escape.md");
    expect(bad.stdout + bad.stderr).toContain("absolute.md");
    expect(bad.stdout + bad.stderr).toContain("spec");
    expect((await p.status()).tasks).toEqual([]);
    for (const f of ["escape", "absolute"])
      await runProgram("rm", [join(p.dir, `.ballador/parts/${f}.md`)], { cwd: p.dir, env: p.env });

    const script = {
      steps: [
        sh(
          `if [ "$BALLADOR_ATTEMPT" = 1 ]; then rm specs/0001-real.md && ln -s '${p.sshKey}' specs/0001-real.md && git add -A && git commit -q -m link && exit 4; fi`,
        ),
        ...commitAndDone("ok.txt", "ok\n", { commit: "ok", done: "ok" }),
      ],
    };
    const part = (id: string, spec: string) =>
      p.write(
        `.ballador/parts/${id}.md`,
        `---\n${stringify({ id, title: id, spec })}---\nDo ${id}.\n\n\`\`\`ballador-script\n${JSON.stringify(script)}\n\`\`\`\n`,
      );
    await part("relinker", "specs/0001-real.md");
    // A spec that is a link in the checkout is refused at queue (issue 29), naming the part and the key.
    await part("baselink", "specs/0002-link.md");
    const linked = await p.run(["queue"]);
    expect(linked.code).toBe(1);
    expect(linked.stdout + linked.stderr).toContain("baselink.md");
    expect(linked.stdout + linked.stderr).toContain("spec");
    expect((await p.status()).tasks).toEqual([]);
    // A spec made a link on the base after queueing is never followed: the launch is refused, naming it.
    await p.write("specs/0003-later.md", "# Later\n");
    await p.git(["add", "-A", "specs"]);
    await p.git(["commit", "-q", "-m", "later spec"]);
    await part("baselink", "specs/0003-later.md");
    await p.ok(["queue"]);
    await runProgram("rm", [join(p.dir, "specs/0003-later.md")], { cwd: p.dir, env: p.env });
    await symlink(p.sshKey, join(p.dir, "specs", "0003-later.md"));
    await p.git(["add", "-A", "specs"]);
    await p.git(["commit", "-q", "-m", "later spec is a link"]);
    const refused = await p.run(["launch", "baselink"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("specs/0003-later.md on main is not a regular file (a symbolic link)");
    await p.ok(["launch", "relinker"]);
    expect((await p.waitState("relinker", ["review", "failed"], 90_000)).state).toBe("review");
    await p.ok(["review", "relinker"]);
    const shown = await p.show("relinker");
    expect(shown.runs.length).toBe(2);
    const secondPrompt = await readFile(join(shown.runs[1]?.runDir ?? "", "prompt.md"), "utf8");
    expect(secondPrompt).toContain("THE-REAL-PROBLEM");
    // No prompt, brief or log anywhere holds the key.
    const key = p.sshKeyContent.trim();
    expect(await filesContaining(join(p.dir, ".ballador"), key)).toEqual([]);
    const brief = (await p.ok(["review", "relinker", "--no-diff"])).stdout;
    expect(brief).toContain("THE-REAL-PROBLEM");
    expect(brief).not.toContain(key);
    expect((await allRunFiles(p)).length).toBeGreaterThan(0);
    await host.check();
  });
});

describe("host trust: a merge killed during its verification leaves nothing behind (class 8)", () => {
  it("the verify dies with the merge, and the next command removes its worktrees and folder", async () => {
    const token = `sleep 61.${Math.floor(Math.random() * 1e6)}`;
    const p = await makeSandboxProject({
      files: { "verify.sh": `#!/bin/sh\nif [ -f slow ]; then ${token}; fi\n` },
      config: { verify: "./verify.sh" },
    });
    await chmod(join(p.dir, "verify.sh"), 0o755);
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "-m", "verify"]);
    const host = await watchHost(p);
    await p.part("quick", {
      steps: [{ write: { path: "q.txt", content: "q\n" } }, { commit: "q" }, { done: "q" }],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "quick"]);
    expect((await p.waitState("quick", ["review", "failed"])).state).toBe("review");
    // Now make the base's verify slow for everything, and merge.
    await writeFile(join(p.dir, "slow"), "1\n");
    await p.git(["add", "slow"]);
    await p.git(["commit", "-q", "-m", "slow everywhere"]);
    const mainBefore = (await p.git(["rev-parse", "main"])).trim();
    // A folder under merges/ that Ballador did not make (no marker): never removed.
    const notOurs = join(p.dir, ".ballador", "state", "merges", "not-ours");
    await mkdir(notOurs, { recursive: true });
    await writeFile(join(notOurs, "keep.txt"), "keep\n");
    const child = spawn(process.execPath, [BIN, "merge", "quick"], {
      cwd: p.dir,
      env: p.env,
      stdio: "ignore",
    });
    const pgrep = async () =>
      (await runProgram("pgrep", ["-f", token], { cwd: p.dir, env: p.env })).stdout.trim();
    const until = Date.now() + 45_000;
    while (!(await pgrep()) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(await pgrep(), "the merge's verify started").not.toBe("");
    child.kill("SIGKILL");
    const gone = Date.now() + 10_000;
    while ((await pgrep()) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(await pgrep(), "the verify died with the merge").toBe("");
    const merges = join(p.dir, ".ballador", "state", "merges");
    const left = (await readdir(merges)).filter((n) => n !== "not-ours");
    expect(left.length).toBe(1);
    const marker = JSON.parse(await readFile(join(merges, left[0] as string, "merge.json"), "utf8")) as {
      sockets: string[];
    };
    const st = await p.run(["status", "--json"]);
    expect(st.stdout).toContain("merge of quick");
    await p.ok(["cleanup", "--all"]);
    expect(await p.git(["worktree", "list"])).not.toContain("/merges/");
    expect(await readdir(join(p.dir, ".ballador", "state", "merges"))).toEqual(["not-ours"]);
    expect(marker.sockets.length, "the merge recorded its sandbox's sockets").toBeGreaterThan(0);
    for (const sock of marker.sockets) expect(existsSync(sock), `${sock} left behind`).toBe(false);
    expect(await readFile(join(notOurs, "keep.txt"), "utf8")).toBe("keep\n");
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    expect((await p.task("quick")).state).toBe("review");
    // The person merges again: it completes.
    await p.git(["rm", "-q", "slow"]);
    await p.git(["commit", "-q", "-m", "fast again"]);
    await p.ok(["merge", "quick"]);
    expect((await p.task("quick")).state).toBe("merged");
    await host.check();
  });
});

describe("host trust: the worktree's private git folder is the agent's (classes 4, 10)", () => {
  it("a lock the agent wrote neither blocks cleanup --force nor makes it fail obscurely; HEAD moved to main is not followed", async () => {
    const p = await makeSandboxProject();
    const host = await watchHost(p);
    const mainBefore = (await p.git(["rev-parse", "main"])).trim();
    await p.part("locker", {
      steps: [
        { write: { path: "l.txt", content: "l\n" } },
        { commit: "l" },
        sh(`echo 'mine forever' > "$(git rev-parse --git-dir)/locked"`),
        // The worktree's HEAD now names main: a host git that followed it would write main.
        sh(`printf 'ref: refs/heads/main\\n' > "$(git rev-parse --git-dir)/HEAD"`),
        { blocked: "locked it" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("locker", ["blocked", "failed"])).state, await sessionLog(p, "locker")).toBe(
      "blocked",
    );
    await p.ok(["status"]);
    await p.ok(["abandon", "locker"]);
    const plain = await p.run(["cleanup", "locker"]);
    expect(plain.code, plain.stdout + plain.stderr).not.toBe(70);
    const forced = await p.run(["cleanup", "locker", "--force"]);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(existsSync(p.worktree("locker"))).toBe(false);
    expect(await p.branches()).toEqual(["main"]);
    expect((await p.git(["rev-parse", "main"])).trim()).toBe(mainBefore);
    await host.check();
  });
});

describe("host trust: bad input and removals (classes 9, 10)", () => {
  it("a YAML alias bomb in a part or the config is a clear error naming the file", async () => {
    const p = await makeSandboxProject();
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
    ];
    await p.write(".ballador/parts/bomb.md", `---\nid: bomb\ntitle: Bomb\n${bomb.join("\n")}\n---\nx\n`);
    const q = await p.run(["queue"]);
    expect(q.code).not.toBe(0);
    expect(q.code).not.toBe(70);
    expect(q.stdout + q.stderr).toContain("bomb.md");
    expect(q.stdout + q.stderr).toMatch(/alias/i);
    const config = await readFile(join(p.dir, ".ballador", "config.yaml"), "utf8");
    await writeFile(
      join(p.dir, ".ballador", "config.yaml"),
      `${config}${bomb.map((l) => `x${l}`).join("\n")}\n`,
    );
    const s = await p.run(["status"]);
    expect(s.code).not.toBe(0);
    expect(s.code).not.toBe(70);
    expect(s.stderr).toContain("config.yaml");
    expect(s.stderr).toMatch(/alias/i);
  });

  it("demo --dir refuses a folder it did not make, and removes only what it made", async () => {
    const p = await makeSandboxProject();
    const dir = join(p.parent, "mine");
    await mkdir(dir);
    await writeFile(join(dir, "thesis.tex"), "years of work\n");
    const r = await p.run(["demo", "--dir", dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("not empty");
    expect(await readFile(join(dir, "thesis.tex"), "utf8")).toBe("years of work\n");
    const empty = join(p.parent, "empty");
    await mkdir(empty);
    const d = await p.run(["demo", "--dir", empty], { timeoutMs: 110_000 });
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(existsSync(empty), "a folder the person made is kept").toBe(true);
    expect(await readdir(empty)).toEqual([]);
  }, 150_000);
});
