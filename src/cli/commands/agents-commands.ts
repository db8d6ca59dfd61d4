/** `ballador agents`: the built-in agent presets at a glance. */
import type { Command } from "commander";
import { color, printJson, table } from "../output.js";
import { examples, globals } from "./common.js";

export function registerAgentsCommands(program: Command): void {
  program
    .command("agents")
    .description(
      "list the built-in agent presets: binary and version, interactive or headless, credentials, tested here or not",
    )
    .option("--json", "print the presets as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador agents",
        "ballador agents --json | jq '.agents[] | select(.path == null) | .install'",
      ),
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { listAgents } = await import("../../setup/index.js");
      const result = await listAgents(globals(cmd).cwd);
      if (opts.json) return printJson(result);
      const rows = result.agents.map((a) => [
        a.preset,
        a.mode,
        a.path ? `${a.binary} ${a.version ?? "(no version)"}` : color.dim(`${a.binary}: not on PATH`),
        a.credentials.length > 0 ? a.credentials.join(", ") : a.path ? color.yellow("none") : "-",
        a.tested ? color.green("tested") : color.yellow("untested"),
        a.profiles.length > 0 ? a.profiles.join(", ") : "-",
      ]);
      console.log(table(["PRESET", "MODE", "BINARY", "CREDENTIALS", "HERE", "PROFILES"], rows));
      console.log("");
      console.log("Tested: proven on this Ballador version with the real binary against a local fake API.");
      console.log("To add one, in .ballador/config.yaml:");
      console.log(
        "  agents:\n    profiles:\n      <name>: { preset: <preset> }   # e.g. codex: { preset: codex }",
      );
      const missing = result.agents.filter((a) => !a.path && a.install);
      const seen = new Set<string>();
      for (const a of missing) {
        if (seen.has(a.binary)) continue;
        seen.add(a.binary);
        console.log(`Install ${a.binary}: ${a.install}`);
      }
    });
}
