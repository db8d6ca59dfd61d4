/**
 * A remote run's failures (spec 0013), against runner hosts in network namespaces: a runner that
 * failed its check is refused with the reason; kill -9 of the SSH connection, of home's relay
 * and of the runner's supervisor each end truthfully, with nothing run twice and nothing lost.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { HAVE_RUNNER_HOSTS, type RunnerHosts } from "../helpers/runner-hosts.js";
import { useRunnerHosts } from "../helpers/runner-project.js";
import {
  cleanupProjects,
  commitAndDone,
  makeProject,
  type Project,
  type Step,
  waitFor,
} from "../helpers/runtime.js";

interface RemoteRunJson {
  id: string;
  runner: string | null;
  supervisorPid: number | null;
  agentStartedAt: string | null;
  outcome: string | null;
}

async function remoteProject(hosts: RunnerHosts, check: string[]): Promise<Project> {
  const p = await makeProject({
    config: {
      runners: hosts.hosts.map((h) => ({ name: h.name, ssh: h.name, max_sessions: 2 })),
      runners_remote: hosts.remote.url,
      verify: "ls *.txt",
    },
  });
  Object.assign(p.env, hosts.env);
  for (const name of check) await p.ok(["runner", "check", name]);
  return p;
}

/** A part whose agent works for a while (so it can be interrupted), then commits and reports done. */
async function slowPart(p: Project, id: string, seconds = 8): Promise<void> {
  const steps: Step[] = [{ sleep: seconds * 1000 }, ...commitAndDone(`${id}.txt`)];
  await p.part(id, { steps });
  await p.ok(["queue"]);
}

async function runsOf(p: Project, id: string): Promise<RemoteRunJson[]> {
  return (await p.show(id)).runs as unknown as RemoteRunJson[];
}

/** The run once its agent has started on the runner. */
async function agentStarted(p: Project, id: string): Promise<RemoteRunJson> {
  return waitFor(
    async () => (await runsOf(p, id)).find((r) => r.agentStartedAt !== null),
    `${id}'s agent to start on its runner`,
    90_000,
  );
}

const children = (pid: number): number[] =>
  execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);

describe.skipIf(!HAVE_RUNNER_HOSTS)("remote run failures (spec 0013)", () => {
  const hosts = useRunnerHosts(
    [{ name: "r1" }, { name: "nobwrap", pathWithout: ["bwrap"] }],
    cleanupProjects,
  );

  it("refuses a runner that failed its check, with the reason, and claims nothing", async () => {
    const p = await remoteProject(hosts, []);
    const checked = await p.run(["runner", "check", "nobwrap"]);
    expect(checked.code).not.toBe(0);
    await p.part("refused", { steps: commitAndDone("refused.txt") });
    await p.ok(["queue"]);
    const r = await p.run(["launch", "refused", "--on", "nobwrap"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/runner nobwrap is not usable: .*failed its check/);
    expect(r.stderr).toMatch(/bwrap/);
    expect((await p.task("refused")).state).toBe("ready");
    expect(await runsOf(p, "refused")).toEqual([]);
    // Never a silent fall back: --on any with no usable runner refuses too.
    const any = await p.run(["launch", "refused", "--on", "any"]);
    expect(any.code).toBe(4);
    expect(any.stderr).toMatch(/no runner is usable/);
  }, 240_000);

  it("reattaches when the SSH connection is killed: one run, its events applied once", async () => {
    const p = await remoteProject(hosts, ["r1"]);
    await slowPart(p, "cut");
    await p.ok(["launch", "cut", "--on", "r1"]);
    const run = await agentStarted(p, "cut");
    const ssh = children(run.supervisorPid as number);
    expect(ssh.length).toBeGreaterThan(0);
    for (const pid of ssh) process.kill(pid, "SIGKILL");
    await p.reaches("cut", "review");
    expect((await runsOf(p, "cut")).length).toBe(1);
    const shown = await p.show("cut");
    expect(shown.events.filter((e) => e.to === "verifying").length).toBe(1);
    expect(shown.notes.filter((n) => n.kind === "summary").length).toBe(1);
  }, 240_000);

  it("reconciles home's relay killed mid-run: the runner is asked, the relay reopens, the work comes home once", async () => {
    const p = await remoteProject(hosts, ["r1"]);
    await slowPart(p, "home", 10);
    await p.ok(["launch", "home", "--on", "r1"]);
    const run = await agentStarted(p, "home");
    process.kill(run.supervisorPid as number, "SIGKILL");
    await waitFor(
      async () => !(await p.sessions()).includes("bl-home") || undefined,
      "the relay's session to close",
      30_000,
    );
    const status = await p.status();
    expect(status.disagreements.join("\n")).toMatch(/run .* on runner r1 has no relay at home/);
    const repaired = await p.ok(["launch", "--json"]);
    expect(repaired.code).toBe(0);
    await p.reaches("home", "review");
    const runs = await runsOf(p, "home");
    expect(runs.length).toBe(1);
    expect((await p.show("home")).events.filter((e) => e.to === "review").length).toBe(1);
    expect((await p.git(["show", "ballador/home:home.txt"])).trim()).toBe("home.txt");
  }, 240_000);

  it("fails the task with the runner's reason when the runner's supervisor is killed", async () => {
    const p = await remoteProject(hosts, ["r1"]);
    await slowPart(p, "dies", 30);
    await p.ok(["launch", "dies", "--on", "r1"]);
    await agentStarted(p, "dies");
    const panes = await hosts.hosts[0]!.ssh(
      "tmux -L ballador-runner list-panes -a -F '#{session_name} #{pane_pid}'",
    );
    const pid = panes.stdout
      .split("\n")
      .find((l) => l.startsWith("bl-dies "))
      ?.split(" ")[1];
    expect(pid).toBeTruthy();
    await hosts.hosts[0]!.ssh(`kill -9 ${pid}`);
    const t = await p.waitState("dies", ["failed"], 90_000);
    expect(t.reason).toMatch(/runner r1/);
    expect((await runsOf(p, "dies")).length).toBe(1);
  }, 240_000);
});
