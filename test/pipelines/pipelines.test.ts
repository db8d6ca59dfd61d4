/**
 * Roles and pipelines (issue 16): scripted agents play the roles, each as its own profile, in
 * real worktrees and the real sandbox; the gates between stages are judged host-side from git.
 *
 * The project: verify.sh runs every test/*.sh; the base has none that fail. The part asks for
 * src/shout.txt saying HELLO. The test author writes test/shout.sh (which fails until then), the
 * implementer writes src/shout.txt, the auditor reads it and answers with a verdict.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  cleanupProjects,
  commitAndDone,
  launchedToReview,
  makeProject,
  type Project,
  type Step,
} from "../helpers/runtime.js";
import { briefSection, reviewBrief } from "../helpers/verification.js";

afterEach(cleanupProjects);

const VERIFY = `#!/bin/sh
status=0
for t in test/*.sh; do
  [ -f "$t" ] || continue
  if sh "$t"; then echo "ok $t"; else echo "TEST-FAIL $t"; status=1; fi
done
exit $status
`;

/** The test that codifies the part: fails on the base (no src/shout.txt). */
const SHOUT_TEST = "grep -qx HELLO src/shout.txt\n";

interface Scripts {
  author?: Step[];
  builder?: Step[];
  auditor?: Step[];
}

const AUTHOR_OK: Step[] = [
  ...commitAndDone("test/shout.sh", `# attempt {attempt}\n${SHOUT_TEST}`, {
    commit: "test: shout says HELLO",
    done: "wrote test/shout.sh",
  }),
];
const BUILDER_OK: Step[] = [
  ...commitAndDone("src/shout.txt", "HELLO\n", { commit: "shout", done: "wrote src/shout.txt" }),
];
const AUDITOR_OK: Step[] = [{ run: "ballador approve 'read src/shout.txt: nothing unsafe'" }];

interface PipelineProject extends Project {
  /** [profile, stage, outcome] of every run, in order. */
  runs(id: string): Promise<Array<[string, string | null, string | null]>>;
  gateResults(id: string): Promise<Array<{ stage: number; role: string; passed: boolean; summary: string }>>;
}

/**
 * A project whose three profiles (author, builder, auditor) each follow their own script, with
 * roles naming them; `config` is merged over that, sandbox bwrap unless it says otherwise.
 */
async function pipelineProject(
  scripts: Scripts,
  config: Record<string, unknown> = {},
  part: { pipeline?: unknown; pause_after?: unknown } = { pipeline: "tdd" },
): Promise<PipelineProject> {
  const p = await makeProject({
    files: {
      "verify.sh": VERIFY,
      "src/greet.txt": "hello\n",
      "test/greet.sh": "grep -q hello src/greet.txt\n",
    },
  });
  await chmod(join(p.dir, "verify.sh"), 0o755);
  const profiles: Record<string, unknown> = {};
  for (const [name, steps] of Object.entries({
    author: scripts.author ?? AUTHOR_OK,
    builder: scripts.builder ?? BUILDER_OK,
    auditor: scripts.auditor ?? AUDITOR_OK,
  })) {
    const file = join(p.parent, `${name}.yaml`);
    await writeFile(file, stringify({ steps }));
    profiles[name] = { command: ["ballador-scripted-agent", "--script", file] };
  }
  await p.write(
    ".ballador/config.yaml",
    stringify({
      base: "main",
      max_parallel: 5,
      max_attempts: 1,
      tmux_socket: p.socket,
      verify: "./verify.sh",
      tests: ["test/**"],
      agents: { default: "builder", profiles },
      roles: {
        "test-author": { profile: "author" },
        implementer: { profile: "builder" },
        "security-auditor": { profile: "auditor" },
      },
      sandbox: { mode: "bwrap", allow_hosts: [] },
      ...config,
    }),
  );
  const front = { id: "shout", title: "Shout", ...part };
  await p.write(".ballador/parts/shout.md", `---\n${stringify(front)}---\nsrc/shout.txt says HELLO.\n`);
  await p.git(["add", "-A"]);
  await p.git(["commit", "-qm", "pipeline project"]);
  const pp = p as PipelineProject;
  const waitState = p.waitState;
  pp.waitState = (id, states, ms = 90_000) => waitState(id, states, ms);
  pp.runs = async (id) => {
    const shown = (await p.show(id)) as unknown as {
      runs: Array<{ profile: string; stage: string | null; outcome: string | null }>;
    };
    return shown.runs.map((r) => [r.profile, r.stage, r.outcome]);
  };
  pp.gateResults = async (id) => {
    const shown = (await p.show(id)) as unknown as {
      gates: Array<{ stage: number; role: string; passed: boolean; summary: string }>;
    };
    return shown.gates.map((g) => ({ stage: g.stage, role: g.role, passed: g.passed, summary: g.summary }));
  };
  return pp;
}

async function statusOf(
  p: Project,
  id: string,
): Promise<{ state: string; stage: string | null; reason: string | null }> {
  const t = (await p.status()).tasks.find((x) => x.id === id) as unknown as {
    state: string;
    stage: string | null;
    reason: string | null;
  };
  return { state: t.state, stage: t.stage, reason: t.reason };
}

describe("pipelines", () => {
  it("tdd runs test-author → implementer → security-auditor to review, each role with its own profile", async () => {
    const p = await pipelineProject({});
    await launchedToReview(p, "shout");
    expect(await p.runs("shout")).toEqual([
      ["author", "test-author", "gate-passed"],
      ["builder", "implementer", "verified"],
      ["auditor", "security-auditor", "approved"],
    ]);
    const gates = await p.gateResults("shout");
    expect(gates.map((g) => [g.role, g.passed])).toEqual([
      ["test-author", true],
      ["implementer", true],
      ["security-auditor", true],
    ]);
    expect(gates[0]?.summary).toContain("the tests fail on the code as it is");
    expect(await statusOf(p, "shout")).toMatchObject({ state: "review", stage: "3/3 done" });
    // The work of both stages is on the branch; the test author's test is as it wrote it.
    expect(await p.git(["show", "ballador/shout:src/shout.txt"])).toBe("HELLO\n");
    expect(await p.git(["show", "ballador/shout:test/shout.sh"])).toContain(SHOUT_TEST);
    // Each stage's prompt is its role's.
    const shown = await p.show("shout");
    const prompts = await Promise.all(shown.runs.map((r) => readFile(join(r.runDir, "prompt.md"), "utf8")));
    expect(prompts[0]).toContain("You are the **test author**");
    expect(prompts[1]).toContain("You are the **implementer**");
    expect(prompts[1]).toContain("test-author: wrote test/shout.sh");
    expect(prompts[2]).toContain("You are the **security auditor**");
    // The brief gives each stage its section: who, what they claimed, what the gate observed.
    const brief = await reviewBrief(p, "shout");
    const first = briefSection(brief.markdown, "Stage 1: test-author");
    expect(first).toContain("Who: author.");
    expect(first).toContain("What they claimed: wrote test/shout.sh");
    expect(first).toContain("ok: the tests fail on the code as it is: ./verify.sh failed");
    expect(briefSection(brief.markdown, "Stage 2: implementer")).toContain(
      "ok: the test author's files unchanged",
    );
    expect(briefSection(brief.markdown, "Stage 3: security-auditor")).toContain("approved by auditor");
    const next = await p.ok(["next"]);
    expect(next.stdout).toContain("3/3 done");
    const graph = await p.ok(["graph"]);
    expect(graph.stdout).toContain("shout [review: 3/3 done]");
  });

  it("an implementer that edits the test author's tests fails its gate and is sent back", async () => {
    const p = await pipelineProject(
      {
        builder: [
          { write: { path: "src/shout.txt", content: "HELLO\n" } },
          // The first time it also "fixes" the test so that anything passes; the second time it
          // puts the test author's version back.
          {
            run: `if git log --format=%s | grep -q '^impl'; then git checkout HEAD~1 -- test/shout.sh; else printf 'true\\n' > test/shout.sh; fi`,
          },
          { commit: "impl {attempt}" },
          { done: "implemented" },
        ],
      },
      { max_attempts: 2, sandbox: { mode: "none" } },
      { pipeline: ["test-author", "implementer"] },
    );
    await launchedToReview(p, "shout");
    expect(await p.runs("shout")).toEqual([
      ["author", "test-author", "gate-passed"],
      ["builder", "implementer", "gate-failed"],
      ["builder", "implementer", "done"],
    ]);
    const gates = await p.gateResults("shout");
    expect(gates.map((g) => [g.role, g.passed])).toEqual([
      ["test-author", true],
      ["implementer", false],
      ["implementer", true],
    ]);
    // Verify passed (the edited test passes anything): only the gate's own check caught it.
    expect(gates[1]?.summary).toBe("the test author's files unchanged: changed: test/shout.sh");
    const shown = await p.show("shout");
    const retryPrompt = await readFile(join(shown.runs[2]!.runDir, "prompt.md"), "utf8");
    expect(retryPrompt).toContain("the test author's files unchanged: changed: test/shout.sh");
    expect(await p.git(["show", "ballador/shout:test/shout.sh"])).toContain(SHOUT_TEST);
  });

  it("an implementer that changes how tests run (conftest.py, vitest.config.ts, scripts.test) fails its gate, the file named", async () => {
    const cases: Array<{ file: string; content: string; named: string; npm?: boolean }> = [
      { file: "conftest.py", content: "collect_ignore_glob = ['*']\n", named: "conftest.py" },
      {
        file: "vitest.config.ts",
        content: "export default { test: { passWithNoTests: true } };\n",
        named: "vitest.config.ts",
      },
      {
        file: "package.json",
        content: `${JSON.stringify({ name: "shout", scripts: { test: "exit 0" } })}\n`,
        named: "package.json (scripts.test)",
        npm: true,
      },
    ];
    const projects = await Promise.all(
      cases.map(async (c) => {
        const p = await pipelineProject(
          {
            builder: [
              { write: { path: "src/shout.txt", content: "HELLO\n" } },
              { write: { path: c.file, content: c.content } },
              { commit: "shout, and a change to how tests run" },
              { done: "implemented" },
            ],
          },
          { sandbox: { mode: "none" }, ...(c.npm ? { verify: "npm test" } : {}) },
          { pipeline: ["test-author", "implementer"] },
        );
        if (c.npm) {
          // The base runs its tests through npm: scripts.test decides how they run.
          await p.write(
            "package.json",
            `${JSON.stringify({ name: "shout", scripts: { test: "./verify.sh" } })}\n`,
          );
          await p.git(["add", "-A"]);
          await p.git(["commit", "-qm", "npm test runs verify.sh"]);
        }
        await p.ok(["queue"]);
        await p.ok(["launch"]);
        return p;
      }),
    );
    for (const [i, c] of cases.entries()) {
      const p = projects[i] as PipelineProject;
      const t = await p.reaches("shout", "failed");
      expect(t.reason, c.file).toContain(`gate (implementer): how tests run unchanged: changed: ${c.named}`);
      // Verify itself passed (judged by the base's version): only the gate's check caught it.
      const gates = await p.gateResults("shout");
      expect(
        gates.map((g) => [g.role, g.passed]),
        c.file,
      ).toEqual([
        ["test-author", true],
        ["implementer", false],
      ]);
      expect(gates[1]?.summary, c.file).not.toContain("verify passes");
    }
  });

  it("a verify input the test author writes is judged as it wrote it, and the implementer passes", async () => {
    const p = await pipelineProject(
      {
        author: [
          // A helper that decides how the tests run (a verify input by the config), new on the branch.
          { write: { path: "test/lib/want.inc", content: "WANT=HELLO\n" } },
          {
            write: {
              path: "test/shout.sh",
              content: '. test/lib/want.inc\ngrep -qx "$WANT" src/shout.txt\n',
            },
          },
          { commit: "test: shout says what want.inc wants" },
          { done: "wrote test/shout.sh" },
        ],
      },
      { sandbox: { mode: "none" }, verify_inputs: ["**/*.inc"] },
      { pipeline: ["test-author", "implementer"] },
    );
    await launchedToReview(p, "shout");
    expect((await p.gateResults("shout")).map((g) => [g.role, g.passed])).toEqual([
      ["test-author", true],
      ["implementer", true],
    ]);
    // The whole task still changes how tests run: the person sees it.
    const brief = await reviewBrief(p, "shout");
    expect(brief.data.tampered).toEqual(["test/lib/want.inc"]);
  });

  it("a test author whose tests already pass fails its gate", async () => {
    const p = await pipelineProject(
      {
        author: [
          ...commitAndDone("test/shout.sh", "grep -q hello src/greet.txt\n", {
            commit: "a test that passes already",
            done: "wrote a test",
          }),
        ],
      },
      {},
    );
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.reaches("shout", "failed");
    expect(t.reason).toContain("gate (test-author): the tests fail on the code as it is: ./verify.sh passed");
    expect(await p.runs("shout")).toEqual([["author", "test-author", "gate-failed"]]);
    expect(await statusOf(p, "shout")).toMatchObject({ stage: "1/3 test-author" });
  });

  it("a test author that touches source files fails its gate", async () => {
    const p = await pipelineProject(
      {
        author: [
          { write: { path: "test/shout.sh", content: SHOUT_TEST } },
          ...commitAndDone("src/helper.txt", "a head start\n", {
            commit: "tests, and a little source",
            done: "wrote tests",
          }),
        ],
      },
      { sandbox: { mode: "none" } },
    );
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.reaches("shout", "failed");
    expect(t.reason).toBe(
      "gate (test-author): only test paths changed: changed outside test/**: src/helper.txt",
    );
    const gate = (await p.show("shout")) as unknown as {
      gates: Array<{ checks: Array<{ name: string; ok: boolean }> }>;
    };
    // The other checks held: its tests are new and they fail.
    expect(gate.gates[0]?.checks.map((c) => [c.name, c.ok])).toEqual([
      ["new or changed tests", true],
      ["only test paths changed", false],
      ["the tests fail on the code as it is", true],
    ]);
  });

  it("an auditor's findings send the work back to the implementer, and the second round passes", async () => {
    const p = await pipelineProject(
      {
        builder: [
          {
            run: "if [ -e src/shout.txt ]; then printf 'HELLO\\nescaped\\n' > src/shout.txt; else printf 'HELLO\\n' > src/shout.txt; fi",
          },
          { commit: "shout {attempt}" },
          { done: "wrote src/shout.txt" },
        ],
        auditor: [
          // Read-only: the auditor cannot change the work it reads.
          { write: { path: "{worktree}/auditor-was-here.txt", content: "x" }, expect_fail: true },
          {
            run: "grep -q escaped src/shout.txt && ballador approve 'output is escaped' || ballador request-changes 'the output is not escaped: add a line escaped'",
          },
        ],
      },
      { max_attempts: 2 },
    );
    await launchedToReview(p, "shout");
    expect(await p.runs("shout")).toEqual([
      ["author", "test-author", "gate-passed"],
      ["builder", "implementer", "verified"],
      ["auditor", "security-auditor", "changes-requested"],
      ["builder", "implementer", "verified"],
      ["auditor", "security-auditor", "approved"],
    ]);
    expect((await p.gateResults("shout")).map((g) => [g.role, g.passed])).toEqual([
      ["test-author", true],
      ["implementer", true],
      ["security-auditor", false],
      ["implementer", true],
      ["security-auditor", true],
    ]);
    const shown = await p.show("shout");
    expect(await readFile(join(shown.runs[3]!.runDir, "prompt.md"), "utf8")).toContain(
      "the output is not escaped: add a line escaped",
    );
    expect(await p.git(["show", "ballador/shout:src/shout.txt"])).toBe("HELLO\nescaped\n");
    expect(await p.git(["ls-tree", "-r", "--name-only", "ballador/shout"])).not.toContain("auditor-was-here");
  });

  it("pause_after stops in review after the test author; request-changes sends it back, approve continues", async () => {
    const p = await pipelineProject(
      {},
      { sandbox: { mode: "none" } },
      { pipeline: "tdd", pause_after: "test-author" },
    );
    await launchedToReview(p, "shout");
    expect(await statusOf(p, "shout")).toMatchObject({ state: "review", stage: "paused after test-author" });
    expect(await p.runs("shout")).toEqual([["author", "test-author", "gate-passed"]]);
    const next = await p.ok(["next"]);
    expect(next.stdout).toContain("ballador approve shout");
    // Merging a paused pipeline is refused: its stages are not done.
    const merge = await p.run(["merge", "shout"]);
    expect(merge.code).toBe(4);
    expect(merge.stderr).toContain("paused after test-author");
    // The person sends the tests back to their author...
    await p.ok(["request-changes", "shout", "also test an empty line"]);
    await p.reaches("shout", "review");
    expect(await p.runs("shout")).toEqual([
      ["author", "test-author", "gate-passed"],
      ["author", "test-author", "gate-passed"],
    ]);
    const shown = await p.show("shout");
    expect(await readFile(join(shown.runs[1]!.runDir, "prompt.md"), "utf8")).toContain(
      "also test an empty line",
    );
    expect(await statusOf(p, "shout")).toMatchObject({ stage: "paused after test-author" });
    // ...and approves the second version: the pipeline continues.
    const approved = await p.ok(["approve", "shout"]);
    expect(approved.stdout).toContain("its pipeline continues with implementer");
    await p.reaches("shout", "review");
    expect(await p.runs("shout")).toEqual([
      ["author", "test-author", "gate-passed"],
      ["author", "test-author", "gate-passed"],
      ["builder", "implementer", "verified"],
      ["auditor", "security-auditor", "approved"],
    ]);
    expect(await statusOf(p, "shout")).toMatchObject({ state: "review", stage: "3/3 done" });
    // At the end there is nothing to approve.
    const again = await p.run(["approve", "shout"]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain("at the end of its pipeline");
  });

  it("refuses a part naming a pipeline or a pause the config does not have, naming the file and field", async () => {
    const p = await pipelineProject({}, { sandbox: { mode: "none" } }, { pipeline: "careful" });
    let r = await p.run(["queue"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('.ballador/parts/shout.md: pipeline: no pipeline "careful"');
    await p.write(
      ".ballador/parts/shout.md",
      "---\nid: shout\ntitle: Shout\npipeline: tdd\npause_after: reviewer\n---\nx\n",
    );
    r = await p.run(["queue"]);
    expect(r.stderr + r.stdout).toContain('pause_after: "reviewer" is not a stage of this pipeline');
    // A task with no pipeline and no default one runs as ever: no stage.
    await p.write(".ballador/parts/shout.md", "---\nid: shout\ntitle: Shout\n---\nx\n");
    await p.ok(["queue"]);
    expect(await statusOf(p, "shout")).toMatchObject({ stage: null });
  });
});
