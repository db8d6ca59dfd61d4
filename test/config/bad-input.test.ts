/**
 * Issue 29, class 4: bad input is refused before anything is written, with the file, the key
 * and the fix. One row per input; each row is a real project (real git, the real CLI) with one
 * task queued, then the bad setting, then the command a person runs. Exit code 1, the message,
 * and the store, worktrees, branches and runs exactly as they were.
 */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cleanupProjects, makeProject, type Project } from "../helpers/runtime.js";

afterEach(cleanupProjects);

interface Row {
  name: string;
  /** Keys laid over the test project's config (a mapping replaces a mapping key by key). */
  config?: Record<string, unknown>;
  /** Anything else the row needs (a linked spec); runs after the task is queued. */
  prepare?: (p: Project) => Promise<void>;
  args: string[];
  /** The key named, and words of the fix. */
  key: string;
  fix: string;
  /** The file named (default: the repository's config). */
  file?: (p: Project) => string;
}

const BWRAP = { mode: "bwrap", allow_hosts: [], allow_write: [] };
const sandbox = (extra: Record<string, unknown>) => ({ sandbox: { ...BWRAP, ...extra } });
const ACK = "i_know_this_disables_the_sandbox: true";

const ROWS: Row[] = [
  {
    name: "base an option",
    config: { base: "--orphan" },
    args: ["launch"],
    key: "base",
    fix: 'cannot start with "-"',
  },
  {
    name: "base no such branch (dry run)",
    config: { base: "nope" },
    args: ["launch", "--dry-run"],
    key: 'base: "nope"',
    fix: "set base: to the branch",
  },
  {
    name: "base no such branch",
    config: { base: "nope" },
    args: ["launch"],
    key: 'base: "nope"',
    fix: "set base:",
  },
  {
    name: "run_timeout 0s",
    config: { run_timeout: "0s" },
    args: ["launch", "--dry-run"],
    key: "run_timeout",
    fix: "more than zero",
  },
  {
    name: "idle_timeout 0m",
    config: { idle_timeout: "0m" },
    args: ["launch", "--dry-run"],
    key: "idle_timeout",
    fix: "more than zero",
  },
  {
    name: "refused_idle 0ms",
    config: { refused_idle: "0ms" },
    args: ["launch"],
    key: "refused_idle",
    fix: "more than zero",
  },
  {
    name: "needs_you.quiet 0s",
    config: { needs_you: { quiet: "0s" } },
    args: ["launch"],
    key: "needs_you.quiet",
    fix: "more than zero",
  },
  {
    name: "profile timeout 0h",
    config: {
      agents: { default: "scripted", profiles: { scripted: { preset: "scripted", timeout: "0h" } } },
    },
    args: ["launch"],
    key: "agents.profiles.scripted.timeout",
    fix: "more than zero",
  },
  {
    name: "allow_write /",
    config: sandbox({ allow_write: ["/"] }),
    args: ["launch", "--dry-run"],
    key: "sandbox.allow_write.0",
    fix: ACK,
  },
  {
    name: "allow_write ~/.ssh",
    config: sandbox({ allow_write: ["~/.ssh"] }),
    args: ["launch"],
    key: "sandbox.allow_write.0",
    fix: ACK,
  },
  {
    name: "allow_write HOME",
    config: sandbox({ allow_write: ["/tmp", "~"] }),
    args: ["launch"],
    key: "sandbox.allow_write.1",
    fix: ACK,
  },
  {
    name: "allow_write inside ~/.aws",
    config: sandbox({ allow_write: ["~/.aws/cli"] }),
    args: ["launch"],
    key: "sandbox.allow_write.0",
    fix: "name only the folder",
  },
  {
    name: "allow_hosts *",
    config: sandbox({ allow_hosts: ["*"] }),
    args: ["launch", "--dry-run"],
    key: "sandbox.allow_hosts.0",
    fix: ACK,
  },
  {
    name: "profile allow_hosts *",
    config: {
      ...sandbox({}),
      agents: { default: "scripted", profiles: { scripted: { preset: "scripted", allow_hosts: ["*"] } } },
    },
    args: ["launch"],
    key: "agents.profiles.scripted.allow_hosts.0",
    fix: "list the hosts",
  },
  {
    name: "copy outside (..)",
    config: { copy: ["../outside.env"] },
    args: ["launch"],
    key: "copy.0",
    fix: "outside the repository",
  },
  {
    name: "copy outside (~)",
    config: { copy: [".env", "~/.aws/credentials"] },
    args: ["launch"],
    key: "copy.1",
    fix: "outside the repository",
  },
  {
    name: "spec a link out of the repository",
    prepare: async (p) => {
      await writeFile(join(p.parent, "outside.md"), "# Not a spec of this repository\n");
      await mkdir(join(p.dir, "docs"), { recursive: true });
      await symlink(join(p.parent, "outside.md"), join(p.dir, "docs", "spec.md"));
      await p.write(
        ".ballador/parts/linked.md",
        "---\nid: linked\ntitle: Linked\nspec: docs/spec.md\n---\nDo it.\n",
      );
    },
    args: ["queue"],
    key: "spec:",
    fix: "name the spec file itself",
    file: () => ".ballador/parts/linked.md",
  },
];

/** What a person would compare: the tasks and their states, worktrees, branches, run folders. */
async function world(p: Project): Promise<string> {
  const tasks = (await p.status()).tasks.map((t) => `${t.id}:${t.state}`);
  const runs = await import("node:fs/promises")
    .then((fs) => fs.readdir(join(p.dir, ".ballador", "state", "runs")))
    .catch(() => []);
  return JSON.stringify({ tasks, worktrees: await p.worktrees(), branches: await p.branches(), runs });
}

async function setBadConfig(p: Project, extra: Record<string, unknown>): Promise<void> {
  const { parse } = await import("yaml");
  const { readFile } = await import("node:fs/promises");
  const file = join(p.dir, ".ballador", "config.yaml");
  const current = parse(await readFile(file, "utf8")) as Record<string, unknown>;
  await writeFile(file, stringify({ ...current, ...extra }));
}

describe("bad input is refused with the file, the key and the fix; nothing is written (issue 29)", () => {
  it.each(ROWS)(
    "$name",
    async (row) => {
      const p = await makeProject();
      await p.part("a", { steps: [{ done: "a" }] });
      await p.git(["add", "-A"]);
      await p.git(["commit", "-q", "-m", "part a"]);
      await p.ok(["queue"]);
      if (row.config) await setBadConfig(p, row.config);
      await row.prepare?.(p);
      // Reading the world needs a config that loads: taken before the bad one is in place.
      const before = row.config ? null : await world(p);
      const r = await p.run(row.args);
      const said = r.stdout + r.stderr;
      expect(r.code, said).toBe(1);
      const file = row.file ? row.file(p) : join(p.dir, ".ballador", "config.yaml");
      expect(said).toContain(file);
      expect(said).toContain(row.key);
      expect(said).toContain(row.fix);
      // --json says the same, as an error object.
      const j = await p.run([...row.args, "--json"]);
      expect(j.code).toBe(1);
      expect(j.stdout + j.stderr).toContain(row.key.replace(/"/g, '\\"'));
      // Nothing was written: put the good config back and look.
      if (row.config) await p.git(["checkout", "--", ".ballador/config.yaml"]);
      const after = await world(p);
      const seen = JSON.parse(after) as {
        tasks: string[];
        worktrees: string[];
        branches: string[];
        runs: string[];
      };
      expect(seen.tasks).toEqual(["a:ready"]);
      expect(seen.worktrees).toHaveLength(1);
      expect(seen.branches.filter((b) => b.startsWith("ballador/"))).toEqual([]);
      expect(seen.runs).toEqual([]);
      if (before) expect(after).toBe(before);
    },
    60_000,
  );

  it("with i_know_this_disables_the_sandbox: true the settings load, and status and doctor say so loudly", async () => {
    const p = await makeProject();
    await p.part("a", { steps: [{ done: "a" }] });
    await setBadConfig(
      p,
      sandbox({ allow_hosts: ["*"], allow_write: ["~"], i_know_this_disables_the_sandbox: true }),
    );
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "-m", "part a, sandbox mostly off"]);
    await p.ok(["queue"]);
    const status = await p.ok(["status"]);
    expect(status.stdout).toContain("SANDBOX MOSTLY OFF");
    expect(status.stdout).toContain('sandbox.allow_hosts.0 "*" lets agents reach every host');
    expect(status.stdout).toContain("sandbox.allow_write.0");
    const json = JSON.parse((await p.ok(["status", "--json"])).stdout) as { sandboxWarning: string };
    expect(json.sandboxWarning).toMatch(/^SANDBOX MOSTLY OFF/);
    const doctor = await p.run(["doctor"]);
    expect(doctor.stdout + doctor.stderr).toContain("SANDBOX MOSTLY OFF");
    expect((await p.run(["launch", "--dry-run"])).code).toBe(0);
  }, 60_000);
});
