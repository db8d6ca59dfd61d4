/**
 * The real Claude Code (pinned in test/agent-clis, installed on demand) in a repository where
 * `ballador conductor install` registered the server (.mcp.json): it starts `ballador mcp` itself, and a tool call scripted
 * by the fake Messages API reaches Ballador: the part it writes through MCP lands in the parts
 * folder, and queue through MCP loads it into the store.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, AGENT_CLIS_TIMEOUT, installAgentClis } from "../helpers/agent-clis.js";
import { usedClaudeHome } from "../helpers/agent-e2e.js";
import { BIN, cleanupTempDirs, makeGitRepo, PACKAGE_ROOT, runProgram } from "../helpers/cli.js";
import {
  agentTurns,
  type FakeAnthropic,
  startFakeAnthropic,
  toolResults,
} from "../helpers/fake-anthropic.js";

const CLAUDE_BIN = join(AGENT_BIN, "claude");
const apis: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
  await cleanupTempDirs();
});

const PART = [
  "---",
  "id: greet",
  'title: "Say hello"',
  "spec: specs/0001-greeter.md",
  "needs: []",
  'scope: ["src/greet/**"]',
  "---",
  "Write the greeting.",
  "",
].join("\n");

// The real CLI: installed on demand (pinned, cached in .cache/agent-clis) the first time.
beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);

describe("Claude Code with the server registered by conductor install", () => {
  it("calls Ballador's MCP tools: writes a part and queues it", async () => {
    const api = await startFakeAnthropic({
      steps: [
        { tool: "mcp__ballador__write_part", input: { path: "0001-greeter/greet.md", content: PART } },
        { tool: "mcp__ballador__queue", input: {} },
      ],
      finalText: "Queued greet. Run ballador launch when you are ready.",
    });
    apis.push(api);
    const repo = await makeGitRepo();
    expect((await repo.run(["init"])).code).toBe(0);
    expect((await repo.run(["spec", "new", "Greeter"])).code).toBe(0);
    expect((await repo.run(["conductor", "install"])).code).toBe(0);

    // `ballador` on PATH, as after npm install -g: .mcp.json names the command, not a path.
    const bin = join(repo.parent, "bin");
    await mkdir(bin);
    await writeFile(join(bin, "ballador"), `#!/bin/sh\nexec ${process.execPath} ${BIN} "$@"\n`);
    await chmod(join(bin, "ballador"), 0o755);

    // The person's own Claude Code, used before: onboarding done, the repository trusted.
    const home = join(repo.parent, "home");
    const key = "sk-ant-test-mcp-0123456789abcdefghij";
    const claudeEnv = await usedClaudeHome(home, repo.dir, key);
    // No approval step: with the workspace trusted and -p --dangerously-skip-permissions, Claude
    // Code 2.1.330 starts the project's .mcp.json servers by itself (measured).
    const r = await runProgram(
      CLAUDE_BIN,
      ["-p", "--dangerously-skip-permissions", "Cut spec 1 into parts and queue them."],
      {
        cwd: repo.dir,
        env: {
          ...repo.env,
          ...claudeEnv,
          HOME: home,
          PATH: `${bin}:${process.env.PATH}`,
          ANTHROPIC_BASE_URL: api.url,
          ANTHROPIC_API_KEY: key,
          // Claude Code defers MCP tools behind its ToolSearch tool by default; the fake model
          // calls them directly, so they are sent with the first request.
          ENABLE_TOOL_SEARCH: "false",
          // -p connects MCP servers in the background and may send its first turn before
          // `ballador mcp` is up (the machine is loaded): wait for the connection.
          MCP_CONNECTION_NONBLOCKING: "false",
          MCP_TIMEOUT: "60000",
          MCP_CONNECT_TIMEOUT_MS: "60000",
        },
        timeoutMs: 150_000,
      },
    );
    await writeFile(
      join(PACKAGE_ROOT, "test-artifacts", "claude-mcp.json"),
      JSON.stringify(api.requests, null, 2),
    ).catch(() => {});
    const turns = agentTurns(api.requests);
    const toolNames = (turns[0]?.tools ?? []).map((t) => (t as { name: string }).name);
    expect(r.code, `${r.stdout}\n${r.stderr}\ntools: ${toolNames.join(", ")}`).toBe(0);
    expect(toolNames).toEqual(expect.arrayContaining(["mcp__ballador__write_part", "mcp__ballador__queue"]));
    expect(toolNames.filter((n) => /^mcp__ballador__.*(launch|merge|stop|done)/.test(n))).toEqual([]);
    const results = toolResults(api.requests);
    expect(results.map((x) => x.isError)).toEqual([false, false]);
    expect(results[1]?.text).toContain('"inserted"');
    expect(await readFile(join(repo.dir, ".ballador/parts/0001-greeter/greet.md"), "utf8")).toBe(PART);
    const status = await repo.json<{ tasks: Array<{ id: string; state: string }> }>(["status"]);
    expect(status.tasks.map((t) => [t.id, t.state])).toEqual([["greet", "ready"]]);
    expect(r.stdout).toContain("Queued greet");
  }, 200_000);
});
