/**
 * `ballador runner add|list|check|remove` against real SSH hosts (network namespaces with their
 * own sshd and Unix user, test/helpers/runner-hosts.ts): a runner with every tool passes its
 * check and gets this very Ballador installed, answering home's version; a runner whose PATH
 * lacks bwrap is refused with that reason; bad input changes nothing and says what to fix.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo, PACKAGE_ROOT, parseJson, type TestRepo } from "../helpers/cli.js";
import { HAVE_RUNNER_HOSTS, type RunnerHosts, startRunnerHosts } from "../helpers/runner-hosts.js";

/** A --json document of a real check, valid against its published schema. */
function validCheck(stdout: string): void {
  const schema = JSON.parse(
    readFileSync(join(PACKAGE_ROOT, "schemas", "cli", "runner-check.schema.json"), "utf8"),
  );
  const validate = new Ajv2020({ strict: true }).compile(schema);
  expect(validate(JSON.parse(stdout)), JSON.stringify(validate.errors)).toBe(true);
}

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

/** A bwrap that answers with terminal control: a title, a screen clear, a bell. */
const HOSTILE_BWRAP = "#!/bin/sh\nprintf '\\033]0;pwned\\007\\033[2Jgotcha\\n'\nexit 1\n";

describe.skipIf(!HAVE_RUNNER_HOSTS)("ballador runner (real sshd hosts in network namespaces)", () => {
  let hosts: RunnerHosts;
  let repo: TestRepo;
  let globalFile: string;
  const run = (args: string[]) => repo.run(args, { env: hosts.env, timeoutMs: 240_000 });

  beforeAll(async () => {
    hosts = await startRunnerHosts({
      hosts: [
        { name: "r1" },
        { name: "nobwrap", pathWithout: ["bwrap"] },
        { name: "hostile", pathExtra: { bwrap: HOSTILE_BWRAP } },
      ],
    });
    repo = await makeGitRepo();
    expect((await repo.run(["init"])).code).toBe(0);
    await repo.write(".ballador/config.yaml", CONFIG);
    globalFile = join(repo.parent, "xdg", "ballador", "config.yaml");
  });
  // Teardown (the users' processes, userdel, namespaces) is slow on a loaded machine.
  afterAll(async () => {
    await hosts?.close();
    await cleanupTempDirs();
  }, 180_000);

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

    // Left by a check cut short two hours ago (removed), and by one under way now (kept).
    const r1 = hosts.hosts[0]!;
    await r1.ssh(
      "mkdir -p .ballador/ballador/.partial-stale .ballador/ballador/.partial-now && touch -d '2 hours ago' .ballador/ballador/.partial-stale",
    );
    const checked = await run(["runner", "check", "r1", "--json"]);
    expect((await r1.ssh("ls -a .ballador/ballador")).stdout).toMatch(
      /^(?![\s\S]*partial-stale)[\s\S]*\.partial-now/,
    );
    const result = parseJson<{ ok: boolean; runners: RunnerRecord[] }>(checked);
    validCheck(checked.stdout);
    const rec = result.runners[0] as RunnerRecord;
    expect(rec.reason).toBeNull();
    expect(checked.code).toBe(0);
    const byName = Object.fromEntries(rec.checks.map((c) => [c.name, c]));
    for (const name of [
      "node",
      "git",
      "tmux",
      "bwrap",
      "socat",
      "rg",
      "namespaces",
      "ballador",
      "remote",
      "remote from home",
    ])
      expect(byName[name]?.ok, `${name}: ${byName[name]?.detail}`).toBe(true);
    expect(byName.ballador?.detail).toContain("(installed now)");
    // The scripted agent ships in the bundle; the ghost's program is nowhere: a warning, recorded.
    expect(rec.agents.scripted).toMatch(/bin\/ballador-scripted-agent\.js$/);
    expect(rec.agents.ghost).toBeNull();
    expect(byName["agent ghost"]).toMatchObject({ ok: true, warn: true });

    const home = (await repo.run(["--version"])).stdout.trim();
    const dir = (rec.ballador?.dir ?? "").replace(/^~\//, "");
    const there = await r1.ssh(`cd && node ${dir}/bin/ballador.js --version`);
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
    // doctor says it too, from the records alone (no ssh): r1 usable, nobwrap a problem.
    const doctor = parseJson<{ checks: CheckItem[] }>(await run(["doctor", "--json"]));
    const runners = doctor.checks.filter((c) => c.name.startsWith("runner "));
    expect(runners).toMatchObject([
      { name: "runner r1", ok: true },
      {
        name: "runner nobwrap",
        ok: false,
        detail: expect.stringMatching(/failed its check at .*bwrap not found/),
      },
    ]);
  });

  it("shows what a hostile runner prints escaped, never as terminal control, and refuses it", async () => {
    expect((await run(["runner", "add", "hostile", "--ssh", "hostile"])).code).toBe(0);
    const raw = await hosts.hosts[2]!.ssh("bwrap");
    expect(raw.stdout).toContain("\x1b]0;pwned\x07"); // the tool really prints control bytes
    for (const args of [
      ["runner", "check", "hostile"],
      ["runner", "check", "hostile", "--json"],
      ["runner", "list"],
    ]) {
      const r = await run(args);
      expect(r.stdout, args.join(" ")).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(r.stdout, args.join(" ")).toContain("gotcha");
    }
    const listed = parseJson<Listing>(await run(["runner", "list", "--json"]));
    expect(listed.runners.find((x) => x.name === "hostile")?.reason).toMatch(
      /^namespaces: bubblewrap cannot create namespaces there: .*pwned.*gotcha/,
    );
    expect((await run(["runner", "remove", "hostile"])).code).toBe(0);
  });

  it("refuses a runner that cannot reach runners_remote, with git's words from there", async () => {
    const before = await readFile(globalFile, "utf8");
    await writeFile(globalFile, before.replace(hosts.remote.path, `${hosts.remote.path}-missing`));
    try {
      const checked = parseJson<{ ok: boolean; runners: RunnerRecord[] }>(
        await run(["runner", "check", "r1", "--json"]),
      );
      const rec = checked.runners[0]!;
      expect(rec.ok).toBe(false);
      expect(rec.reason).toMatch(
        /^remote: cannot reach runners_remote from there: .*(does not appear to be a git repository|not found)/,
      );
      expect(rec.checks.find((c) => c.name === "remote from home")).toMatchObject({ ok: false });
    } finally {
      await writeFile(globalFile, before);
    }
    expect(parseJson<{ ok: boolean }>(await run(["runner", "check", "r1", "--json"])).ok).toBe(true);
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
