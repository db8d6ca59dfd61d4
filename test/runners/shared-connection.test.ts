/**
 * One SSH connection per runner (spec 0013): the relays' sessions to a runner share the one
 * connection `launch` opened (OpenSSH connection sharing, its socket in home's state folder),
 * and kill -9 of the shared connections mid-run is a dropped connection like any other: every
 * run reattaches and comes home once, and the sockets it leaves behind do not stop the next
 * launch. Against a runner host in a network namespace, whose sshd's connections are counted
 * there.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HAVE_RUNNER_HOSTS, sshdConnections } from "../helpers/runner-hosts.js";
import { remoteProject, useRunnerHosts } from "../helpers/runner-project.js";
import { cleanupProjects, commitAndDone, type Project, waitFor } from "../helpers/runtime.js";

interface RunJson {
  agentStartedAt: string | null;
}

async function slowPart(p: Project, id: string, seconds: number): Promise<void> {
  await p.part(id, { steps: [{ sleep: seconds * 1000 }, ...commitAndDone(`${id}.txt`)] });
}

async function agentStarted(p: Project, id: string): Promise<void> {
  await waitFor(
    async () =>
      ((await p.show(id)).runs as unknown as RunJson[]).some((r) => r.agentStartedAt !== null) || undefined,
    `${id}'s agent to start on its runner`,
    90_000,
  );
}

/**
 * The pids of the shared connections whose sockets are in `dir`: the one `launch` opened
 * (`ssh -N`, still under its own command line) and any a session made (`ssh: SOCKET [mux]`).
 */
function sharedMasters(dir: string): number[] {
  const ps = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return ps
    .split("\n")
    .filter(
      (l) =>
        (l.includes(`ssh: ${dir}/`) && l.includes("[mux]")) ||
        (l.includes(`ControlPath=${dir}/`) && / -N -- /.test(l)),
    )
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe.skipIf(!HAVE_RUNNER_HOSTS)("one shared SSH connection per runner (spec 0013)", () => {
  const hosts = useRunnerHosts([{ name: "r1" }], cleanupProjects);

  it("carries every run's session over one connection; kill -9 of it is a dropped connection, and the next launch works", async () => {
    const h = hosts.hosts[0]!;
    const p = await remoteProject(hosts, {
      runners: [{ name: "r1", ssh: "r1", max_sessions: 4, root: `${h.home}/ballador` }],
    });
    await slowPart(p, "one", 25);
    await slowPart(p, "two", 20);
    await slowPart(p, "three", 20);
    await p.part("after", { steps: commitAndDone("after.txt") });
    await p.ok(["queue"]);
    // `runner check` used connections of its own; they are closed by now.
    await waitFor(
      async () => sshdConnections(hosts) === 0 || undefined,
      "check's connections to close",
      30_000,
    );

    await p.ok(["launch", "one", "--on", "r1"]);
    await agentStarted(p, "one");
    await p.ok(["launch", "two", "three", "--on", "r1"]);
    await agentStarted(p, "two");
    await agentStarted(p, "three");
    // Three relays, one connection from home to the runner.
    expect(sshdConnections(hosts)).toBe(1);

    const dir = join(p.dir, ".ballador", "state", "ssh");
    const masters = sharedMasters(dir);
    expect(masters.length).toBeGreaterThan(0);
    for (const pid of masters) process.kill(pid, "SIGKILL");

    for (const id of ["one", "two", "three"]) {
      await p.reaches(id, "review");
      const shown = await p.show(id);
      expect(shown.runs.length, id).toBe(1);
      expect(shown.events.filter((e) => e.to === "review").length, id).toBe(1);
      expect((await p.git(["show", `ballador/${id}:${id}.txt`])).trim()).toBe(`${id}.txt`);
    }
    // The killed connections left their sockets behind: the next launch opens new ones.
    await p.ok(["launch", "after", "--on", "r1"]);
    await p.reaches("after", "review");
  }, 300_000);
});
