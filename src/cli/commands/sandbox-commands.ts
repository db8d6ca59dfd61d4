import type { Command } from "commander";
import { color, line, printJson } from "../output.js";
import { examples, groupCommand, withProject } from "./common.js";

export function registerSandboxCommands(program: Command): void {
  const sandbox = groupCommand(program.command("sandbox"))
    .description("the sandbox: what its network allowlist denied")
    .addHelpText(
      "after",
      examples("ballador sandbox denials", "ballador sandbox denials extract-events --json"),
    );
  sandbox
    .command("denials")
    .description(
      "requests the allowlist refused, per run, with the config lines that would allow them; and masked secrets' stand-ins sent toward hosts they are not for",
    )
    .argument("[task]", "only this task's runs")
    .option("--json", "print the report as JSON")
    .addHelpText("after", examples("ballador sandbox denials", "ballador sandbox denials extract-events"))
    .action(async (task: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const { denialReport } = await import("../../observe/index.js");
      await withProject(cmd, (p) => {
        const r = denialReport(p, task);
        if (opts.json) return printJson(r);
        if (r.runs.length === 0) return console.log("No denied requests recorded.");
        for (const run of r.runs) {
          console.log(`${color.bold(run.task)}  run ${line(run.run)}  (profile ${line(run.profile)})`);
          for (const d of run.denials) {
            const where = `${line(d.host)}${d.port ? `:${d.port}` : ""}`;
            console.log(
              d.secret
                ? `  stand-in of masked secret ${line(d.secret)} sent to ${where} (not a host it is for; it got the stand-in only)  ${d.count}x, last ${line(d.at)}`
                : `  denied ${where}  ${d.count}x, last ${line(d.at)}`,
            );
          }
        }
        if (r.suggestions.length === 0) return;
        console.log(color.bold("\nTo allow, add to .ballador/config.yaml, for every agent:"));
        console.log(
          `  sandbox:\n    allow_hosts: [${r.suggestions.map((s) => line(JSON.stringify(s.host))).join(", ")}]`,
        );
        console.log(color.bold("or only for the profile that needed it:"));
        for (const s of r.suggestions) for (const l of s.perProfile) console.log(`  ${line(l)}`);
      });
    });
}
