/**
 * `ballador plan` and `ballador spec draft` with the real Claude Code (pinned in test/agent-clis,
 * installed on demand) as the conductor, headless, inside the bubblewrap sandbox, against the
 * local fake Messages API. The fake's scripted Bash calls write the files; Ballador validates
 * them, sends the problems back (the second attempt's prompt carries them) and queues the
 * corrected plan. A conductor that tries to write outside its folder is refused by the sandbox,
 * and nothing changes.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, AGENT_CLIS_TIMEOUT, installAgentClis } from "../helpers/agent-clis.js";
import { type CliResult, PACKAGE_ROOT, runCli } from "../helpers/cli.js";
import {
  agentTurns,
  type FakeAnthropic,
  firstPrompt,
  startFakeAnthropic,
  textOf,
  toolResults,
} from "../helpers/fake-anthropic.js";
import { cleanupSandboxTests, makeSandboxProject, type SandboxProject } from "../helpers/sandbox.js";
import { SPEC_SECTIONS } from "../helpers/specs.js";
import { snapshotTree } from "../helpers/tree.js";

const apis: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
  await cleanupSandboxTests();
});

const SPEC_MARKER = "GREETER-SPEC-BODY";

/** A Bash command that writes part files into the conductor's output folder. */
function writeParts(parts: Array<{ id: string; needs?: string[]; scope: string; extra?: string }>): string {
  return parts
    .map(
      (p) => `cat > "$BALLADOR_CONDUCTOR_OUTPUT/${p.id}.md" <<'EOF'
---
id: ${p.id}
title: "Part ${p.id}"
spec: specs/0001-greeter.md
needs: [${(p.needs ?? []).join(", ")}]
scope: ["${p.scope}"]${p.extra ? `\n${p.extra}` : ""}
---
## Goal
Build ${p.id}.
EOF`,
    )
    .join("\n")
    .concat("\necho PARTS-WRITTEN");
}

async function conductorProject(api: FakeAnthropic): Promise<SandboxProject> {
  const env = ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"];
  const p = await makeSandboxProject({
    allowHosts: ["127.0.0.1"],
    files: { "src/index.ts": "export const greeting = 'hello';\n" },
    config: {
      // The interactive preset: the conductor must switch to its headless variant.
      conductor: "claude",
      agents: { default: "claude", profiles: { claude: { preset: "claude", env } } },
    },
  });
  p.env.PATH = `${AGENT_BIN}:${p.env.PATH ?? ""}`;
  p.env.ANTHROPIC_BASE_URL = api.url;
  p.env.ANTHROPIC_API_KEY = "sk-ant-test-conductor-0123456789abcdefghij";
  await p.ok(["spec", "new", "Greeter"]);
  const spec = join(p.dir, "specs/0001-greeter.md");
  const text = await readFile(spec, "utf8");
  await p.write(
    "specs/0001-greeter.md",
    text.replace("## Problem\n", `## Problem\nGreet people. ${SPEC_MARKER}\n`),
  );
  return p;
}

interface PlanJson {
  valid: boolean;
  waves: string[][];
  graph: string;
  problems: string[];
  overlaps: unknown[];
  parts: Array<{ id: string; needs: string[] }>;
  queued: { inserted: string[] } | null;
  run: {
    runDir: string;
    attempts: Array<{ n: number; problems: string[]; log: string }>;
    outsideChanges: string[];
  };
}

/** The conductor's own output of its first attempt, for a failure message. */
async function attemptLog(
  p: SandboxProject,
  plan: { run?: { attempts?: Array<{ log: string }> } },
): Promise<string> {
  const log = plan.run?.attempts?.[0]?.log;
  return log ? readFile(join(p.dir, log), "utf8").catch(() => "(no log)") : "(no attempt)";
}

/** `ballador ...` with room for a few sandboxed Claude Code attempts on a loaded machine. */
function conduct(p: SandboxProject, args: readonly string[]): Promise<CliResult> {
  return runCli(args, { cwd: p.dir, env: p.env, timeoutMs: 170_000 });
}

async function keep(name: string, api: FakeAnthropic): Promise<void> {
  const { mkdir, writeFile } = await import("node:fs/promises");
  await mkdir(join(PACKAGE_ROOT, "test-artifacts"), { recursive: true });
  await writeFile(
    join(PACKAGE_ROOT, "test-artifacts", `${name}.json`),
    JSON.stringify(api.requests, null, 2),
  );
}

// The real CLI: installed on demand (pinned, cached in .cache/agent-clis) the first time.
beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);

describe("the conductor, with the real Claude Code in the sandbox", () => {
  it("plan: an invalid first plan (a cycle, an unknown dependency) is sent back, corrected, and queued", async () => {
    const api = await startFakeAnthropic({
      steps: [
        writeParts([
          { id: "core", needs: ["cli"], scope: "src/core/**" },
          { id: "cli", needs: ["core"], scope: "src/cli/**" },
          { id: "docs", needs: ["missing-part"], scope: "docs/**" },
        ]),
      ],
      finalText: "Three parts written.",
      onPrompt: {
        marker: "This is attempt 2",
        steps: [
          writeParts([
            { id: "core", scope: "src/core/**" },
            { id: "docs", needs: ["core"], scope: "docs/**" },
          ]),
        ],
        finalText: "Fixed: core needs nothing; docs needs core.",
      },
    });
    apis.push(api);
    const p = await conductorProject(api);
    try {
      const r = await conduct(p, ["plan", "1", "--json"]);
      const plan = JSON.parse(r.stdout) as PlanJson;
      expect(r.code, `${r.stdout}\n${r.stderr}\n${await attemptLog(p, plan)}`).toBe(0);
      expect(plan.valid).toBe(true);
      expect(plan.run.attempts.map((a) => a.n)).toEqual([1, 2]);
      const first = plan.run.attempts[0]?.problems.join("\n") ?? "";
      expect(first).toContain("dependency cycle: ");
      expect(first).toMatch(/core needs cli|cli needs core/);
      expect(first).toContain('"docs" needs "missing-part"');
      expect(plan.run.attempts[1]?.problems).toEqual([]);
      expect(plan.run.outsideChanges).toEqual([]);

      // What the conductor was told: the spec, the format, to read the code; then the problems.
      const prompt = firstPrompt(api.requests);
      expect(prompt).toContain(SPEC_MARKER);
      expect(prompt).toContain("## Tried and did not work");
      expect(prompt).toContain("First read the code");
      expect(prompt).toContain(join(p.dir, ".ballador/parts/0001-greeter"));
      const retry = agentTurns(api.requests).find((b) =>
        (b.messages ?? []).some((m) => m.role === "user" && textOf(m.content).includes("This is attempt 2")),
      );
      const retryText = (retry?.messages ?? []).map((m) => textOf(m.content)).join("\n");
      expect(retryText).toContain('"docs" needs "missing-part"');
      expect(retryText).toContain("dependency cycle");
      // The retry continued the conversation (--continue): attempt 1's tool call is in it.
      expect(JSON.stringify(retry?.messages ?? [])).toContain("PARTS-WRITTEN");

      expect(plan.waves).toEqual([["core"], ["cli", "docs"]]);
      expect(plan.queued).toBeNull();
      expect((await p.status()).tasks).toEqual([]);

      // Again, as a person would: the text form, queued in the same command.
      const text = await conduct(p, ["plan", "1", "--queue"]);
      expect(text.code, text.stdout + text.stderr).toBe(0);
      expect(text.stdout).toContain("valid after 2 attempts");
      expect(text.stdout).toContain(
        "Waves (the parts of a wave can run in parallel):\n  1: core\n  2: cli, docs",
      );
      expect(text.stdout).toContain("core [ready] Part core");
      expect(text.stdout).toContain("Queued 3 new");
      const status = await p.status();
      expect(Object.fromEntries(status.tasks.map((t) => [t.id, t.state]))).toEqual({
        core: "ready",
        cli: "queued",
        docs: "queued",
      });
      const graph = await p.json<{ edges: Array<{ from: string; to: string }> }>(["graph"]);
      expect(graph.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(["core->cli", "core->docs"]);
    } finally {
      await keep("conductor-plan", api);
    }
  }, 400_000);

  it("plan: a part the conductor writes with verify: is sent back with the field named; nothing queued with it", async () => {
    const api = await startFakeAnthropic({
      steps: [writeParts([{ id: "core", scope: "src/core/**", extra: 'verify: "true"' }])],
      finalText: "One part, verified by true.",
      onPrompt: {
        marker: "This is attempt 2",
        steps: [writeParts([{ id: "core", scope: "src/core/**" }])],
        finalText: "The verify line is gone.",
      },
    });
    apis.push(api);
    const p = await conductorProject(api);
    try {
      const r = await conduct(p, ["plan", "1", "--queue", "--json"]);
      const plan = JSON.parse(r.stdout) as PlanJson;
      expect(r.code, `${r.stdout}\n${r.stderr}\n${await attemptLog(p, plan)}`).toBe(0);
      expect(plan.run.attempts.map((a) => a.n)).toEqual([1, 2]);
      const first = plan.run.attempts[0]?.problems.join("\n") ?? "";
      expect(first).toContain(
        ".ballador/parts/0001-greeter/core.md: verify: a part written by the conductor cannot set its own verify command",
      );
      // Sent back like any other problem: the second attempt's prompt carries it.
      const second = api.requests.map((q) => JSON.stringify(q)).find((q) => q.includes("This is attempt 2"));
      expect(second).toContain("cannot set its own verify command");
      expect(plan.queued?.inserted).toEqual(["core"]);
      const shown = await p.json<{ task: { verify: string | null } }>(["show", "core"]);
      expect(shown.task.verify).toBeNull();
    } finally {
      await keep("conductor-plan-verify", api);
    }
  }, 400_000);

  it("plan --queue: a conductor that keeps verify: to its last attempt queues nothing", async () => {
    const api = await startFakeAnthropic({
      steps: [writeParts([{ id: "core", scope: "src/core/**", extra: "verify: exit 0" }])],
      finalText: "One part.",
    });
    apis.push(api);
    const p = await conductorProject(api);
    try {
      const r = await conduct(p, ["plan", "1", "--queue", "--attempts", "1", "--json"]);
      const plan = JSON.parse(r.stdout) as PlanJson;
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
      expect(plan.valid).toBe(false);
      expect(plan.queued).toBeNull();
      expect(plan.problems.join("\n")).toContain("core.md: verify: a part written by the conductor");
      expect((await p.status()).tasks).toEqual([]);
    } finally {
      await keep("conductor-plan-verify-kept", api);
    }
  }, 200_000);

  it("plan: a conductor that writes a source file, the config or another spec's parts is refused; recorded, nothing changed", async () => {
    const api = await startFakeAnthropic({
      steps: [
        [
          "echo hacked >> src/index.ts || echo REFUSED-SOURCE",
          "echo 'sandbox: {mode: none}' >> .ballador/config.yaml || echo REFUSED-CONFIG",
          "echo x > .ballador/parts/0002-other/evil.md || echo REFUSED-OTHER-PARTS",
          "echo x > specs/0003-evil.md || echo REFUSED-SPECS",
        ].join("\n"),
      ],
      finalText: "I could not write anything.",
    });
    apis.push(api);
    const p = await conductorProject(api);
    await p.ok(["spec", "new", "Other"]);
    const before = await snapshotTree(p.dir);
    try {
      const r = await conduct(p, ["plan", "1", "--attempts", "1", "--json"]);
      expect(r.code, r.stderr).toBe(1);
      const plan = JSON.parse(r.stdout) as PlanJson;
      expect(plan.valid).toBe(false);
      expect(plan.problems.join("\n")).toContain(
        "no part files were written in .ballador/parts/0001-greeter",
      );
      const out = toolResults(api.requests)[0]?.text ?? "";
      for (const word of ["REFUSED-SOURCE", "REFUSED-CONFIG", "REFUSED-OTHER-PARTS", "REFUSED-SPECS"]) {
        expect(out).toContain(word);
      }
      expect(out).toMatch(/read-only file system/i);
      expect(await snapshotTree(p.dir)).toEqual(before);
      // The attempt is recorded in the run's folder.
      const record = JSON.parse(await readFile(join(plan.run.runDir, "run.json"), "utf8"));
      expect(record).toMatchObject({ kind: "plan", outcome: "invalid", attempts: [{ n: 1 }] });
      expect(existsSync(join(plan.run.runDir, "attempt-1.log"))).toBe(true);
      expect((await p.status()).tasks).toEqual([]);
    } finally {
      await keep("conductor-outside", api);
    }
  }, 200_000);

  it("spec draft: a conductor that swaps its output for a link to the config is refused; nothing is copied out", async () => {
    const api = await startFakeAnthropic({
      steps: [
        `rm -f "$BALLADOR_CONDUCTOR_OUTPUT" && ln -s "$PWD/.ballador/config.yaml" "$BALLADOR_CONDUCTOR_OUTPUT" && echo LINKED`,
      ],
      finalText: "Done.",
    });
    apis.push(api);
    const p = await conductorProject(api);
    const before = await snapshotTree(p.dir);
    try {
      const r = await conduct(p, ["spec", "draft", "Sneaky", "--context", "x", "--attempts", "1", "--json"]);
      expect(r.code, r.stderr).toBe(1);
      const d = JSON.parse(r.stdout) as { path: string | null; problems: string[] };
      expect(d.path).toBeNull();
      expect(d.problems.join("\n")).toContain("is a symbolic link");
      expect(toolResults(api.requests)[0]?.text).toContain("LINKED");
      expect(await snapshotTree(p.dir)).toEqual(before);
      expect(existsSync(join(p.dir, "specs/0002-sneaky.md"))).toBe(false);
    } finally {
      await keep("conductor-draft-link", api);
    }
  }, 200_000);

  it("spec draft: a conductor that exits with an error having written nothing fails, names its exit and output; no spec", async () => {
    // A scripted conductor (no model): prints an error with a colour sequence and exits 7.
    const p = await makeSandboxProject({
      config: {
        conductor: "crash",
        agents: {
          profiles: {
            crash: {
              command: [
                "sh",
                "-c",
                "cat >/dev/null; printf 'starting\\nAPI Error: \\033[31mconnection refused\\n'; exit 7",
              ],
              prompt: "stdin",
            },
          },
        },
      },
    });
    const before = await snapshotTree(p.dir);
    const r = await conduct(p, ["spec", "draft", "Broken", "--context", "x", "--attempts", "1", "--json"]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    const d = JSON.parse(r.stdout) as { path: string | null; problems: string[] };
    expect(d.path).toBeNull();
    expect(d.problems[0]).toBe(
      'the conductor exited with code 7; its last output: "starting / API Error: connection refused"',
    );
    expect(d.problems).toContain("the conductor left 0001-broken.md as Ballador's empty template");
    expect(existsSync(join(p.dir, "specs/0001-broken.md"))).toBe(false);
    expect(await snapshotTree(p.dir)).toEqual(before);
    // The person's words: no "Drafted", the exit and its output named, no escape reaching the terminal.
    const text = await conduct(p, ["spec", "draft", "Broken", "--context", "x", "--attempts", "1"]);
    expect(text.code).toBe(1);
    expect(text.stdout).not.toContain("Drafted");
    expect(text.stdout).toContain("exited with code 7");
    expect(text.stdout).not.toContain("\x1b");
    expect(existsSync(join(p.dir, "specs/0001-broken.md"))).toBe(false);
  }, 200_000);

  it("re-planning updates parts of tasks not started and puts back the part of a started one", async () => {
    const api = await startFakeAnthropic({
      steps: [
        `printf 'tampered\\n' > "$BALLADOR_CONDUCTOR_OUTPUT/core.md"\n${writeParts([{ id: "extra", needs: ["core"], scope: "src/extra/**" }])}`,
      ],
      finalText: "Rewrote core, added extra.",
      onPrompt: { marker: "This is attempt 2", steps: [], finalText: "Left core alone." },
    });
    apis.push(api);
    const p = await conductorProject(api);
    const core = await p.write(
      ".ballador/parts/0001-greeter/core.md",
      '---\nid: core\ntitle: "Core"\nspec: specs/0001-greeter.md\nscope: ["src/core/**"]\n---\nThe core.\n',
    );
    const original = await readFile(core, "utf8");
    await p.ok(["queue"]);
    await p.ok(["abandon", "core"]);
    try {
      const r = await conduct(p, ["plan", "1", "--queue", "--json"]);
      const plan = JSON.parse(r.stdout) as PlanJson & { restored: string[] };
      expect(r.code, `${r.stdout}\n${await attemptLog(p, plan)}`).toBe(0);
      expect(plan.run.attempts[0]?.problems.join("\n")).toContain(
        '.ballador/parts/0001-greeter/core.md is the part of task "core", which is abandoned: it was put back',
      );
      expect(plan.restored).toEqual([".ballador/parts/0001-greeter/core.md"]);
      expect(await readFile(core, "utf8")).toBe(original);
      expect(firstPrompt(api.requests)).toContain(
        "core (task abandoned: started, do not change or remove it)",
      );
      expect(plan.queued?.inserted).toEqual(["extra"]);
      expect((await p.task("core")).state).toBe("abandoned");
    } finally {
      await keep("conductor-replan", api);
    }
  }, 400_000);

  it("spec draft: a draft that fails spec check is sent back, corrected, and copied out to specs/", async () => {
    const full = [
      "---",
      "number: 2",
      'title: "Rate limits"',
      "status: draft",
      "created: 2026-12-01",
      "---",
      "# 0002 Rate limits",
      "",
      ...SPEC_SECTIONS.flatMap((s) => [`## ${s}`, `${s} of rate limits. DRAFT-2`, ""]),
      "## History",
      "- 2026-12-01: drafted by the conductor",
      "",
    ].join("\n");
    const api = await startFakeAnthropic({
      steps: [
        `printf '# Rate limits\\n\\n## Context\\nonly this\\n' > "$BALLADOR_CONDUCTOR_OUTPUT" && echo DRAFT-1`,
      ],
      finalText: "Drafted.",
      onPrompt: {
        marker: "This is attempt 2",
        steps: [`cat > "$BALLADOR_CONDUCTOR_OUTPUT" <<'EOF'\n${full}EOF\necho DRAFT-2-WRITTEN`],
        finalText: "Every section filled.",
      },
    });
    apis.push(api);
    const p = await conductorProject(api);
    try {
      const r = await conduct(p, [
        "spec",
        "draft",
        "Rate limits",
        "--context",
        "Limit requests per client. CONTEXT-MARKER",
        "--json",
      ]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const d = JSON.parse(r.stdout) as { path: string; run: PlanJson["run"] };
      expect(d.path).toBe("specs/0002-rate-limits.md");
      expect(d.run.attempts.length).toBe(2);
      expect(d.run.attempts[0]?.problems.join("\n")).toContain('missing section "## Options"');
      expect(await readFile(join(p.dir, "specs/0002-rate-limits.md"), "utf8")).toBe(full);
      expect(existsSync(join(p.dir, ".ballador/parts/0002-rate-limits"))).toBe(true);
      const prompt = firstPrompt(api.requests);
      expect(prompt).toContain("CONTEXT-MARKER");
      expect(prompt).toContain("specs/0001-greeter.md: Greeter");
      expect(prompt).toContain("First read the code and the earlier specs");
      const check = await p.run(["spec", "check"]);
      expect(check.code, check.stdout).toBe(0);
    } finally {
      await keep("conductor-draft", api);
    }
  }, 400_000);
});
