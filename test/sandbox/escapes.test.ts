/**
 * Ways out of the sandbox that must stay shut: symlinks and hard links in the worktree, `..`
 * in paths, /proc of processes outside, the tmux server that hosts the run, another run's
 * report channel, and shell syntax in a part's title. The launcher's environment holds a
 * secret no profile names, so every route is also checked for leaking it.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runProgram } from "../helpers/cli.js";
import { gate } from "../helpers/runtime.js";
import {
  agentSteps,
  cleanupSandboxTests,
  filesContaining,
  launchToReview,
  makeSandboxProject,
  sessionLog,
  uniqueValue,
} from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

/** Waits (up to 30 s) in the agent until the test writes the file. */
const awaitFile = (file: string) => ({
  run: `i=0; until [ -s '${file}' ]; do i=$((i+1)); [ $i -lt 600 ] || exit 1; sleep 0.05; done`,
});

describe("sandbox: escapes", () => {
  it("symlinks and hard links in the worktree do not reach ~/.ssh or the main checkout", async () => {
    const p = await makeSandboxProject();
    // Committed on main, so checked out into the task's worktree: links an agent did not make.
    await symlink(p.sshKey, join(p.dir, "key-link"));
    await symlink(join(p.home, ".ssh"), join(p.dir, "ssh-dir-link"));
    await symlink("../../home/.ssh/id_rsa", join(p.dir, "relative-key-link"));
    await symlink(join(p.dir, "README.md"), join(p.dir, "readme-link"));
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "-m", "links"]);
    const readme = await readFile(join(p.dir, "README.md"), "utf8");

    await p.part("links", {
      steps: [
        { read: "key-link", expect_fail: true },
        { read: "ssh-dir-link/id_rsa", expect_fail: true },
        { read: "relative-key-link", expect_fail: true },
        { run: `ln -s '${p.sshKey}' own-link && cat own-link`, expect_fail: true },
        // Writing through a link to the main checkout, or a hard link to a file there.
        { write: { path: "readme-link", content: "changed through a link\n" }, expect_fail: true },
        {
          run: `ln '${join(p.dir, "README.md")}' hard-readme && echo changed >> hard-readme`,
          expect_fail: true,
        },
        { run: "rm -f own-link hard-readme" },
        { done: "links checked" },
      ],
    });
    await launchToReview(p, "links");
    expect(await readFile(join(p.dir, "README.md"), "utf8")).toBe(readme);
    expect(await readFile(p.sshKey, "utf8")).toBe(p.sshKeyContent);
    const runDir = await p.runDir("links");
    expect(await filesContaining(runDir, p.sshKeyContent.trim())).toEqual([]);
    expect(await filesContaining(p.worktree("links"), p.sshKeyContent.trim())).toEqual([]);
  });

  it("`..` in paths does not leave the worktree", async () => {
    const p = await makeSandboxProject();
    const targets = {
      parent: join(p.parent, "dotdot.txt"),
      main: join(p.dir, "dotdot.txt"),
      hook: join(p.dir, ".git", "hooks", "post-checkout"),
      state: join(p.dir, ".ballador", "state", "dotdot.txt"),
    };
    await p.part("dotdot", {
      steps: [
        { write: { path: "../../dotdot.txt", content: "out\n" }, expect_fail: true },
        { write: { path: "../../repo/dotdot.txt", content: "out\n" }, expect_fail: true },
        { write: { path: "../../repo/.git/hooks/post-checkout", content: "#!/bin/sh\n" }, expect_fail: true },
        { write: { path: "sub/../../../repo/dotdot.txt", content: "out\n" }, expect_fail: true },
        { run: "echo out > ../../dotdot.txt", expect_fail: true },
        { run: "cd ../.. && echo out > repo/dotdot.txt", expect_fail: true },
        { done: "stayed in" },
      ],
    });
    await launchToReview(p, "dotdot");
    for (const [what, path] of Object.entries(targets)) expect(existsSync(path), what).toBe(false);
  });

  it("no process outside the sandbox is visible in /proc: the supervisor's and tmux's environments stay out of reach", async () => {
    const secret = uniqueValue("hostsecret-");
    const p = await makeSandboxProject();
    const pids = join(p.gates, "pids");
    const environOf = "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < \"$f\"; echo; done 2>/dev/null";
    await p.part("proc", {
      steps: [
        // Positive control: the agent's own environment is readable this way.
        { run: `${environOf} | grep -q '^BALLADOR_TASK_ID=proc$'` },
        { run: "tr '\\0' '\\n' < /proc/1/environ | grep -q '^FOO_SECRET='", expect_fail: true },
        { run: `${environOf} | grep -q '^FOO_SECRET='`, expect_fail: true },
        awaitFile(pids),
        // The host pids of the supervisor and the tmux server, which do hold FOO_SECRET.
        {
          run: `for pid in $(cat '${pids}'); do tr '\\0' '\\n' < /proc/$pid/environ; done | grep -q '^FOO_SECRET='`,
          expect_fail: true,
        },
        {
          run: `for pid in $(cat '${pids}'); do test -e /proc/$pid && exit 0; done; exit 1`,
          expect_fail: true,
        },
        { done: "nothing visible" },
      ],
    });
    await p.ok(["queue"]);
    const l = await p.run(["launch"], { env: { FOO_SECRET: secret } });
    expect(l.code, l.stdout + l.stderr).toBe(0);
    await p.waitState("proc", "running");
    const run = (await p.show("proc")).runs[0];
    const supervisor = run?.supervisorPid;
    expect(supervisor).toBeTypeOf("number");
    const tmuxPid = (
      await runProgram("tmux", ["-L", p.socket, "display-message", "-p", "#{pid}"], {
        cwd: p.dir,
        env: p.env,
      })
    ).stdout.trim();
    // The control: those processes really hold the secret, so the agent's failure means something.
    const supEnv = await readFile(`/proc/${supervisor}/environ`, "utf8");
    expect(supEnv).toContain(`FOO_SECRET=${secret}`);
    await writeFile(pids, `${supervisor} ${tmuxPid}\n`);

    const t = await p.waitState("proc", ["review", "failed"]);
    expect(t.state, await sessionLog(p, "proc")).toBe("review");
    expect(await filesContaining(join(p.dir, ".ballador", "state"), secret)).toEqual([]);
  });

  it("the tmux server hosting the run is out of reach: no reading its environment, no window outside", async () => {
    const secret = uniqueValue("hostsecret-");
    const p = await makeSandboxProject();
    const socketFile = join(p.gates, "socket");
    const pwned = join(p.parent, "pwned-tmux");
    await p.part("tmux", {
      steps: [
        awaitFile(socketFile),
        { run: `tmux -S "$(cat '${socketFile}')" show-environment -g FOO_SECRET`, expect_fail: true },
        { run: `tmux -S "$(cat '${socketFile}')" new-window 'touch ${pwned}'`, expect_fail: true },
        { run: `tmux -S "$(cat '${socketFile}')" list-sessions`, expect_fail: true },
        { done: "tmux out of reach" },
      ],
    });
    await p.ok(["queue"]);
    const l = await p.run(["launch"], { env: { FOO_SECRET: secret } });
    expect(l.code, l.stdout + l.stderr).toBe(0);
    const socketPath = (
      await runProgram("tmux", ["-L", p.socket, "display-message", "-p", "#{socket_path}"], {
        cwd: p.dir,
        env: p.env,
      })
    ).stdout.trim();
    expect(existsSync(socketPath)).toBe(true);
    await writeFile(socketFile, socketPath);
    const t = await p.waitState("tmux", ["review", "failed"]);
    expect(t.state, await sessionLog(p, "tmux")).toBe("review");
    expect(existsSync(pwned)).toBe(false);
  });

  it("no unix socket of the host can be reached: a server beside the repository, visible read-only inside, sees no connection", async () => {
    // A socket on a read-only mount still accepts connections: what blocks them is the
    // runtime's seccomp filter (apply-seccomp, which the bundled CLI must find in its vendor
    // folder). Without it, connect() below succeeds; with it, socket(AF_UNIX) is refused.
    const p = await makeSandboxProject();
    const path = join(p.parent, "host.sock");
    let connections = 0;
    const server = createServer((c) => {
      connections++;
      c.end();
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const probe = [
        `const c = require("net").createConnection(${JSON.stringify(path)});`,
        `c.on("connect", () => { console.log("connected"); process.exit(3); });`,
        `c.on("error", (e) => { console.log("unix socket: " + e.code); process.exit(e.code === "EPERM" ? 0 : 4); });`,
      ].join(" ");
      await p.part("unix", {
        steps: [
          { run: `test -S ${JSON.stringify(path)}` },
          { run: `${JSON.stringify(process.execPath)} -e ${JSON.stringify(probe).replace(/\$/g, "\\$")}` },
          { done: "no unix socket reached" },
        ],
      });
      await p.ok(["queue"]);
      await p.ok(["launch"]);
      const t = await p.waitState("unix", ["review", "failed"]);
      expect(t.state, JSON.stringify(await agentSteps(p, "unix"))).toBe("review");
      expect(connections).toBe(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("the bundled runtime looks programs up in process: a sandboxed run and its verification start no `which`", async () => {
    // The runtime's own lookup spawns `which` (blocking its process) for ripgrep and for the
    // shell of every wrap; the bundle routes it to an in-process PATH search. A `which` first
    // on PATH records every call and then answers as the real one would.
    const p = await makeSandboxProject({ config: { verify: "test -d ." } });
    const bin = join(p.parent, "spy-bin");
    const calls = join(p.parent, "which-calls");
    await mkdir(bin);
    await writeFile(
      join(bin, "which"),
      `#!/bin/sh\necho "$*" >> ${JSON.stringify(calls)}\nexec /usr/bin/which "$@"\n`,
      {
        mode: 0o755,
      },
    );
    p.env.PATH = `${bin}:${p.env.PATH}`;
    await p.part("lookup", { steps: [{ run: "test -w ." }, { done: "looked nothing up" }] });
    await launchToReview(p, "lookup");
    // The clean verification ran (its own sandboxed wrap), and passed.
    expect(await readFile(join(await p.runDir("lookup"), "verify.log"), "utf8")).toContain("test -d .");
    expect(existsSync(calls) ? await readFile(calls, "utf8") : "").toBe("");
  });

  it("an agent cannot report for another run by pointing BALLADOR_RUN_DIR at it", async () => {
    const p = await makeSandboxProject({ config: { max_parallel: 2 } });
    const victimRun = join(p.gates, "victim-run");
    await p.part("victim", { priority: 2, steps: [gate(p, "victim"), { done: "victim's own" }] });
    await p.part("intruder", {
      priority: 1,
      steps: [
        awaitFile(victimRun),
        {
          run: `BALLADOR_RUN_DIR="$(cat '${victimRun}')" ballador done --summary hijacked`,
          expect_fail: true,
        },
        { run: `BALLADOR_RUN_DIR="$(cat '${victimRun}')" ballador blocked hijacked`, expect_fail: true },
        { done: "intruder's own" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("victim", "running");
    await writeFile(victimRun, await p.runDir("victim"));
    expect((await p.waitState("intruder", ["review", "failed"])).state, await sessionLog(p, "intruder")).toBe(
      "review",
    );
    // The victim is still working: nothing reached its run folder.
    await new Promise((r) => setTimeout(r, 600));
    expect((await p.task("victim")).state).toBe("running");
    await p.open("victim");
    await p.waitState("victim", "review");
    const notes = (await p.show("victim")).notes.map((n) => n.text);
    expect(notes).not.toContain("hijacked");
  });

  it("shell syntax and variable references in a part's title stay inert text", async () => {
    const secret = uniqueValue("hostsecret-");
    const p = await makeSandboxProject({
      config: {
        agents: {
          default: "scripted",
          profiles: { scripted: { preset: "scripted", env: ["FOO_SECRET"] } },
        },
      },
    });
    const pw = (n: string) => join(p.parent, `pwned-${n}`);
    const title = `$(touch ${pw("subst")}) \`touch ${pw("tick")}\` $FOO_SECRET \${FOO_SECRET} '; touch ${pw("quote")}; echo '`;
    await p.part("title", {
      title,
      steps: [
        // The agent was given the title verbatim: no expansion happened on the way.
        { run: `grep -qF -- '$FOO_SECRET \${FOO_SECRET}' "$BALLADOR_PROMPT_FILE"` },
        { done: "inert" },
      ],
    });
    await p.ok(["queue"]);
    const l = await p.run(["launch"], { env: { FOO_SECRET: secret } });
    expect(l.code, l.stdout + l.stderr).toBe(0);
    const t = await p.waitState("title", ["review", "failed"]);
    expect(t.state, await sessionLog(p, "title")).toBe("review");
    expect(t.title).toBe(title);
    for (const n of ["subst", "tick", "quote"]) expect(existsSync(pw(n)), n).toBe(false);
    const prompt = await readFile(join(await p.runDir("title"), "prompt.md"), "utf8");
    expect(prompt).toContain(title);
    // The profile names FOO_SECRET, so the agent has it; but no file Ballador wrote does.
    expect(await filesContaining(join(p.dir, ".ballador", "state"), secret)).toEqual([]);
    expect((await agentSteps(p, "title")).every((s) => s.ok)).toBe(true);
  });

  it("a worktree's .git file rewritten by the agent does not make a later attempt's sandbox open the main .git", async () => {
    // Attempt 1 points the worktree's .git at the main repository's .git and fails; attempt 2
    // gets a new policy computed from that worktree (git rev-parse --absolute-git-dir).
    const p = await makeSandboxProject({ config: { max_attempts: 2 } });
    const mainGit = join(p.dir, ".git");
    const hook = join(mainGit, "hooks", "post-commit");
    await p.part("gitfile", {
      steps: [
        // Attempt 1 tries to point the worktree at the main .git (refused: .git is read-only
        // inside), then fails so that a second attempt starts with a newly computed policy.
        { run: `[ {attempt} != 1 ] || printf 'gitdir: ${mainGit}\\n' > .git`, allow_fail: true },
        { run: "[ {attempt} != 1 ] || exit 3" },
        { write: { path: hook, content: "#!/bin/sh\ntouch pwned\n" }, expect_fail: true },
        {
          write: { path: join(mainGit, "config"), content: "[core]\n\tfsmonitor = touch pwned\n" },
          expect_fail: true,
        },
        { blocked: "tried" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("gitfile", ["blocked", "failed", "review"], 60_000);
    expect((await p.show("gitfile")).runs.map((r) => r.attempt)).toEqual([1, 2]);
    expect(existsSync(hook), "the agent wrote a hook into the main repository's .git").toBe(false);
    expect(await readFile(join(mainGit, "config"), "utf8")).not.toContain("fsmonitor");
  });

  it("host-side git in a worktree the agent rewired (cleanup's status check) runs none of the agent's config", async () => {
    const p = await makeSandboxProject();
    const pwned = join(p.parent, "pwned-fsmonitor");
    await p.part("rewire", {
      steps: [
        {
          run: `git init -q evil && git -C evil config core.fsmonitor "touch '${pwned}'; false"`,
        },
        // Refused (the worktree's .git is read-only in the sandbox); and were it not, host-side
        // git must still not run the hook.
        { run: "printf 'gitdir: evil/.git\\n' > .git", allow_fail: true },
        { blocked: "please clean me up" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("rewire", ["blocked", "failed"])).state, await sessionLog(p, "rewire")).toBe(
      "blocked",
    );
    // What a person does next with a stuck task: abandon it and clean up.
    for (const args of [
      ["abandon", "rewire"],
      ["cleanup", "rewire"],
      ["cleanup", "rewire", "--force"],
    ]) {
      await p.run(args);
      expect(existsSync(pwned), `ballador ${args.join(" ")} ran the agent's core.fsmonitor on the host`).toBe(
        false,
      );
    }
  });

  it("host-side git does not run the config of a nested repository the agent committed as a submodule", async () => {
    const p = await makeSandboxProject();
    const pwned = join(p.parent, "pwned-submodule");
    await p.part("nested", {
      steps: [
        { run: "git init -q sub && git -C sub commit -q --allow-empty -m inner" },
        { run: "git add sub && git commit -q -m 'add a nested repository'" },
        { run: `git -C sub config core.fsmonitor "touch '${pwned}'; false"` },
        { blocked: "please clean me up" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("nested", ["blocked", "failed"])).state, await sessionLog(p, "nested")).toBe(
      "blocked",
    );
    for (const args of [
      ["abandon", "nested"],
      ["cleanup", "nested"],
      ["cleanup", "nested", "--force"],
    ]) {
      await p.run(args);
      expect(existsSync(pwned), `ballador ${args.join(" ")} ran the agent's core.fsmonitor on the host`).toBe(
        false,
      );
    }
  });
});
