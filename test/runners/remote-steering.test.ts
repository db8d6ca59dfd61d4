/**
 * A remote run in the person's hands after its start (issue 32, spec 0013), against runner hosts
 * in network namespaces: home's max_parallel bounds home's runs only while each runner's
 * max_sessions bounds its own; resume and request-changes send the new attempt to the runner the
 * work was on, with the person's words, and a runner that fails its check refuses it, never
 * running it at home; bootstrap and hooks run on the runner; the dashboard and the brief say
 * where the work ran.
 */
import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { serveDashboard } from "../helpers/dashboard.js";
import { HAVE_RUNNER_HOSTS } from "../helpers/runner-hosts.js";
import { remoteProject, useRunnerHosts } from "../helpers/runner-project.js";
import { cleanupProjects, type Project, type Step, waitFor } from "../helpers/runtime.js";

interface RemoteRunJson {
  id: string;
  attempt: number;
  runner: string | null;
  agentStartedAt: string | null;
}

/** A part whose front matter names its runner (as the person writes it), or none. */
async function part(p: Project, id: string, runner: string | null, steps: Step[]): Promise<void> {
  const file = await p.part(id, { steps });
  if (runner)
    await writeFile(file, (await readFile(file, "utf8")).replace(/^---\n/, `---\nrunner: ${runner}\n`));
}

async function runsOf(p: Project, id: string): Promise<RemoteRunJson[]> {
  return (await p.show(id)).runs as unknown as RemoteRunJson[];
}

async function agentStarted(p: Project, id: string, count = 1): Promise<RemoteRunJson> {
  return waitFor(
    async () => {
      const run = (await runsOf(p, id))[count - 1];
      return run?.agentStartedAt ? run : undefined;
    },
    `${id}'s agent (run ${count}) to start`,
    120_000,
  );
}

const browser = useBrowser();

describe.skipIf(!HAVE_RUNNER_HOSTS)("a remote run in the person's hands (spec 0013)", () => {
  const hosts = useRunnerHosts([{ name: "r1" }], cleanupProjects);

  it("bounds home's runs by max_parallel and a runner's by its max_sessions: 1 here and 2 there at once, the next of each waits", async () => {
    const p = await remoteProject(hosts, { max_parallel: 1 });
    const slow: Step[] = [{ sleep: 40_000 }, { write: { path: "x.txt", content: "x\n" } }, { done: "x" }];
    await part(p, "here1", null, slow);
    await part(p, "there1", "r1", slow);
    await part(p, "there2", "r1", slow);
    await part(p, "there3", "r1", slow);
    await part(p, "here2", null, slow);
    await p.ok(["queue"]);
    const launched = JSON.parse((await p.ok(["launch", "--json"])).stdout) as {
      started: Array<{ id: string; runner: string | null }>;
      deferred: Array<{ id: string; why: string }>;
    };
    expect(launched.started.map((s) => [s.id, s.runner]).sort()).toEqual([
      ["here1", null],
      ["there1", "r1"],
      ["there2", "r1"],
    ]);
    const why = new Map(launched.deferred.map((d) => [d.id, d.why]));
    expect(why.get("there3")).toMatch(/runner r1 is full \(max_sessions 2\)/);
    expect(why.get("here2")).toMatch(/max_parallel/);
    // All three agents at once: one here, two on the runner.
    for (const id of ["here1", "there1", "there2"]) await agentStarted(p, id);
    const running = (await p.status()).tasks.filter((t) => t.state === "running").map((t) => t.id);
    expect(running.sort()).toEqual(["here1", "there1", "there2"]);
    expect((await p.task("there3")).state).toBe("ready");
    expect((await p.task("here2")).state).toBe("ready");
    // A second downbeat while they run starts nothing more, for the same two reasons.
    const again = JSON.parse((await p.ok(["launch", "--json"])).stdout) as { started: unknown[] };
    expect(again.started).toEqual([]);
    for (const id of ["here1", "there1", "there2"]) await p.ok(["stop", id]);
  }, 300_000);

  it("resumes and requests changes of a remote run on its runner, with the person's words; refuses when the runner fails its check; runs bootstrap and hooks there; names the runner in the brief and the dashboard", async () => {
    const r1 = hosts.hosts[0]!;
    const p = await remoteProject(hosts, {
      bootstrap: ["id -un > boot.txt"],
      hooks: { before_launch: "id -un > before.txt" },
    });
    await part(p, "again", null, [
      { run: "echo attempt >> attempts.txt" },
      { commit: "another attempt" },
      { sleep: 12_000 },
      { done: "worked" },
    ]);
    await p.ok(["queue"]);
    // Launched --on r1 (the part names no runner): the later attempts follow the work there.
    await p.ok(["launch", "again", "--on", "r1"]);
    await agentStarted(p, "again");
    await p.ok(["stop", "again"]);
    expect((await p.task("again")).state).toBe("stopped");

    const resumed = await p.run(["resume", "again"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await p.reaches("again", "review");
    let runs = await runsOf(p, "again");
    expect(runs.map((r) => [r.runner, r.attempt])).toEqual([
      ["r1", 1],
      ["r1", 1],
    ]);
    // Bootstrap and before_launch ran in the run's worktree on the runner, as its user.
    expect((await p.git(["show", "ballador/again:boot.txt"])).trim()).toBe(r1.user);
    expect((await p.git(["show", "ballador/again:before.txt"])).trim()).toBe(r1.user);
    const lines = async (file: string) =>
      (await p.git(["show", `ballador/again:${file}`])).split("\n").filter(Boolean).length;
    const before = await lines("attempts.txt");

    // The runner loses its key to the remote: its check fails, and a new attempt is refused there.
    await r1.ssh("mv ~/.ssh/id_ed25519 ~/.ssh/id_ed25519.off");
    try {
      const check = await p.run(["runner", "check", "r1"]);
      expect(check.code).not.toBe(0);
      const refused = await p.run(["request-changes", "again", "use tabs"]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/runner r1 is not usable: .*failed its check/);
      expect(refused.stderr).toMatch(/runner check r1/);
      // Nothing written: still in review, no new run (here or there), the words not recorded.
      expect((await p.task("again")).state).toBe("review");
      expect((await runsOf(p, "again")).length).toBe(2);
      expect((await p.show("again")).notes.filter((n) => n.kind === "request")).toEqual([]);
    } finally {
      await r1.ssh("mv ~/.ssh/id_ed25519.off ~/.ssh/id_ed25519");
    }
    await p.ok(["runner", "check", "r1"]);
    await p.ok(["request-changes", "again", "keep empty lines"]);
    await p.reaches("again", "review");
    runs = await runsOf(p, "again");
    expect(runs.map((r) => [r.runner, r.attempt])).toEqual([
      ["r1", 1],
      ["r1", 1],
      ["r1", 2],
    ]);
    // The agent there was given the person's words, in a run of home's attempt number.
    const last = runs.at(-1) as RemoteRunJson;
    // It continued in the first run's throwaway project there (its worktree, store and HOMEs).
    const repo = (await r1.ssh(`cat ~/ballador/runs/${last.id}/repo.path`)).stdout.trim();
    expect(repo).toMatch(/\/runs\/again-a1-[^/]*\/repo$/);
    const found = await r1.ssh(`find ${repo}/.ballador -name prompt.md`);
    const promptFile =
      found.stdout
        .trim()
        .split("\n")
        .find((f) => /again-a2-/.test(f)) ?? "";
    expect(promptFile).toMatch(/\/again-a2-[^/]*\/prompt\.md$/);
    expect((await r1.ssh(`cat ${promptFile}`)).stdout).toContain("keep empty lines");
    // The new attempt started from the work that came home and added its own.
    expect(await lines("attempts.txt")).toBe(before + 1);

    const brief = await p.ok(["review", "again"]);
    expect(brief.stdout).toMatch(/Ran on runner `r1`/);

    if (!HAVE_CHROMIUM) return;
    const d = await serveDashboard(p);
    const context = await browser().newContext({ viewport: { width: 1600, height: 900 } });
    const page = await context.newPage();
    await page.goto(d.url);
    const row = page.locator('.tbody .trow[data-id="again"]');
    await expect.poll(() => row.locator(".col-runner").textContent(), { timeout: 30_000 }).toBe("r1");
    await page.evaluate(() => {
      location.hash = "#/task/again";
    });
    const fact = page.locator(".facts .fact", { hasText: "runner" });
    await expect.poll(() => fact.locator(".v").textContent(), { timeout: 30_000 }).toBe("r1");
    await context.close();
    d.server.child.kill("SIGTERM");
    await d.server.exited;
  }, 600_000);
});
