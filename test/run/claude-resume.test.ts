/**
 * The claude-headless preset's resume, on the real Claude Code CLI (pinned in test/agent-clis/)
 * against a local fake Messages API: a first run in one HOME, then the preset's resume command
 * (withResume: `--continue`) in a new HOME seeded by prepareAgentHome with the first one as
 * previousHome. The new request must carry the first conversation. This is what a retry does
 * (test/agents/claude.e2e.test.ts drives one through `ballador launch`); here each piece is called
 * itself, unsandboxed, so a failure names the piece. What the fake received is kept in
 * test-artifacts/claude-resume.requests.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareAgentHome } from "../../src/adapters/agents/home.js";
import { PRESETS, withResume } from "../../src/adapters/agents/presets.js";
import { resolveProfile } from "../../src/adapters/agents/profiles.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { AGENT_BIN } from "../helpers/agent-clis.js";
import { closedAfterTest, useRealAgentClis } from "../helpers/agent-e2e.js";
import { GIT_IDENTITY, git, makeTempDir, PACKAGE_ROOT, runProgram } from "../helpers/cli.js";
import { agentTurns, startFakeAnthropic, textOf, toolResults } from "../helpers/fake-anthropic.js";

const CLAUDE_BIN = join(AGENT_BIN, "claude");
const ARTIFACTS = join(PACKAGE_ROOT, "test-artifacts");

useRealAgentClis();

describe("Claude Code, real binary: the preset's resume on a carried HOME", () => {
  it("resume: the preset's --continue, with the previous run's session state carried into the new HOME, continues the conversation", async () => {
    const api = await startFakeAnthropic({
      steps: ["echo FIRST-RUN-STEP"],
      finalText: "first run finished",
    });
    closedAfterTest(api);
    const dir = await makeTempDir("bl-resume-");
    const repo = join(dir, "repo");
    await mkdir(repo);
    await git(["init", "-q", "-b", "main", repo], dir);
    await git(["commit", "-q", "--allow-empty", "-m", "init"], repo);
    const config = structuredClone(DEFAULT_CONFIG);
    config.agents.profiles = {
      c: { preset: "claude-headless", env: ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"] },
    };
    const profile = resolveProfile(config, "c");
    const hostEnv = { ANTHROPIC_API_KEY: "sk-ant-test-resume", ANTHROPIC_BASE_URL: api.url };
    const runClaude = async (home: string, previousHome: string | null, prompt: string, resume: boolean) => {
      await mkdir(home, { recursive: true });
      const prepared = await prepareAgentHome(profile, {
        home,
        realHome: join(dir, "person"),
        worktree: repo,
        sandboxed: true,
        env: hostEnv,
        previousHome,
      });
      const argv = [CLAUDE_BIN, ...profile.command.slice(1).map((a) => (a === "{prompt}" ? prompt : a))];
      const command = resume
        ? withResume(argv, PRESETS["claude-headless"] as NonNullable<(typeof PRESETS)[string]>)
        : argv;
      if (!command) throw new Error("claude-headless has no resume");
      const r = await runProgram(command[0] as string, command.slice(1), {
        cwd: repo,
        env: { PATH: process.env.PATH, ...GIT_IDENTITY, HOME: home, ...prepared.env, ...hostEnv },
        timeoutMs: 60_000,
      });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    expect(await runClaude(join(dir, "run-1", "home"), null, "FIRST-PROMPT", false)).toContain(
      "first run finished",
    );
    const before = api.requests.length;
    await runClaude(
      join(dir, "run-2", "home"),
      join(dir, "run-1", "home"),
      "SECOND-PROMPT after a failed verify",
      true,
    );
    const resumed = agentTurns(api.requests.slice(before));
    const messages = resumed[resumed.length - 1]?.messages ?? [];
    const texts = messages.map((m) => textOf(m.content)).join("\n");
    expect(texts).toContain("FIRST-PROMPT");
    expect(texts).toContain("first run finished");
    expect(texts).toContain("SECOND-PROMPT after a failed verify");
    expect(toolResults(api.requests.slice(before))[0]?.text).toContain("FIRST-RUN-STEP");
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(
      join(ARTIFACTS, "claude-resume.requests.json"),
      `${JSON.stringify(api.requests, null, 2)}\n`,
    );
  }, 90_000);
});
