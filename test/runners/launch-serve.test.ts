/**
 * One runner-serve per runner and launch (spec 0013, "Speed: one serve per launch"): a launch of
 * four runs on a runner starts one `__runner-serve hub` there, not one `__runner-serve run` per
 * run; every run keeps its own supervisor and reaches review once. kill -9 of that serve while
 * it starts the runs is a dropped connection: each relay reattaches with `runner-serve run`, a
 * run whose start was cut short starts over, and every run reaches review exactly once.
 */
import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HAVE_RUNNER_HOSTS, type RunnerHost, sshdConnections } from "../helpers/runner-hosts.js";
import { remoteProject, useRunnerHosts } from "../helpers/runner-project.js";
import { cleanupProjects, commitAndDone, type Project, waitFor } from "../helpers/runtime.js";

/** The runner user's Ballador processes, by what they are: `hub`, `run`, or a supervisor. */
function runnerProcesses(h: RunnerHost): { pid: number; args: string }[] {
  const ps = execFileSync("ps", ["-o", "pid=,args=", "-u", h.user], { encoding: "utf8" });
  return ps
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [pid, ...rest] = l.trim().split(/\s+/);
      return { pid: Number(pid), args: rest.join(" ") };
    });
}

/** Node processes only: the login shell that started one may still be there with the same words. */
const serves = (h: RunnerHost, kind: "hub" | "run") =>
  runnerProcesses(h).filter((p) => p.args.startsWith("node ") && p.args.includes(`__runner-serve ${kind}`));

async function slowPart(p: Project, id: string, seconds: number): Promise<void> {
  await p.part(id, { steps: [{ sleep: seconds * 1000 }, ...commitAndDone(`${id}.txt`)] });
}

/** The relays' session logs (home's side of each run), for a failure's message. */
async function relayLogs(p: Project, ids: readonly string[]): Promise<string> {
  const out: string[] = [];
  for (const id of ids) {
    const run = (await p.show(id)).runs[0] as unknown as { runDir: string } | undefined;
    const log = run ? join(run.runDir, "session.log") : "";
    out.push(`${id}: ${log && existsSync(log) ? readFileSync(log, "utf8") : "(none)"}`);
  }
  return out.join("\n");
}

async function reviewedOnce(p: Project, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await p.reaches(id, "review");
    const shown = await p.show(id);
    expect(shown.runs.length, id).toBe(1);
    expect(shown.events.filter((e) => e.to === "review").length, id).toBe(1);
    expect((await p.git(["show", `ballador/${id}:${id}.txt`])).trim()).toBe(`${id}.txt`);
  }
}

describe.skipIf(!HAVE_RUNNER_HOSTS)("one runner-serve per runner and launch (spec 0013)", () => {
  const hosts = useRunnerHosts([{ name: "r1" }], cleanupProjects);

  it("serves four runs of one launch from one process over one connection; all reach review", async () => {
    const h = hosts.hosts[0] as RunnerHost;
    const p = await remoteProject(hosts, {
      runners: [{ name: "r1", ssh: "r1", max_sessions: 8, root: `${h.home}/ballador` }],
    });
    const ids = ["a1", "a2", "a3", "a4"];
    for (const id of ids) await slowPart(p, id, 20);
    await p.ok(["queue"]);
    await waitFor(
      async () => sshdConnections(hosts) === 0 || undefined,
      "check's connections to close",
      30_000,
    );

    await p.ok(["launch", ...ids, "--on", "r1"]);
    // Every agent started: four supervisors there, one serve for them, no serve of its own per run.
    await waitFor(
      async () => {
        const shows = await Promise.all(ids.map((id) => p.show(id)));
        return shows.every((s) =>
          s.runs.some((r) => (r as { agentStartedAt?: string | null }).agentStartedAt),
        )
          ? true
          : undefined;
      },
      "the four agents to start on r1",
      120_000,
    );
    expect(serves(h, "hub").length).toBe(1);
    expect(serves(h, "run").length, await relayLogs(p, ids)).toBe(0);
    expect(runnerProcesses(h).filter((x) => x.args.includes("supervisor")).length).toBeGreaterThanOrEqual(4);
    expect(sshdConnections(hosts)).toBe(1);

    await reviewedOnce(p, ids);
    // Its runs over, the serve is gone, and so is its socket.
    await waitFor(async () => serves(h, "hub").length === 0 || undefined, "the serve to end", 30_000);
    const serveDir = join(h.home, "ballador", "serve");
    expect(existsSync(serveDir) ? readdirSync(serveDir) : []).toEqual([]);
  }, 400_000);

  it("kill -9 of the serve while it starts the runs: each run reattaches, starts once, and reaches review", async () => {
    const h = hosts.hosts[0] as RunnerHost;
    const p = await remoteProject(hosts, {
      runners: [{ name: "r1", ssh: "r1", max_sessions: 8, root: `${h.home}/ballador` }],
    });
    const ids = ["k1", "k2", "k3"];
    for (const id of ids) await slowPart(p, id, 15);
    await p.part("k4", { steps: commitAndDone("k4.txt") });
    await p.ok(["queue"]);

    const runs = join(h.home, "ballador", "runs");
    // launch waits for the agents' start, which the kill puts off by a reattach.
    const launched = p.run(["launch", ...ids, "--on", "r1"], { timeoutMs: 180_000 });
    // The moment the serve has taken its first order (its run's folder made), it is killed.
    let killed = 0;
    for (const end = Date.now() + 120_000; killed === 0 && Date.now() < end; ) {
      const taken =
        existsSync(runs) && readdirSync(runs).some((d) => existsSync(join(runs, d, "order.json")));
      const hub = taken ? serves(h, "hub")[0] : undefined;
      if (hub) {
        process.kill(hub.pid, "SIGKILL");
        killed = hub.pid;
      } else await new Promise((r) => setTimeout(r, 5));
    }
    expect(killed).toBeGreaterThan(0);
    const out = await launched;
    expect(out.code, `${out.stdout}\n${out.stderr}\n${await relayLogs(p, ids)}`).toBe(0);
    await reviewedOnce(p, ids);
    // One supervisor's run per task on the runner: nothing started twice.
    const started = readdirSync(runs).filter((d) => {
      const order = join(runs, d, "order.json");
      return existsSync(order) && ids.includes(JSON.parse(readFileSync(order, "utf8")).taskId);
    });
    expect(started.length).toBe(ids.length);
    // The kill was seen at home: the relays that were on the serve reattached.
    let reattached = 0;
    for (const id of ids) {
      const run = (await p.show(id)).runs[0] as unknown as { runDir: string };
      if (readFileSync(join(run.runDir, "session.log"), "utf8").includes("reattaching")) reattached += 1;
    }
    expect(reattached, await relayLogs(p, ids)).toBeGreaterThan(0);
    // A killed serve leaves its socket when it dies listening: one is made so here, for sure.
    const serveDir = join(h.home, "ballador", "serve");
    const stale = join(serveDir, "0123456789abcdef.sock");
    const listener = spawn("socat", [`UNIX-LISTEN:${stale}`, "-"], { stdio: "ignore" });
    await waitFor(async () => existsSync(stale) || undefined, "a listening socket", 20_000);
    listener.kill("SIGKILL");
    await new Promise((r) => listener.once("exit", r));
    // The runner user's own, as a serve of theirs would have left it.
    const owner = statSync(join(h.home, "ballador"));
    chownSync(stale, owner.uid, owner.gid);
    expect(existsSync(stale)).toBe(true);
    // The next launch's serve clears it, and its own socket once its run has sent its order.
    await p.ok(["launch", "k4", "--on", "r1"]);
    await reviewedOnce(p, ["k4"]);
    await waitFor(async () => serves(h, "hub").length === 0 || undefined, "the serve to end", 30_000);
    expect(readdirSync(serveDir)).toEqual([]);
  }, 400_000);
});
