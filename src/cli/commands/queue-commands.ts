/**
 * The queue and the views on it: load parts (`queue`), the task table (`status`), what comes next
 * (`next`), the dependency graph (`graph`) and one task whole (`show`).
 */
import type { Command } from "commander";
import { overrideText } from "../../core/part-verify.js";
import { block, color, line, printJson } from "../output.js";
import { examples, globals, withProject } from "./common.js";
import { registerShow } from "./show-command.js";
import { registerNext, registerStatus } from "./status-commands.js";

export function registerQueueCommands(program: Command): void {
  registerQueue(program);
  registerStatus(program);
  registerNext(program);
  registerGraph(program);
  registerShow(program);
}

type QueueResult = ReturnType<typeof import("../../plan/index.js").queueParts>;

function registerQueue(program: Command): void {
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
      const { queueParts, notOnBase } = await import("../../plan/index.js");
      await withProject(cmd, async (p) => {
        const r = queueParts(p, paths, globals(cmd).cwd, { dryRun: opts.dryRun === true });
        const warnings = r.dryRun ? [] : await notOnBase(p, [...r.inserted, ...r.updated]);
        if (opts.json) return printJson({ ...r, warnings });
        printQueued(r, warnings);
      });
    });
}

function registerGraph(program: Command): void {
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
      const { usage } = await import("../../project/index.js");
      if (!["tree", "mermaid", "dot"].includes(opts.format)) {
        throw usage(
          "invalid_option",
          `--format: "${line(opts.format)}" is not a format; use tree, mermaid or dot`,
        );
      }
      const { graph } = await import("../../observe/index.js");
      await withProject(cmd, (p) => {
        if (opts.json) {
          const tasks = p.store().tasks();
          return printJson({
            nodes: tasks.map((t) => ({ id: t.id, title: t.title, state: t.state })),
            edges: tasks.flatMap((t) => t.needs.map((d) => ({ from: d, to: t.id }))),
          });
        }
        console.log(block(graph(p, opts.format as "tree" | "mermaid" | "dot")));
      });
    });
}

/** What was queued, updated or skipped, and why a task's "done" or base deserves a look. */
function printQueued(r: QueueResult, warnings: string[]): void {
  const verb = r.dryRun ? "would queue" : "queued";
  console.log(
    `${r.files} part file${r.files === 1 ? "" : "s"}: ${verb} ${r.inserted.length} new, ${r.dryRun ? "would update" : "updated"} ${r.updated.length}, ${r.unchanged.length} unchanged.`,
  );
  // One write: 10,000 console.log calls cost more than the queueing they report.
  const lines = [...r.inserted.map((id) => `  + ${id}`), ...r.updated.map((id) => `  ~ ${id}`)];
  if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
  // What decides "done" changed for these: said where the person queues them.
  for (const o of r.verifyOverrides) console.log(color.yellow(`  ! ${o.id}: ${line(overrideText(o))}`));
  for (const s of r.skipped) {
    console.log(
      color.yellow(
        `  ! ${s.id}: ${line(s.path)} changed but the task is ${s.state}; not updated (stop or retry it first)`,
      ),
    );
  }
  for (const w of warnings) process.stderr.write(`${color.yellow(`warning: ${line(w)}`)}\n`);
}
