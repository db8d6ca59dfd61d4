/**
 * The conductor's commands: the MCP server an orchestrator talks to, the install of the skill
 * and guidance files, and the planner (spec draft, plan). None of them launches anything.
 */
import type { Command } from "commander";
import { color, printJson } from "../output.js";
import { examples, globals, withProject } from "./common.js";

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

  const conductor = program
    .command("conductor")
    .description(
      "set up your own agent session as the conductor's copyist (skill, MCP server, AGENTS.md, GEMINI.md)",
    )
    .addHelpText("after", examples("ballador conductor install"));
  conductor
    .command("install")
    .description(
      "write the Claude Code skill, register the MCP server in .mcp.json (other servers kept), and put the same guide in AGENTS.md and GEMINI.md as Ballador's section; a re-run updates in place",
    )
    .option("--json", "print what was written as JSON")
    .addHelpText(
      "after",
      `${examples("ballador conductor install", "ballador conductor install --json")}

Codex and Gemini CLI read AGENTS.md and GEMINI.md; register the server with them once:
  $ codex mcp add ballador -- ballador mcp
  $ gemini mcp add ballador ballador mcp`,
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { installConductor } = await import("../../usecases/conductor-install.js");
      await withProject(cmd, (p) => {
        const r = installConductor(p);
        if (opts.json) return printJson(r);
        for (const f of r.files) {
          const word = f.change.padEnd(9);
          const mark = f.change === "unchanged" ? color.dim(word) : color.green(word);
          console.log(`  ${mark}  ${f.path}  ${color.dim(f.what)}`);
        }
        console.log(
          r.changed
            ? "The conductor is installed. In Claude Code, approve the ballador server when asked (/mcp lists it)."
            : "Nothing changed: the conductor was already installed.",
        );
      });
    });
}
