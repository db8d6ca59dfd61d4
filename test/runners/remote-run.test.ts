/**
 * Runs on other machines (issue 32, spec 0013), end to end: home's `ballador` sends parts to
 * runner hosts (network namespaces, sshd, a Unix user each) through the run protocol, the code
 * travels through the bare remote over SSH, and the work comes back to review and merges at
 * home. Home's repository is not readable by the runner users: git over SSH and the protocol
 * are the only channels. Scripted agents do the work.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, runProgram } from "../helpers/cli.js";
import { HAVE_RUNNER_HOSTS } from "../helpers/runner-hosts.js";
import { remoteProject, useRunnerHosts } from "../helpers/runner-project.js";
import { cleanupProjects, commitAndDone, type Project, waitFor } from "../helpers/runtime.js";

const quote = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;

/** `ballador attach TASK` in a pane of a tmux server of the test's own; the pane's text once it shows the agent. */
async function attachedScreen(p: Project, task: string): Promise<string> {
  const socket = `bl-attach-${process.pid}-${randomBytes(3).toString("hex")}`;
  const script = join(p.parent, `attach-${task}.sh`);
  const exports = Object.entries(p.env)
    .filter(([k, v]) => v !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && k !== "TMUX")
    .map(([k, v]) => `export ${k}=${quote(v as string)}`);
  await writeFile(
    script,
    [
      ...exports,
      `cd ${quote(p.dir)}`,
      `exec ${quote(process.execPath)} ${quote(BIN)} attach ${task}`,
      "",
    ].join("\n"),
  );
  const tmux = (args: string[]) =>
    runProgram("tmux", ["-L", socket, "-f", "/dev/null", ...args], { cwd: p.dir, env: p.env });
  await tmux(["new-session", "-d", "-x", "160", "-y", "40", `sh ${quote(script)}`]);
  try {
    return await waitFor(
      async () => {
        const pane = await tmux(["capture-pane", "-p", "-J"]);
        return pane.stdout.includes("hello from the runner") ? pane.stdout : undefined;
      },
      "the runner's session in the attached pane",
      60_000,
    );
  } finally {
    await tmux(["kill-server"]);
  }
}

describe.skipIf(!HAVE_RUNNER_HOSTS)("remote runs over SSH (spec 0013)", () => {
  const hosts = useRunnerHosts([{ name: "r1" }, { name: "r2" }], cleanupProjects);

  it("runs a part on a runner, brings it to review at home, and merges it at home", async () => {
    const p = await remoteProject(hosts, { stack: true });
    await p.part("alpha", { steps: commitAndDone("alpha.txt", "from r1\n") });
    await p.ok(["queue"]);
    const launched = await p.ok(["launch", "alpha", "--on", "r1"]);
    expect(launched.stdout).toMatch(/started alpha .* on runner r1/);
    await p.reaches("alpha", "review");
    const show = await p.show("alpha");
    expect(show.runs.at(-1)).toMatchObject({ runner: "r1" });
    // The work came home through the remote: the task branch holds the runner's commit.
    expect((await p.git(["show", "ballador/alpha:alpha.txt"])).trim()).toBe("from r1");
    // Home's repository was never readable there: the runner's copy is its own.
    const seen = await hosts.hosts[0]!.ssh(`ls ${p.dir} 2>&1 || true`);
    expect(seen.stdout).toMatch(/Permission denied/);
    await p.ok(["merge", "alpha"]);
    expect((await p.task("alpha")).state).toBe("merged");
    expect(execFileSync("git", ["show", "main:alpha.txt"], { cwd: p.dir, encoding: "utf8" })).toBe(
      "from r1\n",
    );
  }, 180_000);
  it("conducts six parts across two runners and home in dependency order, stacked, and merges them at home", async () => {
    const p = await remoteProject(hosts, { stack: true });
    const part = async (id: string, runner: string, needs: string[] = []) => {
      const file = await p.part(id, { needs, steps: commitAndDone(`${id}.txt`, `${id} on ${runner}\n`) });
      // runner: is front matter, where the person writes it.
      await writeFile(file, (await readFile(file, "utf8")).replace(/^---\n/, `---\nrunner: ${runner}\n`));
    };
    await part("a", "r1");
    await part("b", "r2");
    await part("c", "local");
    await part("d", "r1", ["a", "b"]);
    await part("e", "any", ["c"]);
    await part("f", "local", ["d", "e"]);
    await p.ok(["queue"]);
    const watch = p.spawn(["launch", "--watch", "--reconcile-every", "2"]);
    for (const id of ["a", "b", "c", "d", "e", "f"]) await p.waitState(id, "review", 150_000);
    watch.child.kill("SIGTERM");
    await watch.exited;
    const where = async (id: string) =>
      ((await p.show(id)).runs.at(-1) as unknown as { runner: string | null }).runner;
    expect([
      await where("a"),
      await where("b"),
      await where("c"),
      await where("d"),
      await where("f"),
    ]).toEqual(["r1", "r2", null, "r1", null]);
    expect(["r1", "r2"]).toContain(await where("e"));
    // d started from a's branch with b's merged in (stacking): its branch holds all three files.
    for (const file of ["a.txt", "b.txt", "d.txt"]) await p.git(["cat-file", "-e", `ballador/d:${file}`]);
    for (const id of ["a", "b", "c", "d", "e", "f"]) await p.ok(["merge", id]);
    for (const id of ["a", "b", "c", "d", "e", "f"])
      expect(execFileSync("git", ["show", `main:${id}.txt`], { cwd: p.dir, encoding: "utf8" })).toMatch(id);
  }, 400_000);
  it("gives the person's hands a remote run: status names the runner, attach goes there, logs -f follows it, stop stops it there", async () => {
    const p = await remoteProject(hosts, { stack: true });
    await p.part("hands", {
      steps: [{ print: "hello from the runner" }, { sleep: 60_000 }, ...commitAndDone("hands.txt")],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "hands", "--on", "r2"]);
    await waitFor(
      async () => (await p.show("hands")).runs.find((r) => r.agentStartedAt),
      "the agent",
      90_000,
    );
    expect((await p.run(["status"])).stdout).toMatch(/hands .*running.* on r2/);
    const attach = JSON.parse((await p.ok(["attach", "hands", "--json"])).stdout) as {
      command: string[];
      live: boolean;
    };
    expect(attach.live).toBe(true);
    const remote = attach.command.at(-1) as string;
    expect(attach.command[0]).toBe("ssh");
    expect(remote).toBe("tmux -L ballador-runner attach-session -t =bl-hands");
    // The same command, asking instead of attaching (no terminal here): the session is there.
    const has = await runProgram(
      "ssh",
      [...attach.command.slice(1, -1), remote.replace("attach-session", "has-session")],
      {
        cwd: p.dir,
        env: p.env,
      },
    );
    expect(has.code).toBe(0);
    // And attached for real, from a terminal: a tmux pane of the test's own server runs
    // `ballador attach`, and the runner's session shows in it.
    const screen = await attachedScreen(p, "hands");
    expect(screen).toContain("hello from the runner");
    const follow = p.spawn(["logs", "-f", "hands"]);
    await waitFor(
      async () => follow.stdout().includes("hello from the runner") || undefined,
      "logs -f to show the agent",
      60_000,
    );
    await p.ok(["stop", "hands"]);
    expect(await follow.exited).toBe(0);
    expect((await p.task("hands")).state).toBe("stopped");
    const left = await hosts.hosts[1]!.ssh(
      "tmux -L ballador-runner has-session -t =bl-hands && echo still there || echo gone",
    );
    expect(left.stdout).toBe("gone\n");
  }, 240_000);
});
