/**
 * Claude Code MCP servers (issue 14): a sandboxed run gets only the servers its profile names
 * (`mcp_servers`), from the person's user and local scopes and the base's `.mcp.json`, with the
 * hosts of the networked ones allowed; the rest stay the person's, and `doctor` says which.
 * The agent here is the scripted agent started under the name `claude`, so the run's HOME is
 * seeded as Claude Code's; its requests go through the run's proxy like Claude Code's would.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { commitAndDone, launchedToReview } from "../helpers/runtime.js";
import { cleanupSandboxTests, makeSandboxProject, startServer } from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

const SCRIPTED = fileURLToPath(new URL("../../bin/ballador-scripted-agent.js", import.meta.url));

describe("Claude Code MCP servers in a sandboxed run", () => {
  it("only the servers the profile names reach the run, their hosts allowed; the worktree's .mcp.json loads nothing; doctor names the rest", async () => {
    const server = await startServer();
    const p = await makeSandboxProject({
      files: {
        ".mcp.json": `${JSON.stringify({
          mcpServers: {
            "proj-stdio": { command: "node", args: ["tools/mcp.js"] },
            "proj-other": { type: "http", url: "http://other.example.test/mcp" },
          },
        })}\n`,
      },
    });
    const bin = join(p.parent, "agent-bin");
    await mkdir(bin);
    await writeFile(join(bin, "claude"), `#!/bin/sh\nexec node '${SCRIPTED}' "$@"\n`);
    await chmod(join(bin, "claude"), 0o755);
    const personal = {
      mcpServers: {
        "user-http": { type: "http", url: "http://user-mcp.example.test/user" },
        "user-stdio": { command: "echo" },
      },
      projects: { [p.dir]: { mcpServers: { "local-http": { type: "http", url: `${server.url}/mcp` } } } },
    };
    const personalText = `${JSON.stringify(personal)}\n`;
    await writeFile(join(p.home, ".claude.json"), personalText);
    await p.write(
      ".ballador/config.yaml",
      (await import("yaml")).stringify({
        base: "main",
        max_attempts: 1,
        tmux_socket: p.socket,
        agents: {
          default: "claude",
          profiles: {
            claude: {
              command: [join(bin, "claude"), "{prompt_file}"],
              prompt: "file",
              mcp_servers: ["local-http", "proj-stdio"],
            },
          },
        },
        sandbox: { mode: "bwrap", allow_hosts: [] },
      }),
    );
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "-m", "claude profile with MCP servers"]);

    await p.part("tools", {
      steps: [
        // The passed server's host is allowed for this run only because the profile passes it.
        { http: `${server.url}/mcp` },
        { http: { url: "http://user-mcp.example.test/user", timeout_ms: 5000 }, expect_fail: true },
        // The agent's own .mcp.json entry: the next start of Claude Code must not load it.
        { write: { path: ".mcp.json", content: '{"mcpServers":{"planted":{"command":"sh"}}}\n' } },
        ...commitAndDone("tools.txt"),
      ],
    });
    await launchedToReview(p, "tools");
    expect(server.paths).toEqual(["/mcp"]);
    const denials = await p.json<{ runs: Array<{ denials: Array<{ host: string }> }> }>([
      "sandbox",
      "denials",
      "tools",
    ]);
    expect(
      denials.runs[0]?.denials.map((d) => d.host),
      JSON.stringify(denials),
    ).toEqual(["user-mcp.example.test"]);

    const runDir = (await p.show("tools")).runs[0]?.runDir as string;
    const seeded = JSON.parse(await readFile(join(runDir, "home", ".claude.json"), "utf8")) as {
      mcpServers: Record<string, unknown>;
      projects: Record<string, { enabledMcpjsonServers: string[]; disabledMcpjsonServers: string[] }>;
    };
    expect(Object.keys(seeded.mcpServers).sort()).toEqual(["local-http", "proj-stdio"]);
    // The project server's definition is the base's, not the worktree's.
    expect(seeded.mcpServers["proj-stdio"]).toEqual({ command: "node", args: ["tools/mcp.js"] });
    const entry = seeded.projects[p.worktree("tools")];
    expect(entry?.enabledMcpjsonServers).toEqual([]);
    expect(entry?.disabledMcpjsonServers.sort()).toEqual(["proj-other", "proj-stdio"]);
    // The person's own file is read, never written.
    expect(await readFile(join(p.home, ".claude.json"), "utf8")).toBe(personalText);

    const doctor = await p.json<{
      checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
    }>(["doctor"]);
    const mcp = doctor.checks.find((c) => c.name === "mcp claude");
    expect(mcp?.detail).toContain("reach its runs: proj-stdio (project), local-http (local)");
    expect(mcp?.detail).toContain(
      "will not reach its runs: user-http (user), user-stdio (user), proj-other (project)",
    );
    expect(mcp?.detail).toContain("hosts allowed for them: 127.0.0.1");
    expect(mcp?.fix).toContain("agents.profiles.claude.mcp_servers: [");

    // A name configured nowhere is a problem doctor names.
    const config = await readFile(join(p.dir, ".ballador", "config.yaml"), "utf8");
    await p.write(".ballador/config.yaml", config.replace("- proj-stdio", "- nowhere"));
    const bad = await p.run(["doctor", "--json"]);
    expect(bad.code).not.toBe(0);
    const badMcp = (
      JSON.parse(bad.stdout) as { checks: Array<{ name: string; ok: boolean; detail: string }> }
    ).checks.find((c) => c.name === "mcp claude");
    expect(badMcp?.ok).toBe(false);
    expect(badMcp?.detail).toContain("named but configured nowhere: nowhere");
  });
});
