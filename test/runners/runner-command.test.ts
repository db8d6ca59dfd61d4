/**
 * `ballador runner add|list|check|remove` against real SSH hosts (network namespaces with their
 * own sshd and Unix user, test/helpers/runner-hosts.ts): a runner with every tool passes its
 * check and gets this very Ballador installed, answering home's version; a runner whose PATH
 * lacks bwrap is refused with that reason; bad input changes nothing and says what to fix.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo, parseJson, type TestRepo } from "../helpers/cli.js";
import { HAVE_RUNNER_HOSTS, type RunnerHosts, startRunnerHosts } from "../helpers/runner-hosts.js";

interface CheckItem {
  name: string;
  ok: boolean;
  warn?: boolean;
  detail: string;
}
interface RunnerRecord {
  name: string;
  ok: boolean;
  reason: string | null;
  checks: CheckItem[];
  ballador: { version: string; build: string; dir: string } | null;
  agents: Record<string, string | null>;
}
interface Listing {
  runners: Array<{
    name: string;
    ssh: string;
    max_sessions: number;
    check: string;
    checked_at: string | null;
    reason: string | null;
  }>;
  runners_remote: string | null;
}

const CONFIG = `# the project's own comment
verify: null
agents:
  default: scripted
  profiles:
    scripted: { preset: scripted }
    ghost: { command: [no-such-agent-anywhere] }
`;

describe.skipIf(!HAVE_RUNNER_HOSTS)("ballador runner (real sshd hosts in network namespaces)", () => {
  let hosts: RunnerHosts;
  let repo: TestRepo;
  let globalFile: string;
  const run = (args: string[]) => repo.run(args, { env: hosts.env, timeoutMs: 240_000 });

  beforeAll(async () => {
    hosts = await startRunnerHosts({ hosts: [{ name: "r1" }, { name: "nobwrap", pathWithout: ["bwrap"] }] });
    repo = await makeGitRepo();
    expect((await repo.run(["init"])).code).toBe(0);
    await repo.write(".ballador/config.yaml", CONFIG);
    globalFile = join(repo.parent, "xdg", "ballador", "config.yaml");
  });
  afterAll(async () => {
    await hosts?.close();
    await cleanupTempDirs();
  });

  it("add then check: doctor's checks pass there, this Ballador is installed there and answers home's version", async () => {
    const added = await run([
      "runner",
      "add",
      "r1",
      "--ssh",
      "r1",
      "--max-sessions",
      "3",
      "--remote",
      hosts.remote.url,
    ]);
    expect(added.stderr).toBe("");
    expect(added.stdout).toContain(`Added runner r1 to ${globalFile}`);
    expect(added.stdout).toContain("Next: ballador runner check r1");
    expect(await readFile(globalFile, "utf8")).toMatch(
      /runners:\n {2}- name: r1\n {4}ssh: r1\n {4}max_sessions: 3/,
    );

    const checked = await run(["runner", "check", "r1", "--json"]);
    const result = parseJson<{ ok: boolean; runners: RunnerRecord[] }>(checked);
    const rec = result.runners[0] as RunnerRecord;
    expect(rec.reason).toBeNull();
    expect(checked.code).toBe(0);
    const byName = Object.fromEntries(rec.checks.map((c) => [c.name, c]));
    for (const name of ["node", "git", "tmux", "bwrap", "socat", "rg", "namespaces", "ballador"])
      expect(byName[name]?.ok, `${name}: ${byName[name]?.detail}`).toBe(true);
    expect(byName.ballador?.detail).toContain("(installed now)");
    // The scripted agent ships in the bundle; the ghost's program is nowhere: a warning, recorded.
    expect(rec.agents.scripted).toMatch(/bin\/ballador-scripted-agent\.js$/);
    expect(rec.agents.ghost).toBeNull();
    expect(byName["agent ghost"]).toMatchObject({ ok: true, warn: true });

    const home = (await repo.run(["--version"])).stdout.trim();
    const dir = (rec.ballador?.dir ?? "").replace(/^~\//, "");
    const there = await hosts.hosts[0]!.ssh(`cd && node ${dir}/bin/ballador.js --version`);
    expect(there.stdout.trim()).toBe(home);

    const listed = parseJson<Listing>(await run(["runner", "list", "--json"]));
    expect(listed.runners).toMatchObject([
      { name: "r1", ssh: "r1", max_sessions: 3, check: "ok", reason: null },
    ]);
    expect(listed.runners_remote).toBe(hosts.remote.url);

    // A second check finds this build there: nothing is sent again.
    const again = parseJson<{ runners: RunnerRecord[] }>(await run(["runner", "check", "r1", "--json"]));
    const second = again.runners[0]!.checks.find((c) => c.name === "ballador");
    expect(second).toMatchObject({ ok: true });
    expect(second?.detail).not.toContain("installed now");
  });

  it("refuses a runner whose PATH lacks bwrap, with the reason, in check and in list", async () => {
    const h = hosts.hosts[1]!;
    expect((await run(["runner", "add", "nobwrap", "--ssh", h.target])).code).toBe(0);
    const checked = await run(["runner", "check", "nobwrap"]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/✗ bwrap +bwrap not found on the runner's PATH \(the sandbox\)/);
    expect(checked.stdout).toMatch(/fix: apt-get install bubblewrap there/);
    expect(checked.stdout).toMatch(/refused: bwrap: bwrap not found/);
    const listed = parseJson<Listing>(await run(["runner", "list", "--json"]));
    const row = listed.runners.find((r) => r.name === "nobwrap");
    expect(row?.check).toBe("failed");
    expect(row?.reason).toMatch(/^bwrap: bwrap not found on the runner's PATH/);
    const human = await run(["runner", "list"]);
    expect(human.stdout).toMatch(/nobwrap +\S+ +4 +failed/);
  });

  it("records a runner ssh cannot reach as failed, with ssh's own words", async () => {
    expect((await run(["runner", "add", "gone", "--ssh", "nobody@no-such-host.invalid"])).code).toBe(0);
    const checked = parseJson<{ ok: boolean; runners: RunnerRecord[] }>(
      await run(["runner", "check", "gone", "--json"]),
    );
    expect(checked.ok).toBe(false);
    expect(checked.runners[0]?.reason).toMatch(
      /^ssh: ssh nobody@no-such-host.invalid failed: .*(resolve|not known)/i,
    );
    expect((await run(["runner", "remove", "gone"])).code).toBe(0);
  });

  it("bad input: says what to fix, with the exit code of its kind, and changes nothing", async () => {
    const before = await readFile(globalFile, "utf8");
    const option = await run(["runner", "add", "evil", "--ssh", "-oProxyCommand=touch /tmp/x"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/not an SSH target: give user@host, a Host of your ~\/.ssh\/config/);
    const reserved = await run(["runner", "add", "local", "--ssh", "box"]);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toMatch(/"local" is reserved/);
    const twice = await run(["runner", "add", "r1", "--ssh", "other@box"]);
    expect(twice.code).toBe(4);
    expect(twice.stderr).toMatch(/a runner named "r1" exists already \(ssh r1.*remove it first/);
    const same = await run(["runner", "add", "r1", "--ssh", "r1"]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("already in");
    const zero = await run(["runner", "add", "z", "--ssh", "box", "--max-sessions", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--max-sessions must be a whole number of at least 1/);
    const unknown = await run(["runner", "check", "nope", "--json"]);
    expect(unknown.code).toBe(3);
    expect(JSON.parse(unknown.stdout).error.code).toBe("unknown_runner");
    const removeUnknown = await run(["runner", "remove", "nope"]);
    expect(removeUnknown.code).toBe(3);
    expect(removeUnknown.stderr).toMatch(/no runner "nope" in the config \(runners: r1, nobwrap\)/);
    expect(await readFile(globalFile, "utf8")).toBe(before);
    expect(existsSync("/tmp/x")).toBe(false);
  });

  it("edits the config in place: comments kept; remove takes the runner and its check out", async () => {
    await writeFile(globalFile, `# my machines\n${await readFile(globalFile, "utf8")}`);
    const removed = await run(["runner", "remove", "nobwrap"]);
    expect(removed.code).toBe(0);
    const text = await readFile(globalFile, "utf8");
    expect(text.startsWith("# my machines\n")).toBe(true);
    expect(text).not.toContain("nobwrap");
    const listed = parseJson<Listing>(await run(["runner", "list", "--json"]));
    expect(listed.runners.map((r) => r.name)).toEqual(["r1"]);
    expect(existsSync(join(repo.dir, ".ballador", "state", "runners", "nobwrap.json"))).toBe(false);
  });
});
