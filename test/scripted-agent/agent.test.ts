/**
 * End to end: the built bin runs in a temporary git repository, with real files, real git, real
 * child processes and a real HTTP server. The `ballador` it reports to is a small recorder
 * script, because the real `ballador done` is tested on its own.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CliResult, runProgram } from "../helpers/cli.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin", "ballador-scripted-agent.js");

type Result = CliResult;

let base: string; // temp root: holds the repo, a fake HOME and helper files
let repo: string;
let home: string;
let recordFile: string;
let recorder: string;

/** Runs a program asynchronously, so servers in this process keep answering meanwhile. */
function run(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<Result> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error("empty argv");
  return runProgram(program, args, opts);
}

/**
 * A clean environment: no proxy variables, no global or system git config (so the agent's
 * fallback identity is what signs commits), HOME in the temp dir.
 */
function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: join(home, ".gitconfig-none"),
    BALLADOR_TASK_ID: "extract-events",
    BALLADOR_RUN_ID: "run-7",
    BALLADOR_WORKTREE: repo,
    BALLADOR_BIN: recorder,
    FAKE_BALLADOR_RECORD: recordFile,
    ...extra,
  };
}

async function git(args: string[]): Promise<string> {
  const r = await run(["git", ...args], { cwd: repo, env: baseEnv() });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** Writes the script as YAML and runs the agent on it. */
async function agent(script: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const file = join(base, "script.yaml");
  await writeFile(file, script);
  return run([process.execPath, BIN, "--script", file], { cwd: repo, env: baseEnv(env) });
}

async function recorded(): Promise<{ argv: string[]; cwd: string; task: string }[]> {
  if (!existsSync(recordFile)) return [];
  const text = await readFile(recordFile, "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

// CommonJS on purpose: the temp dir has no package.json, so .js and extension-less files load as CJS.
const RECORDER_SOURCE = `
const fs = require("node:fs");
const argv = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_BALLADOR_RECORD,
  JSON.stringify({ argv, cwd: process.cwd(), task: process.env.BALLADOR_TASK_ID }) + "\\n");
console.log("fake ballador " + argv.join(" "));
process.exit(argv[0] === process.env.FAKE_BALLADOR_REFUSE ? 1 : 0);
`;

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "scripted-agent", "main.js"))) {
    throw new Error(
      "dist/scripted-agent/main.js is missing: build first with `npx tsc -p tsconfig.build.json`",
    );
  }
});

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "ballador-scripted-agent-")));
  repo = join(base, "repo");
  home = join(base, "home");
  await mkdir(repo);
  await mkdir(home);
  recordFile = join(base, "ballador-calls.jsonl");
  recorder = join(base, "fake-ballador.js");
  await writeFile(recorder, RECORDER_SOURCE);
  await git(["init", "-q", "-b", "main"]);
  await writeFile(join(repo, "README.md"), "# demo\n");
  await writeFile(join(repo, "old.txt"), "to be deleted\n");
  await git(["add", "-A"]);
  await git([
    "-c",
    "user.name=Setup",
    "-c",
    "user.email=setup@example.invalid",
    "commit",
    "-q",
    "-m",
    "init",
  ]);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("scripted agent, end to end", () => {
  it("writes, appends, edits, deletes and commits: a real commit with the fallback identity", async () => {
    const r = await agent(`
steps:
  - write: { path: src/deep/a.ts, content: "export const a = 1;\\n" }
  - append: { path: NOTES.md, content: "first\\n" }
  - append: { path: NOTES.md, content: "second\\n" }
  - edit: { path: src/deep/a.ts, find: "= 1", replace: "= 2" }
  - delete: old.txt
  - mkdir: empty/dir
  - run: "echo from-the-shell && ls src/deep"
  - run: ["node", "-e", "console.log('from-argv', process.argv[1])", "arg with spaces"]
  - commit: "feat: add a"
`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await readFile(join(repo, "src/deep/a.ts"), "utf8")).toBe("export const a = 2;\n");
    expect(await readFile(join(repo, "NOTES.md"), "utf8")).toBe("first\nsecond\n");
    expect(existsSync(join(repo, "old.txt"))).toBe(false);
    expect(existsSync(join(repo, "empty/dir"))).toBe(true);
    // Child output is streamed between the step line and its result line.
    expect(r.stdout).toMatch(
      /\[agent\] 7\/9 run: echo from-the-shell && ls src\/deep\nfrom-the-shell\na\.ts\n/,
    );
    expect(r.stdout).toContain("from-argv arg with spaces\n");
    expect(r.stdout).toMatch(/^\[agent\] 1\/9 write: src\/deep\/a\.ts \(20 bytes\)$/m);
    expect(r.stdout).toMatch(/^\[agent\] 9\/9 commit: feat: add a$/m);
    expect(r.stdout).toMatch(/^\[agent\] finished 9 steps, all ok; exit code 0$/m);

    expect(await git(["log", "-1", "--format=%an <%ae>|%cn|%s"])).toBe(
      "Ballador scripted agent <scripted-agent@ballador.invalid>|Ballador scripted agent|feat: add a",
    );
    expect((await git(["show", "--name-status", "--format=", "HEAD"])).split("\n").sort()).toEqual([
      "A\tNOTES.md",
      "A\tsrc/deep/a.ts",
      "D\told.txt",
    ]);
    expect(await git(["status", "--porcelain"])).toBe("");
  });

  it("keeps a configured git identity", async () => {
    await git(["config", "user.name", "Configured Person"]);
    await git(["config", "user.email", "person@example.invalid"]);
    const r = await agent(`steps:\n  - write: { path: x.txt, content: x }\n  - commit: "chore: x"\n`);
    expect(r.code).toBe(0);
    expect(await git(["log", "-1", "--format=%an <%ae>"])).toBe("Configured Person <person@example.invalid>");
  });

  it("stops with exit 1 at a failing run and skips the rest", async () => {
    const r = await agent(`
steps:
  - write: { path: before.txt, content: x }
  - run: "echo failing >&2; exit 7"
  - write: { path: after.txt, content: x }
`);
    expect(r.code).toBe(1);
    expect(existsSync(join(repo, "before.txt"))).toBe(true);
    expect(existsSync(join(repo, "after.txt"))).toBe(false);
    expect(r.stderr).toContain("failing");
    expect(r.stdout).toMatch(/FAILED in \d+ ms: \/bin\/sh -c .* exited with code 7/);
    expect(r.stdout).toContain("stopped at step 2/3 (on_error: stop); exit code 1");
    expect(r.stdout).not.toContain("3/3");
  });

  it("fails a step whose edit text is missing or whose program does not exist", async () => {
    const edit = await agent(`steps:\n  - edit: { path: README.md, find: "absent", replace: x }\n`);
    expect(edit.code).toBe(1);
    expect(edit.stdout).toContain('"absent" not found in README.md');
    const missing = await agent(`steps:\n  - run: ["definitely-not-a-program-xyz"]\n`);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('cannot start "definitely-not-a-program-xyz": not found');
  });

  it("goes on after a failure when the step has allow_fail", async () => {
    const r = await agent(`
steps:
  - run: ["node", "-e", "process.exit(4)"]
    allow_fail: true
  - write: { path: after.txt, content: x }
`);
    expect(r.code).toBe(0);
    expect(existsSync(join(repo, "after.txt"))).toBe(true);
    expect(r.stdout).toMatch(/failed \(allowed\) in \d+ ms: node -e .* exited with code 4/);
    expect(r.stdout).toContain("finished 2 steps: 1 allowed failure; exit code 0");
  });

  it("inverts a step with expect_fail: failing passes, succeeding fails", async () => {
    const pass = await agent(`
steps:
  - write: { path: /proc/ballador-cannot-write-here, content: x }
    expect_fail: true
  - run: "exit 3"
    expect_fail: true
`);
    expect(pass.code).toBe(0);
    expect(pass.stdout.match(/failed as expected/g)).toHaveLength(2);

    const fail = await agent(`
steps:
  - write: { path: inside.txt, content: x }
    expect_fail: true
  - write: { path: never.txt, content: x }
`);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain("expected this step to fail, but it succeeded");
    expect(existsSync(join(repo, "never.txt"))).toBe(false);
  });

  it("exits with the code of an exit step and runs nothing after it", async () => {
    const r = await agent(
      `steps:\n  - print: "about to leave"\n  - exit: 3\n  - write: { path: never.txt, content: x }\n`,
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("about to leave\n");
    expect(existsSync(join(repo, "never.txt"))).toBe(false);
  });

  it("runs every step under on_error: continue and exits 0", async () => {
    const r = await agent(`
on_error: continue
steps:
  - run: "exit 1"
  - delete: does-not-exist.txt
  - write: { path: after.txt, content: x }
`);
    expect(r.code).toBe(0);
    expect(existsSync(join(repo, "after.txt"))).toBe(true);
    expect(r.stdout).toContain("finished 3 steps: 2 failed; exit code 0");
  });

  it("reports through $BALLADOR_BIN (a JS file) with the right argv", async () => {
    const r = await agent(`
steps:
  - note: "chose SQLite: WAL handles many writers"
  - ballador: ["status", "--json"]
  - blocked: "the spec does not say which format"
  - done: { summary: "emitted extraction events" }
  - done: "short form"
  - done: {}
`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("fake ballador note chose SQLite: WAL handles many writers\n");
    const calls = await recorded();
    expect(calls.map((c) => c.argv)).toEqual([
      ["note", "chose SQLite: WAL handles many writers"],
      ["status", "--json"],
      ["blocked", "the spec does not say which format"],
      ["done", "--summary", "emitted extraction events"],
      ["done", "--summary", "short form"],
      ["done"],
    ]);
    expect(calls.every((c) => c.cwd === repo && c.task === "extract-events")).toBe(true);
  });

  it("finds ballador on PATH without $BALLADOR_BIN, and fails the step when done is refused", async () => {
    const binDir = join(base, "bin");
    await mkdir(binDir);
    await writeFile(join(binDir, "ballador"), `#!/usr/bin/env node\n${RECORDER_SOURCE}`);
    await chmod(join(binDir, "ballador"), 0o755);
    const r = await agent(`steps:\n  - done: "all good"\n  - write: { path: after.txt, content: x }\n`, {
      BALLADOR_BIN: undefined,
      PATH: `${binDir}:${process.env.PATH ?? ""}`,
      FAKE_BALLADOR_REFUSE: "done",
    });
    expect(r.code).toBe(1);
    expect((await recorded()).map((c) => c.argv)).toEqual([["done", "--summary", "all good"]]);
    expect(existsSync(join(repo, "after.txt"))).toBe(false);
  });

  it("expands {task}, {run}, {worktree} and {attempt} in every string", async () => {
    const r = await agent(
      `
steps:
  - write: { path: "out/{task}.txt", content: "{task} {run} {worktree} {attempt} {unknown}\\n" }
  - run: ["node", "-e", "console.log('argv:' + process.argv[1])", "{task}-{attempt}"]
  - note: "attempt {attempt} of {task}"
  - commit: "feat({task}): attempt {attempt}"
`,
      { BALLADOR_ATTEMPT: "2" },
    );
    expect(r.code).toBe(0);
    expect(await readFile(join(repo, "out/extract-events.txt"), "utf8")).toBe(
      `extract-events run-7 ${repo} 2 {unknown}\n`,
    );
    expect(r.stdout).toContain("argv:extract-events-2\n");
    expect((await recorded()).map((c) => c.argv)).toEqual([["note", "attempt 2 of extract-events"]]);
    expect(await git(["log", "-1", "--format=%s"])).toBe("feat(extract-events): attempt 2");
  });

  it("defaults {attempt} to 1", async () => {
    const r = await agent(`steps:\n  - print: "attempt={attempt}"\n`);
    expect(r.stdout).toContain("attempt=1\n");
  });

  it("writes a JSON-lines transcript to $BALLADOR_RUN_DIR/inbox", async () => {
    const runDir = join(base, "runs", "run-7");
    const r = await agent(
      `steps:\n  - print: hi\n  - run: "exit 2"\n    allow_fail: true\n  - sleep: 20\n  - exit: 5\n`,
      { BALLADOR_RUN_DIR: runDir },
    );
    expect(r.code).toBe(5);
    const lines = (await readFile(join(runDir, "inbox", "agent-transcript.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ start: true, steps: 4, task: "extract-events", run: "run-7" });
    const steps = lines.filter((l) => typeof l.index === "number");
    expect(steps.map((s) => [s.index, s.kind, s.ok])).toEqual([
      [1, "print", true],
      [2, "run", false],
      [3, "sleep", true],
      [4, "exit", true],
    ]);
    expect(steps[1]).toMatchObject({
      allow_fail: true,
      error: expect.stringContaining("exited with code 2"),
    });
    expect(steps[0].error).toBeNull();
    expect(steps[2].ms).toBeGreaterThanOrEqual(15);
    expect(lines.at(-1)).toMatchObject({ end: true, exit_code: 5, failed: 0, allowed_failures: 1 });
  });

  it("reads a file, expanding ~ to $HOME, and fails on a missing one", async () => {
    await mkdir(join(home, ".ssh"));
    await writeFile(join(home, ".ssh", "id_rsa"), "not really a key\n");
    const r = await agent(`steps:\n  - read: { path: ~/.ssh/id_rsa }\n  - read: ~/missing\n`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("read 17 bytes from ~/.ssh/id_rsa");
    expect(r.stdout).toMatch(/FAILED in \d+ ms: ENOENT: no such file or directory, open '.*\/home\/missing'/);
  });

  describe("http", () => {
    let server: http.Server;
    let requests: { url: string | undefined; host: string | undefined }[];

    beforeEach(async () => {
      requests = [];
      server = http.createServer((req, res) => {
        requests.push({ url: req.url, host: req.headers.host });
        if (req.url?.startsWith("http://allowed.example/")) res.writeHead(200).end("proxied");
        else if (req.url?.startsWith("http://")) res.writeHead(403).end("denied by proxy");
        else res.writeHead(req.url === "/missing" ? 404 : 200).end("hello");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });

    afterEach(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const port = () => (server.address() as AddressInfo).port;

    it("gets 200 from a local server directly, and fails on an unexpected status", async () => {
      const r = await agent(`
steps:
  - http: { url: "http://127.0.0.1:${port()}/x", expect_status: 200 }
  - http: "http://127.0.0.1:${port()}/missing"
    expect_fail: true
  - http: { url: "http://127.0.0.1:${port()}/missing", expect_status: 404 }
  - http: { url: "http://127.0.0.1:${port()}/x", expect_status: 201 }
`);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("ok in");
      expect(r.stdout).toContain("status 200, 5 bytes (direct)");
      expect(r.stdout).toContain("status 201");
      expect(r.stdout).toMatch(/FAILED in \d+ ms: status 200, 5 bytes \(direct\); expected status 201/);
      expect(requests.map((q) => q.url)).toEqual(["/x", "/missing", "/missing", "/x"]);
    });

    it("goes through http_proxy with an absolute URI, honouring no_proxy", async () => {
      const proxy = `http://127.0.0.1:${port()}`;
      const r = await agent(
        `
steps:
  - http: { url: "http://allowed.example/path?q=1", expect_status: 200 }
  - http: { url: "http://denied.example/" }
    expect_fail: true
  - http: { url: "http://localhost:${port()}/direct", expect_status: 200 }
`,
        { http_proxy: proxy, no_proxy: "localhost,.internal" },
      );
      expect(r.code).toBe(0);
      expect(requests).toEqual([
        { url: "http://allowed.example/path?q=1", host: "allowed.example" },
        { url: "http://denied.example/", host: "denied.example" },
        { url: "/direct", host: `localhost:${port()}` },
      ]);
      expect(r.stdout).toContain(`status 403, 15 bytes (via proxy 127.0.0.1:${port()})`);
    });
  });
});

describe("scripted agent, where the script comes from", () => {
  const PROMPT = [
    "# Part: demo",
    "",
    "Some context for the agent.",
    "",
    "```ballador-script",
    "steps:",
    '  - write: { path: from-prompt.txt, content: "ok\\n" }',
    "```",
    "",
  ].join("\n");

  it("reads the first ballador-script block of the prompt file given as argument", async () => {
    await writeFile(join(base, "prompt.md"), PROMPT);
    const r = await run([process.execPath, BIN, join(base, "prompt.md")], { cwd: repo, env: baseEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ballador-script block at line 5");
    expect(await readFile(join(repo, "from-prompt.txt"), "utf8")).toBe("ok\n");
  });

  it("falls back to $BALLADOR_PROMPT_FILE", async () => {
    await writeFile(join(base, "prompt.md"), PROMPT);
    const r = await run([process.execPath, BIN], {
      cwd: repo,
      env: baseEnv({ BALLADOR_PROMPT_FILE: join(base, "prompt.md") }),
    });
    expect(r.code).toBe(0);
    expect(existsSync(join(repo, "from-prompt.txt"))).toBe(true);
  });

  it("reads the prompt from stdin with --stdin", async () => {
    const r = await run([process.execPath, BIN, "--stdin"], { cwd: repo, env: baseEnv(), input: PROMPT });
    expect(r.code).toBe(0);
    expect(existsSync(join(repo, "from-prompt.txt"))).toBe(true);
  });

  it("prefers --script over $BALLADOR_PROMPT_FILE", async () => {
    await writeFile(join(base, "prompt.md"), PROMPT);
    const r = await agent(`steps:\n  - write: { path: from-script.txt, content: x }\n`, {
      BALLADOR_PROMPT_FILE: join(base, "prompt.md"),
    });
    expect(r.code).toBe(0);
    expect(existsSync(join(repo, "from-script.txt"))).toBe(true);
    expect(existsSync(join(repo, "from-prompt.txt"))).toBe(false);
  });

  it("exits 2 saying where it looked when there is no script", async () => {
    const none = await run([process.execPath, BIN], { cwd: repo, env: baseEnv() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      "no script: looked for --script FILE (not given), a prompt file argument (not given), --stdin (not given) and $BALLADOR_PROMPT_FILE (not set)",
    );

    await writeFile(join(base, "plain.md"), "# Just prose\n\n```yaml\nsteps: []\n```\n");
    const noBlock = await run([process.execPath, BIN, join(base, "plain.md")], { cwd: repo, env: baseEnv() });
    expect(noBlock.code).toBe(2);
    expect(noBlock.stderr).toContain("has no ```ballador-script fenced block");

    const unreadable = await run([process.execPath, BIN, "--script", "nope.yaml"], {
      cwd: repo,
      env: baseEnv(),
    });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain("cannot read the --script file nope.yaml");
  });

  it("exits 2 listing every problem of an invalid script, and runs nothing", async () => {
    await writeFile(
      join(base, "prompt.md"),
      "intro\n\n```ballador-script\nsteps:\n  - write: { path: a.txt, content: x }\n  - edit: { path: a.txt }\n  - exit: 300\n```\n",
    );
    const r = await run([process.execPath, BIN, join(base, "prompt.md")], { cwd: repo, env: baseEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid script:");
    expect(r.stderr).toContain("ballador-script block at line 3: step 2 (edit): edit.find: is required");
    expect(r.stderr).toContain("step 3 (exit): exit: must be between 0 and 255");
    expect(existsSync(join(repo, "a.txt"))).toBe(false);
  });

  it("validates and lists the steps without running them with --check", async () => {
    await writeFile(join(base, "prompt.md"), PROMPT);
    const r = await run([process.execPath, BIN, "--check", join(base, "prompt.md")], {
      cwd: repo,
      env: baseEnv(),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("valid, 1 step (on_error: stop)");
    expect(r.stdout).toContain("[agent] 1/1 write: from-prompt.txt (3 bytes)");
    expect(existsSync(join(repo, "from-prompt.txt"))).toBe(false);
  });

  it("rejects unknown options and two sources with exit 2 and the usage", async () => {
    const bad = await run([process.execPath, BIN, "--bogus"], { cwd: repo, env: baseEnv() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Usage: ballador-scripted-agent");
    const two = await run([process.execPath, BIN, "--stdin", "prompt.md"], { cwd: repo, env: baseEnv() });
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("give one script source");
  });
});
