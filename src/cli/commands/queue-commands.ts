import type { Command } from "commander";
import { age, color, printJson, stateColor, table, truncate } from "../output.js";
import { examples, withProject } from "./common.js";

export function registerQueueCommands(program: Command): void {
  program
    .command("queue")
    .description("validate parts and load them into the task store (all or nothing)")
    .argument("[paths...]", "part files or folders (default: the parts folder)")
    .option("--dry-run", "validate and report, write nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador queue",
        "ballador queue .ballador/parts/0001-data-extraction",
        "ballador queue --dry-run --json",
      ),
    )
    .action(async (paths: string[], opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const { queueParts } = await import("../../usecases/queue.js");
      const { globals } = await import("./common.js");
      await withProject(cmd, (p) => {
        const r = queueParts(p, paths, globals(cmd).cwd, { dryRun: opts.dryRun === true });
        if (opts.json) return printJson(r);
        const verb = r.dryRun ? "would queue" : "queued";
        console.log(
          `${r.files} part file${r.files === 1 ? "" : "s"}: ${verb} ${r.inserted.length} new, ${r.dryRun ? "would update" : "updated"} ${r.updated.length}, ${r.unchanged.length} unchanged.`,
        );
        // One write: 10,000 console.log calls cost more than the queueing they report.
        const lines = [...r.inserted.map((id) => `  + ${id}`), ...r.updated.map((id) => `  ~ ${id}`)];
        if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
        for (const s of r.skipped) {
          console.log(
            color.yellow(
              `  ! ${s.id}: ${s.path} changed but the task is ${s.state}; not updated (stop or retry it first)`,
            ),
          );
        }
      });
    });

  program
    .command("status")
    .description("the task table: id, title, state, agent, attempt, age, branch")
    .option("-w, --watch", "refresh every second until interrupted")
    .option("--json", "print the tasks as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador status",
        "ballador status --watch",
        "ballador status --json | jq '.tasks[] | select(.state==\"review\")'",
      ),
    )
    .action(async (opts: { watch?: boolean; json?: boolean }, cmd: Command) => {
      const { statusReport } = await import("../../usecases/status.js");
      const render = () =>
        withProject(cmd, async (p) => {
          const report = await statusReport(p);
          if (opts.json) return printJson(report);
          const lines: string[] = [];
          if (report.sandbox === "none") {
            lines.push(
              color.red(
                "SANDBOX OFF: agents run with full access to your files, network and credentials (sandbox.mode: none)",
              ),
            );
          }
          lines.push(
            report.tasks.length === 0
              ? 'No tasks. Write parts (ballador part new) and run "ballador queue".'
              : table(
                  ["ID", "TITLE", "STATE", "AGENT", "ATT", "AGE", "BRANCH"],
                  report.tasks.map((t) => [
                    t.id,
                    truncate(t.title, 40),
                    stateColor(t.state) +
                      (t.reason ? color.dim(` (${t.reason})`) : "") +
                      (t.denials > 0 ? color.yellow(` [${t.denials} denied]`) : ""),
                    t.agent,
                    String(t.attempt),
                    age(t.since),
                    t.branch ?? "",
                  ]),
                ),
          );
          const counts = Object.entries(report.counts)
            .map(([s, n]) => `${n} ${s}`)
            .join(", ");
          if (counts) lines.push(color.dim(counts));
          for (const d of report.disagreements) lines.push(color.yellow(`! ${d}`));
          return lines.join("\n");
        });
      if (!opts.watch) {
        const out = await render();
        if (typeof out === "string") console.log(out);
        return;
      }
      for (;;) {
        const out = await render();
        process.stdout.write(
          `\x1b[H\x1b[2J${new Date().toLocaleTimeString()}  (Ctrl-C to stop)\n${out ?? ""}\n`,
        );
        await new Promise((r) => setTimeout(r, 1000));
      }
    });

  program
    .command("next")
    .description("what can start now, what waits on what, what awaits review, what is stuck")
    .option("--json", "print the report as JSON")
    .addHelpText("after", examples("ballador next", "ballador next --json"))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { nextWithConflicts } = await import("../../usecases/read.js");
      await withProject(cmd, async (p) => {
        const r = await nextWithConflicts(p);
        if (opts.json) return printJson(r);
        const section = (title: string, lines: string[]) => {
          console.log(color.bold(title));
          console.log(lines.length > 0 ? lines.map((l) => `  ${l}`).join("\n") : color.dim("  (none)"));
        };
        section(
          "Awaiting review (review in this order):",
          r.review.map(
            (t) =>
              `${t.id}  ${t.title}  ${color.dim(`${age(t.since)} in review`)}  -> ballador review ${t.id}`,
          ),
        );
        section(
          "Ready to launch (launch order):",
          r.ready.map((t) => `${t.id}  ${t.title}  ${color.dim(`priority ${t.priority}, agent ${t.agent}`)}`),
        );
        section(
          "Running:",
          r.running.map((t) => `${t.id}  ${t.title}  ${color.dim(`${t.state} for ${age(t.since)}`)}`),
        );
        section(
          "Waiting:",
          r.waiting.map((t) => `${t.id}  waits on ${t.on.map((d) => `${d.id} (${d.state})`).join(", ")}`),
        );
        section(
          "Blocked, failed or stopped:",
          r.stuck.map((t) => `${t.id}  ${stateColor(t.state)}${t.reason ? `: ${t.reason}` : ""}`),
        );
        section(
          "Conflicts:",
          r.conflicts.map((c) => (c.kind === "textual" ? color.red(c.message) : color.yellow(c.message))),
        );
        if (r.mergeOrder.length > 1) console.log(`Suggested merge order: ${r.mergeOrder.join(" -> ")}`);
      });
    });

  program
    .command("graph")
    .description("draw the dependency graph: terminal tree, Mermaid or DOT")
    .option("-f, --format <format>", "tree, mermaid or dot", "tree")
    .option("--json", "print nodes and edges as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador graph",
        "ballador graph --format mermaid > graph.mmd",
        "ballador graph --format dot | dot -Tsvg > graph.svg",
      ),
    )
    .action(async (opts: { format: string; json?: boolean }, cmd: Command) => {
      const { UserError } = await import("../../usecases/errors.js");
      if (!["tree", "mermaid", "dot"].includes(opts.format)) {
        throw new UserError(`--format: "${opts.format}" is not a format; use tree, mermaid or dot`);
      }
      const { graph } = await import("../../usecases/read.js");
      await withProject(cmd, (p) => {
        if (opts.json) {
          const tasks = p.store().tasks();
          return printJson({
            nodes: tasks.map((t) => ({ id: t.id, title: t.title, state: t.state })),
            edges: tasks.flatMap((t) => t.needs.map((d) => ({ from: d, to: t.id }))),
          });
        }
        console.log(graph(p, opts.format as "tree" | "mermaid" | "dot"));
      });
    });

  program
    .command("show")
    .description("one task: its part, its state history, its runs and notes")
    .argument("<task>", "task id")
    .option("--json", "print everything as JSON")
    .addHelpText("after", examples("ballador show extract-events"))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { show } = await import("../../usecases/read.js");
      await withProject(cmd, (p) => {
        const r = show(p, id);
        if (opts.json) return printJson(r);
        const t = r.task;
        console.log(`${color.bold(t.id)}  ${t.title}`);
        console.log(
          `state ${stateColor(t.state)}${t.reason ? ` (${t.reason})` : ""}, attempt ${t.attempt}, priority ${t.priority}`,
        );
        console.log(
          `agent ${t.agent ?? `${p.config.agents.default} (default)`}${t.role ? `, role ${t.role}` : ""}`,
        );
        if (t.spec) console.log(`spec  ${t.spec}`);
        if (t.partPath) console.log(`part  ${t.partPath}`);
        if (t.needs.length) console.log(`needs ${t.needs.join(", ")}`);
        if (r.dependents.length) console.log(`needed by ${r.dependents.join(", ")}`);
        if (t.scope.length) console.log(`scope ${t.scope.join(", ")}`);
        if (t.branch) console.log(`branch ${t.branch}`);
        console.log(`\n${t.body}\n`);
        console.log(color.bold("History:"));
        for (const e of r.events) {
          console.log(
            `  ${e.at}  ${e.from ?? "-"} -> ${e.to}  ${e.cause}  ${color.dim(`by ${e.actor}`)}${e.detail ? `\n      ${e.detail}` : ""}`,
          );
        }
        if (r.runs.length) {
          console.log(color.bold("Runs:"));
          for (const run of r.runs) {
            console.log(
              `  ${run.id}  ${run.profile}  ${run.status}${run.outcome ? ` (${run.outcome})` : ""}${run.exitCode !== null ? ` exit ${run.exitCode}` : ""}  ${run.worktree}`,
            );
          }
        }
        if (r.notes.length) {
          console.log(color.bold("Notes:"));
          for (const n of r.notes) console.log(`  ${n.at}  [${n.kind}] ${n.text}`);
        }
        if (r.artifacts.length) {
          console.log(color.bold("Artifacts:"));
          for (const a of r.artifacts) console.log(`  ${a.at}  ${a.kind}  ${a.value}`);
        }
      });
    });
}
