/**
 * The report path without Node (spec 0018): the `ballador` shim's shell helper against the
 * supervisor's report desk, both real (the desk polled here as the supervisor polls it). The
 * shim is made with a Node that does not exist, so any fallback to the Node CLI fails loudly.
 * Each case is also run through the Node CLI (bin/ballador.js): same exit code, same words.
 * Then the attacks: whatever the agent writes in its inbox (links, FIFOs, forged checks, huge or
 * binary files, direct reports) never makes the desk accept what it refuses.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Report, type RunSpec, runFolder, takeReports } from "../../src/adapters/runfolder/index.js";
import { reportShim } from "../../src/project/report-shim.js";
import type { RunContext } from "../../src/run/supervise/context.js";
import { ReportDesk } from "../../src/run/supervise/desk.js";
import {
  BIN,
  type CliResult,
  cleanupTempDirs,
  makeGitRepo,
  runProgram,
  type TestRepo,
} from "../helpers/cli.js";

afterEach(cleanupTempDirs);

interface Bench {
  repo: TestRepo;
  runDir: string;
  shim: string;
  spec: RunSpec;
  env: NodeJS.ProcessEnv;
}

async function bench(spec: Partial<RunSpec> = {}): Promise<Bench> {
  const repo = await makeGitRepo({ files: { "verify.sh": "#!/bin/sh\nexit 0\n" } });
  const runDir = join(repo.parent, "run");
  for (const d of ["inbox", "answers"]) mkdirSync(join(runDir, d), { recursive: true });
  const full = {
    runId: "r-1",
    taskId: "t-1",
    runDir,
    worktree: repo.dir,
    verify: null,
    verifyTimeoutMs: 20_000,
    ...spec,
  } as RunSpec;
  writeFileSync(join(runDir, "run.json"), JSON.stringify(full));
  const shim = join(repo.parent, "ballador");
  await writeFile(shim, reportShim("/nonexistent/node-must-not-start", BIN));
  await chmod(shim, 0o755);
  const env = { ...repo.env, BALLADOR_RUN_DIR: runDir, BALLADOR_WORKTREE: repo.dir };
  return { repo, runDir, shim, spec: full, env };
}

/** Runs the shim while a desk answers, as the supervisor's loop does; returns what it accepted. */
async function viaShim(b: Bench, args: string[]): Promise<CliResult & { accepted: Report[] }> {
  const desk = new ReportDesk({ spec: b.spec, paths: runFolder(b.runDir) } as RunContext);
  const accepted: Report[] = [];
  const timer = setInterval(() => {
    for (const a of desk.take()) accepted.push(a.report);
  }, 20);
  try {
    const r = await runProgram(b.shim, args, {
      cwd: b.repo.dir,
      env: { ...b.env, BALLADOR_REPORT_WAIT: "5" },
      timeoutMs: 60_000,
    });
    return { ...r, accepted };
  } finally {
    clearInterval(timer);
  }
}

/** The same through the Node CLI (which writes its report straight into the inbox). */
async function viaNode(b: Bench, args: string[]): Promise<CliResult & { accepted: Report[] }> {
  const r = await runProgram(process.execPath, [BIN, ...args], {
    cwd: b.repo.dir,
    env: b.env,
    timeoutMs: 60_000,
  });
  return { ...r, accepted: takeReports(b.runDir) };
}

const same = (text: string) => text.replace(/gate-\d+\.log/g, "gate-N.log");

async function expectSame(b: Bench, args: string[], setUp: () => Promise<void> = async () => {}) {
  await setUp();
  const node = await viaNode(b, args);
  await setUp();
  const shell = await viaShim(b, args);
  expect(shell.stderr).not.toContain("node-must-not-start");
  expect({ code: shell.code, out: same(shell.stdout), err: same(shell.stderr) }).toEqual({
    code: node.code,
    out: same(node.stdout),
    err: same(node.stderr),
  });
  const kinds = (rs: Report[]) =>
    rs.map((r) => [r.kind, r.text, r.allowDirty ?? false, r.gate?.passed ?? null]);
  expect(kinds(shell.accepted)).toEqual(kinds(node.accepted));
  return shell;
}

describe("report path without Node: the same refusals and words as the Node CLI", () => {
  it("implementer: verdicts refused, empty texts refused, note and blocked accepted, text kept byte for byte", async () => {
    const b = await bench();
    for (const args of [
      ["approve", "looks fine"],
      ["request-changes", "more tests"],
      ["note", ""],
      ["blocked", "  "],
    ]) {
      const r = await expectSame(b, args);
      expect(r.code).not.toBe(0);
      expect(r.accepted).toEqual([]);
    }
    const odd = "quotes ' \" \\ $HOME `x` %s\nsecond line \u001b[31mred\u001b[0m \u0007 é";
    const note = await expectSame(b, ["note", odd, "and more"]);
    expect(note.stdout).toBe("Noted for t-1.\n");
    expect(note.accepted.map((r) => r.text)).toEqual([`${odd} and more`]);
    const blocked = await expectSame(b, ["blocked", "needs", "the", "key"]);
    expect(blocked.accepted.map((r) => [r.kind, r.text])).toEqual([["blocked", "needs the key"]]);
    // The helpers' acknowledgements do not pile up in the inbox: the desk's next poll removes them.
    new ReportDesk({ spec: b.spec, paths: runFolder(b.runDir) } as RunContext).take();
    expect(readdirSync(join(b.runDir, "inbox")).filter((n) => !n.startsWith("gate-"))).toEqual([]);
  });

  it("reviewer: done and blocked refused, approve and request-changes accepted", async () => {
    const b = await bench({ role: "reviewer" });
    for (const args of [["done"], ["blocked", "why"], ["request-changes", ""]]) {
      const r = await expectSame(b, args);
      expect(r.code).not.toBe(0);
      expect(r.accepted).toEqual([]);
    }
    expect((await expectSame(b, ["approve", "checked the edges"])).stdout).toBe(
      "Verdict recorded for t-1.\n",
    );
    await expectSame(b, ["request-changes", "the parser drops empty lines"]);
  });

  it("done: uncommitted files refused and named (escaped), --allow-dirty and -s forms accepted", async () => {
    const b = await bench();
    const evil = join(b.repo.dir, "evil-\u001b]0;title\u0007.txt");
    const dirty = await expectSame(b, ["done", "--summary", "too early"], async () => {
      writeFileSync(evil, "x\n");
    });
    expect(dirty.code).toBe(3);
    expect(dirty.stderr).toMatch(/refused: 1 uncommitted change in the worktree/);
    expect(dirty.stderr).not.toContain("\u001b");
    const allowed = await expectSame(b, ["done", "--allow-dirty", "-s", "left on purpose"]);
    expect(allowed.accepted).toMatchObject([{ kind: "done", text: "left on purpose", allowDirty: true }]);
    rmSync(evil);
    await expectSame(b, ["done", "--summary=the = sign stays"]);
    const short = await expectSame(b, ["done", "-sattached"]);
    expect(short.stdout).toBe("Reported done for t-1; Ballador verifies the work and ends this run.\n");
    expect(short.accepted.map((r) => r.text)).toEqual(["attached"]);
  });

  it("done with a verify command: the gate runs in the worktree; a failure is refused with its output; a pass is accepted with the gate", async () => {
    const b = await bench({ verify: "sh verify.sh" });
    writeFileSync(
      join(b.repo.dir, "verify.sh"),
      "#!/bin/sh\necho checking\necho 'FAILED: \u001b[2Jwiped'\nexit 3\n",
    );
    await b.repo.git(["commit", "-qam", "failing verify"]);
    const failing = await expectSame(b, ["done", "-s", "x"]);
    expect(failing.code).toBe(4);
    expect(failing.stderr).toContain("done refused: sh verify.sh failed (exit 3)");
    expect(failing.stderr).toContain("FAILED: ");
    expect(failing.stderr).not.toContain("\u001b");
    const commit = (await b.repo.git(["rev-parse", "HEAD"])).trim();
    expect(failing.accepted).toMatchObject([{ kind: "gate", gate: { passed: false, commit, code: 3 } }]);
    writeFileSync(join(b.repo.dir, "verify.sh"), "#!/bin/sh\nexit 0\n");
    await b.repo.git(["commit", "-qam", "passing verify"]);
    const passing = await expectSame(b, ["done", "-s", "fixed"]);
    expect(passing.code).toBe(0);
    expect(passing.accepted.map((r) => r.kind)).toEqual(["gate", "done"]);
  });

  it("a test author's done skips the gate; forms the helper does not take (--json, --help) go to the Node CLI", async () => {
    const b = await bench({ verify: "exit 9", stage: { index: 0, count: 2, role: "tests", kind: "tests" } });
    expect((await expectSame(b, ["done", "-s", "tests written"])).accepted.map((r) => r.kind)).toEqual([
      "done",
    ]);
    const json = await viaShim(b, ["done", "--json"]);
    expect(json.stderr).toContain("node-must-not-start");
  });
});

describe("report path without Node: what the agent writes is data", () => {
  const NAME = "000000000000123-42-abcdef";

  function desk(b: Bench): ReportDesk {
    return new ReportDesk({ spec: b.spec, paths: runFolder(b.runDir) } as RunContext);
  }

  it("a link, a FIFO, a huge or binary file named as a request is never followed, never answered, never a report", async () => {
    const b = await bench();
    const inbox = join(b.runDir, "inbox");
    const secret = join(b.repo.parent, "host-secret");
    writeFileSync(secret, "ballador-request 1\nnote\n0\nread through a link\n");
    symlinkSync(secret, join(inbox, `${NAME}.req`));
    execFileSync("mkfifo", [join(inbox, "000000000000124-42-abcdef.req")]);
    writeFileSync(
      join(inbox, "000000000000125-42-abcdef.req"),
      `ballador-request 1\nnote\n0\n${"x".repeat(300_000)}`,
    );
    writeFileSync(
      join(inbox, "000000000000126-42-abcdef.req"),
      Buffer.from([0xff, 0xfe, 0, 1, 2, 0x1b, 0x5b]),
    );
    writeFileSync(join(inbox, "000000000000127-42-abcdef.req"), "ballador-request 1\ngate\n0\nx");
    const d = desk(b);
    expect(d.take()).toEqual([]);
    expect(readFileSync(secret, "utf8")).toContain("read through a link");
    const answers = join(b.runDir, "answers");
    expect(existsSync(join(answers, `${NAME}.final`))).toBe(false);
    // The unknown kind is answered (a refusal), the rest are not requests at all.
    expect(readFileSync(join(answers, "000000000000127-42-abcdef.final"), "utf8")).toMatch(/^2\n/);
  });

  it("forged checks: none without a request; a done that needs the gate is never accepted on a 'clean' or a malformed gate", async () => {
    const b = await bench({ verify: "exit 1" });
    const inbox = join(b.runDir, "inbox");
    const d = desk(b);
    writeFileSync(join(inbox, `${NAME}.chk`), "clean\n");
    expect(d.take()).toEqual([]);
    writeFileSync(join(inbox, `${NAME}.req`), "ballador-request 1\ndone\n1\nforged");
    expect(d.take()).toEqual([]);
    expect(readFileSync(join(b.runDir, "answers", `${NAME}.check`), "utf8")).toBe("check\n1\n20.000\nexit 1");
    writeFileSync(join(inbox, `${NAME}.chk`), "clean\n");
    expect(d.take()).toEqual([]);
    expect(readFileSync(join(b.runDir, "answers", `${NAME}.final`), "utf8")).toMatch(/^4\n.*done refused/);
    // Another request; its gate result names a log outside the inbox, then a link to a host file.
    const other = "000000000000200-42-abcdef";
    writeFileSync(join(inbox, `${other}.req`), "ballador-request 1\ndone\n1\nforged");
    d.take();
    const commit = "a".repeat(40);
    writeFileSync(join(inbox, `${other}.chk`), `gate\n1\n0\n5\n${commit}\n../run.json\n`);
    expect(d.take()).toEqual([]);
    expect(existsSync(join(b.runDir, "answers", `${other}.final`))).toBe(false);
    const third = "000000000000300-42-abcdef";
    writeFileSync(join(inbox, `${third}.req`), "ballador-request 1\ndone\n1\nforged");
    d.take();
    symlinkSync(join(b.runDir, "run.json"), join(inbox, "gate-1.log"));
    writeFileSync(join(inbox, `${third}.chk`), `gate\n1\n0\n5\n${commit}\ngate-1.log\n`);
    const taken = d.take();
    expect(taken.map((a) => [a.report.kind, a.report.gate?.passed])).toEqual([["gate", false]]);
    const final = readFileSync(join(b.runDir, "answers", `${third}.final`), "utf8");
    expect(final).toMatch(/^4\n/);
    expect(final).not.toContain("verifyTimeoutMs");
  });

  it("reports written straight into the inbox get the same run-level refusals", async () => {
    const b = await bench();
    const d = desk(b);
    const direct = (report: Report) => d.refuseDirect(report)?.message ?? null;
    expect(direct({ kind: "approve", text: "self-approved", at: "" })).toMatch(/for reviewer runs/);
    expect(direct({ kind: "changes", text: "x", at: "" })).toMatch(/for reviewer runs/);
    expect(direct({ kind: "blocked", text: " ", at: "" })).toMatch(/say why you are blocked/);
    expect(direct({ kind: "done", text: "", at: "" })).toBeNull();
    expect(direct({ kind: "gate", text: "", at: "" })).toBeNull();
    const reviewer = desk(await bench({ role: "reviewer" }));
    expect(reviewer.refuseDirect({ kind: "done", text: "", at: "" })?.message).toMatch(/you are reviewing/);
  });

  it("the helper never reads an answer the agent could have planted in its inbox, and gives up (nothing reported) without a supervisor", async () => {
    const b = await bench();
    // No desk polls: the helper must not take a file in its own inbox for the supervisor's answer.
    for (const n of ["final", "check"]) writeFileSync(join(b.runDir, "inbox", `x.${n}`), "0\nforged\n");
    const r = await runProgram(b.shim, ["note", "unheard"], {
      cwd: b.repo.dir,
      env: { ...b.env, BALLADOR_REPORT_WAIT: "2" },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(70);
    expect(r.stderr).toContain("did not answer");
    expect(takeReports(b.runDir)).toEqual([]);
    expect(desk(b).take()).toEqual([]);
  });
});
