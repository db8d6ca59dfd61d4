/**
 * The real Claude Code CLI (@anthropic-ai/claude-code, pinned in test/agent-clis/) launched by Ballador
 * through its built-in presets, in tmux, inside the bubblewrap sandbox, against a local fake
 * Messages API (no network): the fake answers with scripted Bash tool calls that commit and
 * run `ballador done`, and the task must reach review with the commit on its branch.
 *
 * Both presets: `claude-headless` (-p, exits when done) and `claude` (the interactive TUI in the
 * tmux pane, which must start unattended: no onboarding, trust or permission dialog). And a
 * retry that continues the conversation (`--continue`, the previous run's HOME carried over);
 * test/run/claude-resume.test.ts runs the preset's resume command on carried HOMEs directly.
 * What the fake API received is kept in test-artifacts/ at the package root.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type AgentUnderTest,
  closedAfterTest,
  pointAtFakeClaude,
  realCliProject,
  retried,
  settle,
  useRealAgentClis,
} from "../helpers/agent-e2e.js";
import { PACKAGE_ROOT } from "../helpers/cli.js";
import {
  agentTurns,
  firstPrompt,
  type RecordedRequest,
  startFakeAnthropic,
  textOf,
  toolResults,
} from "../helpers/fake-anthropic.js";
import { CLAUDE_ENV } from "../helpers/profiles.js";

const ARTIFACTS = join(PACKAGE_ROOT, "test-artifacts");
const TEST_TIMEOUT = 90_000;

useRealAgentClis();

/** What the person's own Claude Code config looks like; it must come out of the run unchanged. */
const PERSONAL_STATE = {
  numStartups: 7,
  theme: "light",
  projects: { "/somewhere/else": { hasTrustDialogAccepted: true, history: ["private"] } },
};
const PERSONAL_SETTINGS = { env: { SOME_SETTING: "kept" }, includeCoAuthoredBy: false };

async function setUp(mode: "claude" | "claude-headless", id: string) {
  const marker = `PART-BODY-${mode}-${Date.now().toString(36)}`;
  const verify = "test -f hello.txt";
  const api = await startFakeAnthropic({
    steps: [
      `printf 'hello from claude\\n' > hello.txt && git add hello.txt && git commit -q -m "add hello.txt" && echo STEP1-COMMITTED`,
      `ballador done --summary "wrote hello.txt"`,
    ],
    finalText: "Done: hello.txt is committed and reported.",
  });
  closedAfterTest(api);
  const env = [...CLAUDE_ENV];
  // The launcher's environment: the real claude on PATH, the API redirected to the fake.
  const p = await realCliProject(
    { claude: { preset: "claude", env }, "claude-headless": { preset: "claude-headless", env } },
    { defaultName: mode },
  );
  pointAtFakeClaude(p, api, "sk-ant-test-0123456789abcdefghijKEY");
  // The person's own Claude Code config, to seed from and to leave untouched.
  await mkdir(join(p.home, ".claude"), { recursive: true });
  await writeFile(join(p.home, ".claude.json"), JSON.stringify(PERSONAL_STATE));
  await writeFile(join(p.home, ".claude", "settings.json"), JSON.stringify(PERSONAL_SETTINGS));
  await p.part(id, {
    body: `Write hello.txt with a greeting and commit it. ${marker}`,
    verify,
  });
  await p.ok(["queue"]);
  return { api, p, marker, verify };
}

async function keepArtifact(name: string, requests: RecordedRequest[], extra: Record<string, string>) {
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(join(ARTIFACTS, `${name}.requests.json`), `${JSON.stringify(requests, null, 2)}\n`);
  for (const [suffix, file] of Object.entries(extra)) {
    if (existsSync(file)) await copyFile(file, join(ARTIFACTS, `${name}.${suffix}`));
  }
}

async function runToReview(mode: "claude" | "claude-headless") {
  const id = mode === "claude" ? "hello-tui" : "hello-headless";
  const { api, p, marker, verify } = await setUp(mode, id);
  const started = Date.now();
  let runDir = "";
  try {
    const launched = await p.run(["launch", "--json"]);
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    // The run folder is known for the artifacts even when the task did not reach review.
    await settle(p, id, 75_000, 4000).finally(async () => {
      runDir = await p.runDir(id).catch(() => "");
    });
    const seconds = (Date.now() - started) / 1000;

    // The commit is on the task's branch, authored with the identity seeded into the run's HOME.
    const log = await p.git(["log", "--format=%s|%an", `ballador/${id}`, "-n", "3"]);
    expect(log.split("\n")[0]).toBe("add hello.txt|Ballador Test");
    expect(await p.git(["show", `ballador/${id}:hello.txt`])).toBe("hello from claude\n");
    const shown = await p.show(id);
    expect(shown.notes.map((n) => n.text)).toContain("wrote hello.txt");

    // What the agent was told: the part and the verify command, in its first user message.
    const prompt = firstPrompt(api.requests);
    expect(prompt).toContain(marker);
    expect(prompt).toContain(`# Task ${id}`);
    expect(prompt).toContain(verify);
    expect(prompt).toContain("ballador done");
    // The first Bash call ran inside the sandbox and its result came back to the model.
    const results = toolResults(api.requests);
    expect(results[0]).toMatchObject({ toolUseId: expect.stringMatching(/^toolu_fake_/), isError: false });
    expect(results[0]?.text).toContain("STEP1-COMMITTED");

    // The run's HOME was seeded; the person's own files are as they were.
    const seeded = JSON.parse(await readFile(join(runDir, "home", ".claude.json"), "utf8"));
    expect(seeded.hasCompletedOnboarding).toBe(true);
    expect(seeded.theme).toBe("light");
    expect(seeded.projects[p.worktree(id)].hasTrustDialogAccepted).toBe(true);
    expect(seeded.projects["/somewhere/else"]).toBeUndefined();
    expect(seeded.customApiKeyResponses.approved).toContain("0123456789abcdefghijKEY".slice(-20));
    const settings = JSON.parse(await readFile(join(runDir, "home", ".claude", "settings.json"), "utf8"));
    expect(settings).toMatchObject({ ...PERSONAL_SETTINGS, skipDangerousModePermissionPrompt: true });
    expect(JSON.parse(await readFile(join(p.home, ".claude.json"), "utf8"))).toEqual(PERSONAL_STATE);
    expect(JSON.parse(await readFile(join(p.home, ".claude", "settings.json"), "utf8"))).toEqual(
      PERSONAL_SETTINGS,
    );
    // The fake API was reached through the sandbox's proxy, and the agent needed no other host.
    const denials = join(runDir, "denials.jsonl");
    expect(existsSync(denials) ? await readFile(denials, "utf8") : "").toBe("");
    const firstRequest = api.requests[0] ? (Date.parse(api.requests[0].at) - started) / 1000 : Number.NaN;
    return { seconds, firstRequest, requests: api.requests.length };
  } finally {
    await keepArtifact(mode, api.requests, runDir ? { "session.log": join(runDir, "session.log") } : {});
  }
}

describe("Claude Code, real binary, sandboxed, against a fake Messages API", () => {
  it(
    "headless (claude -p): commits, reports done, and the task reaches review",
    async () => {
      const r = await runToReview("claude-headless");
      console.log(
        `claude-headless: first API request after ${r.firstRequest.toFixed(1)} s, review after ${r.seconds.toFixed(1)} s, ${r.requests} API requests`,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "interactive in tmux (claude): starts unattended, commits, reports done, reaches review",
    async () => {
      const r = await runToReview("claude");
      console.log(
        `claude (interactive): first API request after ${r.firstRequest.toFixed(1)} s, review after ${r.seconds.toFixed(1)} s, ${r.requests} API requests`,
      );
    },
    TEST_TIMEOUT,
  );

  it("an attempt that ends without passing is retried in the same conversation (--continue, previous HOME carried)", async () => {
    const id = "hello-retry";
    const api = await startFakeAnthropic({
      // Attempt 1 writes the wrong greeting, its done is refused (verify fails) and claude -p
      // exits; the retry's prompt (with the failure) gets the fix.
      steps: [
        `printf 'wrong\\n' > hello.txt && git add hello.txt && git commit -q -m "first try" && echo FIRST-TRY`,
        `ballador done --summary "first try"`,
      ],
      onPrompt: {
        marker: "This is attempt 2",
        steps: [
          `printf 'hello\\n' > hello.txt && git commit -q -am "fix the greeting" && echo FIXED`,
          `ballador done --summary "fixed the greeting"`,
        ],
      },
    });
    closedAfterTest(api);
    const p = await realCliProject(
      { "claude-headless": { preset: "claude-headless", env: [...CLAUDE_ENV] } },
      { config: { max_attempts: 2 } },
    );
    pointAtFakeClaude(p, api, "sk-ant-test-retry");
    await p.part(id, { body: "Write hello.txt saying hello.", verify: "grep -qx hello hello.txt" });
    await p.ok(["queue"]);
    try {
      const launched = await p.run(["launch", "--json"]);
      expect(launched.code, launched.stdout + launched.stderr).toBe(0);
      const task = await settle(p, id, 120_000, 4000);
      expect(task.attempt).toBe(2);
      expect(
        (await p.git(["log", "--format=%s", `ballador/${id}`, "-n", "2"])).split("\n").slice(0, 2),
      ).toEqual(["fix the greeting", "first try"]);
      // The retry's conversation holds the first attempt's (its prompt, its tool calls and their
      // results, the refused done), and then the new prompt with the failure.
      const retry = agentTurns(api.requests).find((b) =>
        (b.messages ?? []).some((m) => m.role === "user" && textOf(m.content).includes("This is attempt 2")),
      );
      const messages = retry?.messages ?? [];
      const at = messages.findIndex(
        (m) => m.role === "user" && textOf(m.content).includes("This is attempt 2"),
      );
      const before = JSON.stringify(messages.slice(0, at));
      expect(at).toBeGreaterThan(0);
      expect(before).toContain("Write hello.txt saying hello.");
      expect(before).toContain("FIRST-TRY");
      expect(before).toContain("ballador done --summary");
      expect(toolResults(api.requests).map((r) => r.text)).toEqual(
        expect.arrayContaining([expect.stringContaining("FIRST-TRY"), expect.stringContaining("FIXED")]),
      );
    } finally {
      await keepArtifact("claude-retry", api.requests, {});
    }
  }, 150_000);

  it("interactive retry: the TUI goes quiet after its refused done, and the next attempt continues the conversation (--continue)", async () => {
    const claude: AgentUnderTest = {
      name: "claude",
      env: ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"],
      startApi: (script) => startFakeAnthropic(script),
      configure: async (p, api) => pointAtFakeClaude(p, api, "sk-ant-test-interactive-retry"),
      firstPrompt: (api) => firstPrompt(api.requests as RecordedRequest[]),
      toolOutputs: (api) => toolResults(api.requests as RecordedRequest[]).map((r) => r.text),
      turns: (api) => agentTurns(api.requests as RecordedRequest[]),
    };
    const r = await retried(claude, "claude", true);
    console.log(`claude (interactive) retry: review after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
