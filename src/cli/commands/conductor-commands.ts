/**
 * The conductor's commands: the MCP server an orchestrator talks to, the install of the skill
 * and guidance files, and the planner (spec draft, plan). None of them launches anything.
 */
import type { Command } from "commander";
import { examples, globals } from "./common.js";

export function registerConductorCommands(program: Command): void {
  program
    .command("mcp")
    .description(
      "serve the conductor's chamber over MCP (stdio): read and write specs and parts, queue, status, next, graph, show, brief, denials; no launch, stop, merge or done",
    )
    .addHelpText(
      "after",
      `${examples(
        "ballador mcp                                # started by the agent CLI, speaks MCP on stdin/stdout",
        "claude mcp add ballador -- ballador mcp    # or: ballador conductor install (writes .mcp.json)",
        "codex mcp add ballador -- ballador mcp",
        "gemini mcp add ballador ballador mcp",
      )}\n\nThere is no --json: everything the server says is JSON-RPC on stdout.`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const { serveStdio } = await import("../../mcp/server.js");
      await serveStdio(globals(cmd).cwd);
    });
}
