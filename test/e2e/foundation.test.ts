/**
 * The foundation through the real executable: init, doctor, specs, parts, queue and the
 * read commands, on real git repositories in temporary folders.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CliResult,
  cleanEnv,
  cleanupTempDirs,
  distUrl,
  makeGitRepo,
  makeTempDir,
  parseJson,
  runCli,
  type TestRepo,
} from "../helpers/cli.js";
import { SPEC_SECTIONS } from "../helpers/specs.js";

afterEach(cleanupTempDirs);

/** Every file under `dir` (relative path -> content), skipping .git and .ballador/state folders. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    const rel = relative(dir, full);
    if (rel.split("/").includes(".git") || /(^|\/)\.ballador\/state\//.test(rel)) continue;
    out.set(rel, await readFile(full, "utf8"));
  }
  return out;
}

function expectOk(r: CliResult): CliResult {
  expect(r.code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
  return r;
}

async function initRepo(): Promise<TestRepo> {
  const repo = await makeGitRepo();
  expectOk(await repo.run(["init"]));
  return repo;
}

/** A part file as a person writes it. */
function partText(fields: { id: string; title?: string; needs?: string[]; extra?: string }): string {
  return [
    "---",
    `id: ${JSON.stringify(fields.id)}`,
    `title: ${JSON.stringify(fields.title ?? `Part ${fields.id}`)}`,
    `needs: [${(fields.needs ?? []).join(", ")}]`,
    ...(fields.extra ? [fields.extra] : []),
    "---",
    `Do ${fields.id}.`,
    "",
  ].join("\n");
}

interface StatusJson {
  tasks: Array<{ id: string; title: string; state: string; agent: string }>;
  counts: Record<string, number>;
}

async function taskIds(repo: TestRepo): Promise<string[]> {
  const s = await repo.json<StatusJson>(["status"]);
  return s.tasks.map((t) => t.id);
}

describe("ballador init", () => {
  it("refuses outside a git repository, with a clear message, writing nothing", async () => {
    const dir = await makeTempDir("bl-norepo-");
    const env = cleanEnv(join(dir, "xdg"));
    const r = await runCli(["init"], { cwd: dir, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("is not inside a git repository");
    expect(r.stderr).toContain("git init");
    expect(await readdir(dir)).toEqual([]);
    const j = parseJson<{ error: { code: string; message: string } }>(
      await runCli(["init", "--json"], { cwd: dir, env }),
    );
    expect(j.error).toMatchObject({ code: "not_a_repository" });
    expect(j.error.message).toContain("not inside a git repository");
  });

  it("writes the commented config, the state ignore rules and the spec folder", async () => {
    const repo = await makeGitRepo();
    const r = expectOk(await repo.run(["init"]));
    expect(r.stdout).toContain("wrote .ballador/config.yaml");
    const config = await readFile(join(repo.dir, ".ballador/config.yaml"), "utf8");
    expect(config).toMatch(/^max_parallel: 5$/m);
    expect(config).toMatch(/^base: main$/m);
    for (const key of ["verify:", "bootstrap:", "copy:", "hooks:", "agents:", "sandbox:", "# "]) {
      expect(config).toContain(key);
    }
    expect(await readFile(join(repo.dir, ".ballador/.gitignore"), "utf8")).toMatch(/^state\/$/m);
    expect(existsSync(join(repo.dir, "specs"))).toBe(true);
    expect(existsSync(join(repo.dir, ".ballador/parts"))).toBe(true);
    // The store appears on first use, and git ignores it.
    expectOk(await repo.run(["status"]));
    expect(existsSync(join(repo.dir, ".ballador/state/ballador.db"))).toBe(true);
    expect(await repo.git(["check-ignore", ".ballador/state/ballador.db"])).toContain("ballador.db");
    const untracked = await repo.git(["status", "--porcelain", "--untracked-files=all"]);
    expect(untracked).not.toContain("state/");
  });

  it("changes nothing on a second run and says so; --force rewrites the config", async () => {
    const repo = await initRepo();
    // A person's edit to the config must survive a plain init.
    const configPath = join(repo.dir, ".ballador/config.yaml");
    await writeFile(configPath, `${await readFile(configPath, "utf8")}# my own note\n`);
    const before = await snapshot(repo.dir);
    const mtime = (await stat(configPath)).mtimeMs;

    const again = expectOk(await repo.run(["init"]));
    expect(again.stdout).toContain("nothing changed");
    expect(await snapshot(repo.dir)).toEqual(before);
    expect((await stat(configPath)).mtimeMs).toBe(mtime);
    const j = await repo.json<{ changed: boolean; written: string[] }>(["init"]);
    expect(j).toMatchObject({ changed: false, written: [] });

    const forced = expectOk(await repo.run(["init", "--force"]));
    expect(forced.stdout).toContain("wrote .ballador/config.yaml");
    expect(await readFile(configPath, "utf8")).not.toContain("# my own note");
  });

  it("sets up the repository root when run from a subfolder", async () => {
    const repo = await makeGitRepo({ files: { "src/app.ts": "export {};\n" } });
    expectOk(await repo.run(["init"], { cwd: join(repo.dir, "src") }));
    expect(existsSync(join(repo.dir, ".ballador/config.yaml"))).toBe(true);
    expect(existsSync(join(repo.dir, "src/.ballador"))).toBe(false);
  });

  it("asks for init before other commands", async () => {
    const repo = await makeGitRepo();
    const r = await repo.run(["status"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Run "ballador init"');
  });
});

interface DoctorJson {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; warn?: boolean; detail: string; fix?: string }>;
}

/** A PATH with only the named programs (symlinked from the real PATH), so agents are absent for sure. */
async function pathWith(programs: string[]): Promise<string> {
  const bin = await makeTempDir("bl-bin-");
  for (const p of programs) {
    for (const dir of (process.env.PATH ?? "").split(":")) {
      if (dir && existsSync(join(dir, p))) {
        await symlink(join(dir, p), join(bin, p));
        break;
      }
    }
  }
  return bin;
}

describe("ballador doctor", () => {
  it("fails, naming the fix, when the default claude profile's binary is missing", async () => {
    const repo = await initRepo();
    const PATH = await pathWith(["git", "tmux", "bwrap", "socat"]);
    const r = await repo.run(["doctor", "--json"], { env: { PATH } });
    expect(r.code).toBe(1);
    const j = parseJson<DoctorJson>(r);
    expect(j.ok).toBe(false);
    const names = j.checks.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(["git", "node", "tmux", "repository", "config", "agent claude"]),
    );
    const claude = j.checks.find((c) => c.name === "agent claude");
    expect(claude).toMatchObject({ ok: false, detail: "claude not found on PATH" });
    expect(claude?.fix).toContain("npm install -g @anthropic-ai/claude-code");
    expect(j.checks.find((c) => c.name === "config")?.ok).toBe(true);
    // The person's view says the same.
    const text = await repo.run(["doctor"], { env: { PATH } });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("claude not found on PATH");
    expect(text.stdout).toContain("fix: npm install -g @anthropic-ai/claude-code");
  });

  it("passes when the only profile's command exists (sandbox off, loudly)", async () => {
    const repo = await initRepo();
    await repo.write(
      ".ballador/config.yaml",
      'agents:\n  default: local\n  profiles:\n    local: { command: ["true"] }\nsandbox:\n  mode: none\n',
    );
    const PATH = await pathWith(["git", "tmux", "true"]);
    const r = await repo.run(["doctor", "--json"], { env: { PATH } });
    const j = parseJson<DoctorJson>(r);
    expect(j.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.code).toBe(0);
    expect(j.checks.find((c) => c.name === "agent local")?.detail).toContain("true found at");
    expect(j.checks.find((c) => c.name === "sandbox")).toMatchObject({ ok: true, warn: true });
    expect(j.checks.find((c) => c.name === "sandbox")?.detail).toContain("SANDBOX OFF");
  });

  it("checks bwrap and socat when the sandbox is on, and names the package to install", async () => {
    const repo = await initRepo();
    await repo.write(
      ".ballador/config.yaml",
      'agents:\n  default: local\n  profiles:\n    local: { command: ["true"] }\n',
    );
    const PATH = await pathWith(["git", "tmux", "true"]);
    const r = await repo.run(["doctor", "--json"], { env: { PATH } });
    expect(r.code).toBe(1);
    const failing = parseJson<DoctorJson>(r).checks.filter((c) => !c.ok);
    expect(failing.map((c) => [c.name, c.fix])).toEqual(
      expect.arrayContaining([
        ["bwrap", "apt-get install bubblewrap"],
        ["socat", "apt-get install socat"],
      ]),
    );
    // Only the sandbox's tools are missing: the agent and everything else are fine.
    expect(failing.every((c) => c.fix?.startsWith("apt-get install "))).toBe(true);
  });

  it("reports an invalid config with the key path", async () => {
    const repo = await initRepo();
    await repo.write(".ballador/config.yaml", "max_paralel: 3\n");
    const r = await repo.run(["doctor", "--json"]);
    expect(r.code).toBe(1);
    const config = parseJson<DoctorJson>(r).checks.find((c) => c.name === "config");
    expect(config?.ok).toBe(false);
    expect(config?.detail).toContain("max_paralel: unknown key");
  });
});

describe("ballador spec", () => {
  it("creates numbered specs from the template, lists and checks them", async () => {
    const repo = await initRepo();
    const first = await repo.json<{ path: string; number: number }>(["spec", "new", "Data extraction"]);
    expect(first).toMatchObject({ path: "specs/0001-data-extraction.md", number: 1 });
    expectOk(await repo.run(["spec", "new", "Second: the sequel!"]));
    const text = await readFile(join(repo.dir, first.path), "utf8");
    expect(text).toMatch(/^status: draft$/m);
    for (const section of [...SPEC_SECTIONS, "History"]) {
      expect(text).toContain(`## ${section}\n`);
    }
    expectOk(
      await repo.run(["part", "new", "first-part", "--spec", "1", "--title", "First part of the extraction"]),
    );
    const list = await repo.json<Array<{ number: number; title: string; status: string; parts: number }>>([
      "spec",
      "list",
    ]);
    expect(list.map((s) => [s.number, s.title, s.status, s.parts])).toEqual([
      [1, "Data extraction", "draft", 1],
      [2, "Second: the sequel!", "draft", 0],
    ]);
    const table = expectOk(await repo.run(["spec", "list"]));
    expect(table.stdout).toMatch(/0001\s+Data extraction\s+draft\s+1/);

    const clean = expectOk(await repo.run(["spec", "check"]));
    expect(clean.stdout).toContain("consistent");
    expect(await repo.json(["spec", "check"])).toEqual({ ok: true, problems: [] });
  });

  it("finds a missing section and a part that links to a spec that does not exist", async () => {
    const repo = await initRepo();
    expectOk(await repo.run(["spec", "new", "Data extraction"]));
    const specPath = join(repo.dir, "specs/0001-data-extraction.md");
    await writeFile(specPath, (await readFile(specPath, "utf8")).replace("## Options\n", ""));
    await repo.write(
      ".ballador/parts/0001-data-extraction/orphan.md",
      partText({ id: "orphan", extra: "spec: specs/0009-gone.md" }),
    );
    const r = await repo.run(["spec", "check"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('specs/0001-data-extraction.md: missing section "## Options"');
    expect(r.stdout).toContain(
      '.ballador/parts/0001-data-extraction/orphan.md: links to spec "specs/0009-gone.md", which does not exist',
    );
    const j = parseJson<{ ok: boolean; problems: Array<{ file: string; problem: string; fix: string }> }>(
      await repo.run(["spec", "check", "--json"]),
    );
    expect(j.ok).toBe(false);
    expect(j.problems.map((p) => p.file).sort()).toEqual([
      ".ballador/parts/0001-data-extraction/orphan.md",
      "specs/0001-data-extraction.md",
    ]);
    expect(j.problems.every((p) => p.fix.length > 0)).toBe(true);
  });
});

describe("ballador part new", () => {
  it("scaffolds a part in its spec's folder that queue accepts as written", async () => {
    const repo = await initRepo();
    expectOk(await repo.run(["spec", "new", "Data extraction"]));
    const r = await repo.json<{ path: string }>([
      "part",
      "new",
      "classify-store",
      "--spec",
      "1",
      "--title",
      'Classify "and" store',
      "--scope",
      "src/store/**,src/db.ts",
      "--priority",
      "3",
      "--agent",
      "claude",
    ]);
    expect(r.path).toBe(".ballador/parts/0001-data-extraction/classify-store.md");
    expectOk(
      await repo.run([
        "part",
        "new",
        "extract-events",
        "--spec",
        "1",
        "--title",
        "Emit",
        "--needs",
        "classify-store",
      ]),
    );
    const text = await readFile(join(repo.dir, r.path), "utf8");
    expect(text).toMatch(/^---\nid: classify-store\n/);
    expect(text).toContain('spec: "specs/0001-data-extraction.md"');

    expectOk(await repo.run(["queue"]));
    const show = await repo.json<{
      task: { title: string; scope: string[]; priority: number; spec: string };
    }>(["show", "classify-store"]);
    expect(show.task).toMatchObject({
      title: 'Classify "and" store',
      scope: ["src/store/**", "src/db.ts"],
      priority: 3,
      spec: "specs/0001-data-extraction.md",
    });
  });

  it("refuses to overwrite a part, and refuses an unknown spec or profile", async () => {
    const repo = await initRepo();
    expectOk(await repo.run(["part", "new", "a", "--title", "A"]));
    expect(existsSync(join(repo.dir, ".ballador/parts/unsorted/a.md"))).toBe(true);
    const again = await repo.run(["part", "new", "a", "--title", "A again"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already exists");
    const noSpec = await repo.run(["part", "new", "b", "--title", "B", "--spec", "7"]);
    expect(noSpec.code).not.toBe(0);
    expect(noSpec.stderr).toContain('no spec "7"');
    const noProfile = await repo.run(["part", "new", "c", "--title", "C", "--agent", "gpt9"]);
    expect(noProfile.code).not.toBe(0);
    expect(noProfile.stderr).toContain('no profile "gpt9"');
    expect(existsSync(join(repo.dir, ".ballador/parts/unsorted/b.md"))).toBe(false);
    expect(existsSync(join(repo.dir, ".ballador/parts/unsorted/c.md"))).toBe(false);
  });
});

interface QueueJson {
  files: number;
  inserted: string[];
  updated: string[];
  unchanged: string[];
  skipped: Array<{ id: string; state: string; path: string }>;
}

describe("ballador queue", () => {
  it("the newcomer's story: a cycle is rejected by name with nothing written, then the fixed parts queue", async () => {
    const repo = await initRepo();
    expectOk(await repo.run(["spec", "new", "Data extraction"]));
    const dir = ".ballador/parts/0001-data-extraction";
    await repo.write(`${dir}/a.md`, partText({ id: "a", title: "Lay the ground" }));
    await repo.write(`${dir}/b.md`, partText({ id: "b", title: "Build on it", needs: ["a", "c"] }));
    await repo.write(`${dir}/c.md`, partText({ id: "c", title: "Close the loop", needs: ["b"] }));

    const rejected = await repo.run(["queue"]);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain("nothing was queued");
    expect(rejected.stderr).toContain("dependency cycle: b -> c -> b");
    expect(rejected.stderr).toContain(`b needs c    (${dir}/b.md)`);
    expect(rejected.stderr).toContain(`c needs b    (${dir}/c.md)`);
    // Nothing half-written: not even the valid part "a".
    expect(await taskIds(repo)).toEqual([]);
    const j = parseJson<{ error: { code: string; message: string; details: string[] } }>(
      await repo.run(["queue", "--json"]),
    );
    expect(j.error.code).toBe("invalid_parts");
    expect(j.error.message).toContain("nothing was queued");
    expect(j.error.details.join("\n")).toContain("dependency cycle: b -> c -> b");

    // Remove the cycle: c no longer needs b.
    await repo.write(`${dir}/c.md`, partText({ id: "c", title: "Close the loop" }));
    const queued = expectOk(await repo.run(["queue"]));
    expect(queued.stdout).toContain("queued 3 new");
    const status = await repo.json<StatusJson>(["status"]);
    expect(status.tasks.map((t) => [t.id, t.state, t.agent])).toEqual([
      ["a", "ready", "claude"],
      ["b", "queued", "claude"],
      ["c", "ready", "claude"],
    ]);
    const table = expectOk(await repo.run(["status"]));
    expect(table.stdout).toMatch(/^ID\s+TITLE\s+STATE\s+AGENT\s+ATT\s+AGE\s+BRANCH$/m);
    expect(table.stdout).toMatch(/^b\s+Build on it\s+queued\s+claude\s+0/m);

    const tree = expectOk(await repo.run(["graph"])).stdout;
    expect(tree).toContain("a [ready] Lay the ground");
    expect(tree).toContain("b [queued] Build on it");
    expect(tree).toContain("c [ready] Close the loop");
    expect(tree).toContain("shown above");
    const mermaid = expectOk(await repo.run(["graph", "--format", "mermaid"])).stdout;
    expect(mermaid).toMatch(/^graph TD$/m);
    expect(mermaid).toContain("t_a --> t_b");
    expect(mermaid).toContain("t_c --> t_b");
    const dot = expectOk(await repo.run(["graph", "--format", "dot"])).stdout;
    expect(dot).toMatch(/^digraph ballador \{/);
    expect(dot).toContain('"a" -> "b";');
    expect(dot).toContain('"c" -> "b";');
    const graphJson = await repo.json<{ nodes: unknown[]; edges: unknown[] }>(["graph"]);
    expect(graphJson.nodes).toHaveLength(3);
    expect(graphJson.edges).toEqual([
      { from: "a", to: "b" },
      { from: "c", to: "b" },
    ]);
    const badFormat = await repo.run(["graph", "--format", "svg"]);
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.stderr).toContain("use tree, mermaid or dot");

    const next = await repo.json<{
      ready: Array<{ id: string }>;
      waiting: Array<{ id: string; on: Array<{ id: string; state: string }> }>;
    }>(["next"]);
    expect(next.ready.map((t) => t.id)).toEqual(["a", "c"]);
    expect(next.waiting).toEqual([
      {
        id: "b",
        title: "Build on it",
        on: [
          { id: "a", state: "ready" },
          { id: "c", state: "ready" },
        ],
      },
    ]);
    const nextText = expectOk(await repo.run(["next"])).stdout;
    expect(nextText).toContain("Ready to launch");
    expect(nextText).toContain("b  waits on a (ready), c (ready)");

    // Queueing the same files again changes nothing.
    expect(await repo.json<QueueJson>(["queue"])).toMatchObject({
      inserted: [],
      updated: [],
      unchanged: ["a", "b", "c"],
    });
  });

  it("next lists the first --limit ready and waiting tasks and counts the rest; --all lists every one", async () => {
    const repo = await initRepo();
    const dir = ".ballador/parts/many";
    for (let i = 1; i <= 5; i++)
      await repo.write(`${dir}/r${i}.md`, partText({ id: `r${i}`, extra: `priority: ${i}` }));
    for (let i = 1; i <= 3; i++)
      await repo.write(`${dir}/w${i}.md`, partText({ id: `w${i}`, needs: ["r1"] }));
    expectOk(await repo.run(["queue"]));
    type Next = {
      ready: Array<{ id: string }>;
      waiting: Array<{ id: string; on: Array<{ id: string; state: string }> }>;
      more: { ready: number; waiting: number };
    };
    const page = await repo.json<Next>(["next", "--limit", "2"]);
    // Launch order: highest priority first.
    expect(page.ready.map((t) => t.id)).toEqual(["r5", "r4"]);
    expect(page.waiting.map((t) => [t.id, t.on])).toEqual([
      ["w1", [{ id: "r1", state: "ready" }]],
      ["w2", [{ id: "r1", state: "ready" }]],
    ]);
    expect(page.more).toEqual({ ready: 3, waiting: 1 });
    const text = expectOk(await repo.run(["next", "--limit", "2"])).stdout;
    expect(text).toContain("... and 3 more (ballador next --all)");
    expect(text).toContain("... and 1 more (ballador next --all)");
    expect(text).not.toContain("r3  ");

    const all = await repo.json<Next>(["next", "--all"]);
    expect(all.ready.map((t) => t.id)).toEqual(["r5", "r4", "r3", "r2", "r1"]);
    expect(all.waiting.map((t) => t.id)).toEqual(["w1", "w2", "w3"]);
    expect(all.more).toEqual({ ready: 0, waiting: 0 });
    // The default (50) shows all of these.
    expect((await repo.json<Next>(["next"])).more).toEqual({ ready: 0, waiting: 0 });

    const bad = await repo.run(["next", "--limit", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--limit must be a whole number of at least 1");
  });

  it("rejects one id claimed by two files, naming both, and queues nothing of the batch", async () => {
    const repo = await initRepo();
    await repo.write(".ballador/parts/one/dup.md", partText({ id: "dup" }));
    await repo.write(".ballador/parts/two/dup-again.md", partText({ id: "dup" }));
    await repo.write(".ballador/parts/two/fine.md", partText({ id: "fine" }));
    const r = await repo.run(["queue"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'duplicate id "dup" in .ballador/parts/one/dup.md and .ballador/parts/two/dup-again.md',
    );
    expect(await taskIds(repo)).toEqual([]);
  });

  it("rejects an unknown dependency, naming the file and the missing id", async () => {
    const repo = await initRepo();
    await repo.write(".ballador/parts/x/a.md", partText({ id: "a", needs: ["ghost"] }));
    const r = await repo.run(["queue"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('.ballador/parts/x/a.md: needs: "a" needs "ghost"');
    expect(await taskIds(repo)).toEqual([]);
  });

  it("rejects an unknown agent profile, listing the configured ones", async () => {
    const repo = await initRepo();
    await repo.write(".ballador/parts/x/a.md", partText({ id: "a", extra: "agent: gpt9" }));
    const r = await repo.run(["queue"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '.ballador/parts/x/a.md: agent: no profile "gpt9"; configured profiles: claude',
    );
    expect(await taskIds(repo)).toEqual([]);
    // "any" is always accepted.
    await repo.write(".ballador/parts/x/a.md", partText({ id: "a", extra: "agent: any" }));
    expectOk(await repo.run(["queue"]));
  });

  it("rejects malformed front matter naming file:line", async () => {
    const repo = await initRepo();
    await repo.write(".ballador/parts/x/bad.md", "---\nid: bad\ntitle: Bad\nagent: a: b\n---\nbody\n");
    await repo.write(
      ".ballador/parts/x/typo.md",
      "---\nid: typo\ntitle: Typo\nneeds: []\ndepends: [a]\n---\n",
    );
    const r = await repo.run(["queue"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(".ballador/parts/x/bad.md:4: malformed front matter");
    expect(r.stderr).toContain('.ballador/parts/x/typo.md:5: depends: unknown key "depends"');
    expect(await taskIds(repo)).toEqual([]);
  });

  it("validates without writing on --dry-run, and queues only the paths given", async () => {
    const repo = await initRepo();
    await repo.write(".ballador/parts/x/a.md", partText({ id: "a" }));
    await repo.write(".ballador/parts/y/b.md", partText({ id: "b" }));
    const dry = await repo.json<QueueJson & { dryRun: boolean }>(["queue", "--dry-run"]);
    expect(dry).toMatchObject({ dryRun: true, inserted: ["a", "b"] });
    expect(await taskIds(repo)).toEqual([]);
    expect(await repo.json<QueueJson>(["queue", ".ballador/parts/y"])).toMatchObject({ inserted: ["b"] });
    expect(await taskIds(repo)).toEqual(["b"]);
    const missing = await repo.run(["queue", "no/such/dir"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("no such file or folder: no/such/dir");
  });

  it("re-queueing skips unchanged files, yet a new file claiming an unchanged part's id, or a dependency cycle through it, is still refused", async () => {
    const repo = await initRepo();
    await repo.write(".ballador/parts/x/a.md", partText({ id: "a", title: "A" }));
    await repo.write(".ballador/parts/x/b.md", partText({ id: "b", title: "B", needs: ["a"] }));
    expectOk(await repo.run(["queue"]));
    expect(await repo.json<QueueJson>(["queue"])).toMatchObject({
      inserted: [],
      updated: [],
      unchanged: ["a", "b"],
    });

    await repo.write(".ballador/parts/x/a2.md", partText({ id: "a", title: "Another A" }));
    const dup = await repo.run(["queue"]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('duplicate id "a" in .ballador/parts/x/a.md and .ballador/parts/x/a2.md');
    await rm(join(repo.dir, ".ballador/parts/x/a2.md"));

    // a now needs b, which (unchanged) needs a.
    await repo.write(".ballador/parts/x/a.md", partText({ id: "a", title: "A", needs: ["b"] }));
    const cycle = await repo.run(["queue"]);
    expect(cycle.code).not.toBe(0);
    expect(cycle.stderr).toMatch(/cycle/);
    expect((await repo.json<{ task: { needs: string[] } }>(["show", "a"])).task.needs).toEqual([]);
  });

  it("updates an edited part that has not started, and skips, loudly, one whose task is running", async () => {
    const repo = await initRepo();
    await repo.write(".ballador/parts/x/a.md", partText({ id: "a", title: "Old A" }));
    await repo.write(".ballador/parts/x/b.md", partText({ id: "b", title: "Old B" }));
    expectOk(await repo.run(["queue"]));

    await repo.write(".ballador/parts/x/a.md", partText({ id: "a", title: "New A" }));
    expect(await repo.json<QueueJson>(["queue"])).toMatchObject({ updated: ["a"], unchanged: ["b"] });
    const shown = await repo.json<{
      task: { title: string; state: string };
      events: Array<{ cause: string }>;
    }>(["show", "a"]);
    expect(shown.task).toMatchObject({ title: "New A", state: "ready" });
    expect(shown.events.map((e) => e.cause)).toContain("part updated by re-queue");

    // Start b behind the CLI's back, as the runtime would.
    const { TaskStore } = (await import(distUrl("adapters/store/index.js"))) as {
      TaskStore: {
        open(stateDir: string): {
          transition(id: string, to: string, opts: Record<string, unknown>): void;
          close(): void;
        };
      };
    };
    const store = TaskStore.open(join(repo.dir, ".ballador/state"));
    try {
      store.transition("b", "running", { cause: "test starts it", actor: "test", expectFrom: ["ready"] });
    } finally {
      store.close();
    }
    await repo.write(".ballador/parts/x/b.md", partText({ id: "b", title: "New B" }));
    const r = await repo.json<QueueJson>(["queue"]);
    expect(r.skipped).toEqual([{ id: "b", state: "running", path: ".ballador/parts/x/b.md" }]);
    expect(r.updated).toEqual([]);
    const text = expectOk(await repo.run(["queue"]));
    expect(text.stdout).toContain("b: .ballador/parts/x/b.md changed but the task is running; not updated");
    const b = await repo.json<{ task: { title: string; state: string } }>(["show", "b"]);
    expect(b.task).toMatchObject({ title: "Old B", state: "running" });
  });
});

const HOSTILE_IDS = ["../x", "a;rm -rf", "$(touch pwned)", "Upper"];

describe("hostile ids", () => {
  it("are refused by part new, creating no file anywhere", async () => {
    const repo = await initRepo();
    const before = await snapshot(repo.parent);
    const runs = await Promise.all([
      ...HOSTILE_IDS.map((id) => repo.run(["part", "new", id, "--title", "t"])),
      repo.run(["part", "new", "fine", "--title", "t", "--needs", "$(touch pwned)"]),
    ]);
    for (const [i, r] of runs.entries()) {
      expect(r.code, HOSTILE_IDS[i] ?? "--needs").not.toBe(0);
      expect(r.stderr).toContain("is not a valid id");
    }
    expect(runs.at(-1)?.stderr).toContain("--needs:");
    expect(await snapshot(repo.parent)).toEqual(before);
    expect(existsSync(join(repo.dir, "pwned"))).toBe(false);
    expect(existsSync(join(repo.parent, "pwned"))).toBe(false);
  });

  it("are refused by queue, with nothing queued and no file created", async () => {
    const repo = await initRepo();
    for (const [i, id] of HOSTILE_IDS.entries()) {
      await repo.write(`.ballador/parts/x/p${i}.md`, partText({ id }));
    }
    await repo.write(".ballador/parts/x/needs.md", partText({ id: "ok", needs: ['"$(touch pwned)"'] }));
    const before = await snapshot(repo.parent);
    const r = await repo.run(["queue"]);
    expect(r.code).toBe(1);
    for (const i of HOSTILE_IDS.keys()) expect(r.stderr).toContain(`.ballador/parts/x/p${i}.md:2: id:`);
    expect(r.stderr).toContain('"ok" needs "$(touch pwned)"');
    expect(await taskIds(repo)).toEqual([]);
    expect(await snapshot(repo.parent)).toEqual(before);
    expect(existsSync(join(repo.dir, "pwned"))).toBe(false);
    expect(existsSync(join(repo.parent, "pwned"))).toBe(false);
  });
});

/** The groups `ballador --help` lists its commands under, as a person reads them. */
const HELP_GROUP_HEADINGS = [
  "Set up:",
  "Specs and parts:",
  "Run and watch:",
  "Review and deliver:",
  "More:",
  "For agents, from inside a run (a reviewer also: approve, request-changes):",
];

/** Command paths listed under "Commands:" (or, at the top, the groups of --help) in a help text. */
function subcommands(help: string): string[] {
  const headings = new Set(["Commands:", ...HELP_GROUP_HEADINGS]);
  return help
    .split(/^(?=\S)/m)
    .filter((section) => headings.has(section.split("\n")[0] ?? ""))
    .flatMap((section) => [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1] as string))
    .filter((name) => name !== "help");
}

describe("every command", () => {
  it("has --help with examples and a --json option", async () => {
    const repo = await makeGitRepo();
    const top = expectOk(await repo.run(["--help"])).stdout;
    const commands: string[][] = [];
    const groups = subcommands(top).map((c) => [c]);
    expect(groups.map((g) => g[0])).toEqual(
      expect.arrayContaining([
        "init",
        "doctor",
        "spec",
        "part",
        "queue",
        "status",
        "next",
        "graph",
        "show",
        "done",
      ]),
    );
    // Breadth first, one level at a time, the helps of a level in parallel.
    while (groups.length > 0) {
      const level = groups.splice(0);
      const helps = await Promise.all(level.map((path) => repo.run([...path, "--help"])));
      for (const [i, path] of level.entries()) {
        const name = `ballador ${path.join(" ")} --help`;
        const help = expectOk(helps[i] as CliResult).stdout;
        expect(help, name).toContain("Examples:");
        expect(help, name).toContain("$ ballador ");
        const children = subcommands(help);
        if (children.length === 0) {
          commands.push(path);
          expect(help, name).toContain("--json");
        } else {
          groups.push(...children.map((c) => [...path, c]));
        }
      }
    }
    expect(commands.map((c) => c.join(" "))).toEqual(
      expect.arrayContaining(["spec new", "spec list", "spec check", "part new"]),
    );
  });

  it("prints JSON that parses with --json, for results and for errors", async () => {
    const repo = await makeGitRepo();
    const runs: Array<[string[], number]> = [
      [["init"], 0],
      [["spec", "new", "Data extraction"], 0],
      [["part", "new", "a", "--spec", "1", "--title", "A"], 0],
      [["part", "new", "b", "--spec", "1", "--title", "B", "--needs", "a"], 0],
      [["queue", "--dry-run"], 0],
      [["queue"], 0],
      [["spec", "list"], 0],
      [["spec", "check"], 0],
      [["status"], 0],
      [["next"], 0],
      [["graph"], 0],
      [["show", "b"], 0],
      [["show", "nope"], 3],
      [["part", "new", "Bad!", "--title", "x"], 2],
    ];
    for (const [args, code] of runs) {
      const r = await repo.run([...args, "--json"]);
      expect(r.code, `ballador ${args.join(" ")} --json\n${r.stderr}`).toBe(code);
      const value = parseJson<Record<string, unknown>>(r);
      if (code !== 0) expect(typeof (value.error as { message?: unknown }).message).toBe("string");
    }
    const doctor = await repo.run(["doctor", "--json"]);
    expect(parseJson<DoctorJson>(doctor).checks.length).toBeGreaterThan(3);
    const show = await repo.json<{
      task: { id: string; needs: string[] };
      events: unknown[];
      runs: unknown[];
    }>(["show", "b"]);
    expect(show.task).toMatchObject({ id: "b", needs: ["a"] });
    expect(show.events.length).toBeGreaterThan(0);
    expect(show.runs).toEqual([]);
  });
});

describe("state location", () => {
  it("keeps the task store in BALLADOR_STATE_DIR when it is set, outside the repository", async () => {
    const repo = await initRepo();
    const stateDir = join(repo.parent, "elsewhere");
    await mkdir(stateDir);
    await repo.write(".ballador/parts/x/a.md", partText({ id: "a" }));
    expectOk(await repo.run(["queue"], { env: { BALLADOR_STATE_DIR: stateDir } }));
    expect(existsSync(join(stateDir, "ballador.db"))).toBe(true);
    expect(existsSync(join(repo.dir, ".ballador/state/ballador.db"))).toBe(false);
    expect(await taskIds(repo)).toEqual([]);
    const elsewhere = await repo.json<StatusJson>(["status"], { env: { BALLADOR_STATE_DIR: stateDir } });
    expect(elsewhere.tasks.map((t) => t.id)).toEqual(["a"]);
    await rm(stateDir, { recursive: true });
  });
});
