/**
 * The runner hosts of test/helpers/runner-hosts.ts are what every runner test stands on: here they
 * prove they are real separate logins (ssh runs as each host's own user, with the tools a runner
 * needs), that the users cannot read each other's homes nor home's repository, that git reaches the
 * shared bare remote over SSH from both sides, and that teardown leaves nothing behind.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupTempDirs,
  GIT_IDENTITY,
  makeGitRepo,
  makeTempDir,
  runProgram,
  type TestRepo,
} from "../helpers/cli.js";
import { HAVE_RUNNER_HOSTS, type RunnerHosts, startRunnerHosts } from "../helpers/runner-hosts.js";

describe.skipIf(!HAVE_RUNNER_HOSTS)("runner hosts (network namespaces, sshd, one Unix user each)", () => {
  let hosts: RunnerHosts;
  let repo: TestRepo;
  beforeAll(async () => {
    hosts = await startRunnerHosts({
      hosts: [{ name: "r1" }, { name: "r2" }, { name: "nobwrap", pathWithout: ["bwrap"] }],
    });
    repo = await makeGitRepo();
  });
  // Teardown (the users' processes, userdel, namespaces) is slow on a loaded machine.
  afterAll(async () => {
    await hosts?.close();
    await cleanupTempDirs();
  }, 180_000);

  it("logs into each host as its own user, with the tools a runner needs and user namespaces working", async () => {
    const [r1, r2, nobwrap] = hosts.hosts;
    for (const h of [r1, r2]) {
      const r = await h!.ssh(
        "id -un; for c in node git tmux bwrap socat; do command -v $c >/dev/null || echo missing $c; done; " +
          "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-user --unshare-net --die-with-parent id -un",
      );
      expect(r.stderr).toBe("");
      expect(r.stdout.split("\n")).toEqual([h!.user, h!.user, ""]);
    }
    expect(new Set(hosts.hosts.map((h) => h.user)).size).toBe(3);
    const r = await nobwrap!.ssh("command -v node; command -v bwrap || echo no bwrap");
    expect(r.stdout).toMatch(/node\nno bwrap\n$/);
  });

  it("keeps each user out of the other users' homes and out of home's repository", async () => {
    const [r1, r2] = hosts.hosts;
    for (const path of [r2!.home, join(r2!.home, ".ssh", "id_ed25519"), repo.dir, hosts.remote.path]) {
      const r = await r1!.ssh(`ls ${path} || echo refused`);
      expect(r.stdout, path).toBe("refused\n");
      expect(r.stderr, path).toMatch(/Permission denied/);
    }
  });

  it("reaches the bare remote over SSH: home pushes, a runner clones and pushes back, home fetches", async () => {
    const env = { ...process.env, ...GIT_IDENTITY, ...hosts.env };
    const git = (args: string[]) => runProgram("git", args, { cwd: repo.dir, env });
    const pushed = await git(["push", hosts.remote.url, "main:refs/heads/main"]);
    expect(pushed.stderr).not.toMatch(/fatal|denied/);
    expect(pushed.code).toBe(0);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo.dir, encoding: "utf8" }).trim();

    const r1 = hosts.hosts[0]!;
    const url = hosts.remote.url;
    const onRunner = await r1.ssh(
      `set -e; git clone -q ${url} work; cd work; git rev-parse HEAD; ` +
        "git -c user.name=r -c user.email=r@r commit -q --allow-empty -m from-runner; " +
        `git push -q origin HEAD:refs/ballador/runs/r1-test; git rev-parse HEAD`,
    );
    expect(onRunner.stderr).toBe("");
    const [cloned, made] = onRunner.stdout.trim().split("\n");
    expect(cloned).toBe(head);

    const fetched = await git(["fetch", "-q", url, "refs/ballador/runs/r1-test"]);
    expect(fetched.code).toBe(0);
    const got = execFileSync("git", ["rev-parse", "FETCH_HEAD"], { cwd: repo.dir, encoding: "utf8" }).trim();
    expect(got).toBe(made);
  });

  it("refuses a host key it does not know (StrictHostKeyChecking with pinned keys)", async () => {
    const bad = join(await makeTempDir(), "other_known_hosts");
    await writeFile(bad, "");
    const r = await runProgram(
      "ssh",
      ["-F", hosts.sshConfig, "-o", `UserKnownHostsFile=${bad}`, hosts.hosts[0]!.name, "true"],
      { cwd: "/", env: { PATH: process.env.PATH ?? "" } },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Host key verification failed/);
  });
});

describe.skipIf(!HAVE_RUNNER_HOSTS)("runner hosts teardown", () => {
  it("removes the users, the namespaces, the sshd processes and the folder it made", async () => {
    const hosts = await startRunnerHosts({ hosts: [{ name: "t1" }] });
    const h = hosts.hosts[0]!;
    expect(execFileSync("id", ["-un", h.user], { encoding: "utf8" }).trim()).toBe(h.user);
    await hosts.close();
    expect(() => execFileSync("id", [h.user], { stdio: "pipe" })).toThrow();
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(h.netns);
    expect(existsSync(hosts.dir)).toBe(false);
    const ssh = await h.ssh("true").catch((e: Error) => ({ code: 255, stdout: "", stderr: e.message }));
    expect(ssh.code).not.toBe(0);
  });
});
