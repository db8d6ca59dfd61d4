/**
 * The conductor's commands: the MCP server an orchestrator talks to, the install of the skill
 * and guidance files, and the planner (spec draft, plan). None of them launches anything.
 */
import type { Command } from "commander";
import { UserError } from "../../core/errors.js";
import { color, printJson } from "../output.js";
import { progressWriter } from "../progress.js";
import { examples, globals, withProject } from "./common.js";

export function registerConductorCommands(program: Command): void {
  registerMcp(program);
  registerConductorInstall(program);
  registerPlan(program);
  registerSpecDraft(program);
}

function registerMcp(program: Command): void {
  program
    .command("mcp")
    .description(
      "serve the conductor's chamber over MCP (stdio): read and write specs and parts, queue, status, next, graph, show, brief, denials; no launch, stop, merge or done",
    )
    // Every command accepts --json; this one speaks JSON-RPC on stdio either way.
    .option("--json", "accepted for the output contract; the server speaks JSON-RPC on stdio either way")
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

function registerConductorInstall(program: Command): void {
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
      const { installConductor } = await import("../../plan/index.js");
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

type PlanResult = Awaited<ReturnType<typeof import("../../plan/index.js").planSpec>>;

function registerPlan(program: Command): void {
  program
    .command("plan")
    .description(
      "have the conductor profile cut a spec into parts (headless, sandboxed, only the spec's parts folder writable); validated as queue --dry-run, problems sent back; prints the graph, the waves and overlaps",
    )
    .argument("<spec>", "spec number, name (0003-data-extraction) or path")
    .option("--queue", "queue the plan when it is valid")
    .option("--attempts <n>", "attempts before giving up", "3")
    .option("--json", "print the plan as JSON")
    .addHelpText(
      "after",
      `${examples("ballador plan 3", "ballador plan 0003-data-extraction --queue", "ballador plan 3 --json")}

The conductor is the profile named by "conductor:" in .ballador/config.yaml (default: agents.default),
run with its preset's headless variant. It never launches anything; review the parts, then
"ballador queue" (or --queue) and "ballador launch": the downbeat is yours.`,
    )
    .action(
      async (spec: string, opts: { queue?: boolean; attempts: string; json?: boolean }, cmd: Command) => {
        const attempts = attemptsOption(opts.attempts);
        const { planSpec } = await import("../../plan/index.js");
        await withProject(cmd, async (p) => {
          const r = await planSpec(p, spec, {
            queue: opts.queue === true,
            attempts,
            progress: progressWriter({ json: opts.json === true }).progress,
          });
          if (!r.valid) process.exitCode = 1;
          if (opts.json) return printJson(r);
          printPlan(r);
        });
      },
    );
}

/** The plan for a person: its graph and waves, overlaps, problems, and what to do next. */
function printPlan(r: PlanResult): void {
  const n = r.run.attempts.length;
  const lines = [
    `${color.bold(`Plan for ${r.spec}`)} in ${r.folder}: ${r.valid ? color.green("valid") : color.red("not valid")} after ${n} attempt${n === 1 ? "" : "s"} (profile ${r.run.profile})`,
    "",
    color.bold("Graph:"),
    safe(r.graph),
    "",
    color.bold("Waves (the parts of a wave can run in parallel):"),
    ...r.waves.map((w, i) => `  ${i + 1}: ${w.join(", ")}`),
  ];
  if (r.overlaps.length > 0) {
    lines.push(
      "",
      color.bold("Overlap warnings:"),
      ...r.overlaps.map((o) => color.yellow(`  ! ${safe(o.message)}`)),
    );
  }
  if (r.restored.length > 0) {
    lines.push("", color.yellow(`Put back (parts of started tasks): ${r.restored.join(", ")}`));
  }
  if (r.problems.length > 0) {
    lines.push(
      "",
      color.bold("Problems:"),
      ...r.problems.map((x) => color.red(`  - ${safe(x).replace(/\n/g, "\n    ")}`)),
    );
  }
  if (r.run.outsideChanges.length > 0) {
    lines.push(color.red(`Changed outside ${r.folder}: ${r.run.outsideChanges.join(", ")}`));
  }
  lines.push("");
  if (r.queued) {
    lines.push(
      `Queued ${r.queued.inserted.length} new, updated ${r.queued.updated.length}, ${r.queued.unchanged.length} unchanged.${r.queued.skipped.length ? ` Skipped (started): ${r.queued.skipped.map((x) => x.id).join(", ")}.` : ""} Next: ballador next, then ballador launch.`,
    );
  } else if (r.valid) {
    lines.push(`Review the parts in ${r.folder}, then: ballador queue ${r.folder}`);
  }
  lines.push(color.dim(`Run folder: ${r.run.runDir}`));
  console.log(lines.join("\n"));
}

function registerSpecDraft(program: Command): void {
  const spec = program.commands.find((c) => c.name() === "spec");
  if (!spec) throw new Error("the spec command is registered by setup-commands");
  spec
    .command("draft")
    .description(
      "have the conductor profile write a new living spec (headless, sandboxed, only the new file writable); checked with spec check, problems sent back",
    )
    .argument("<title>", "the spec's title")
    .option("--context <text>", "what the spec is about: the problem, constraints, ideas")
    .option("--context-file <file>", "the same, from a file")
    .option("--attempts <n>", "attempts before giving up", "3")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        'ballador spec draft "Data extraction" --context "Extract events from the raw logs; keep memory flat"',
        'ballador spec draft "Rate limits" --context-file notes/rate-limits.md --json',
      ),
    )
    .action(
      async (
        title: string,
        opts: { context?: string; contextFile?: string; attempts: string; json?: boolean },
        cmd: Command,
      ) => {
        const attempts = attemptsOption(opts.attempts);
        const context = await readContext(cmd, opts);
        const { draftSpec } = await import("../../plan/index.js");
        await withProject(cmd, async (p) => {
          const r = await draftSpec(p, title, context, {
            attempts,
            progress: progressWriter({ json: opts.json === true }).progress,
          });
          if (!r.path) process.exitCode = 1;
          if (opts.json) return printJson(r);
          const n = r.run.attempts.length;
          const lines = r.path
            ? [
                `${color.green("Drafted")} ${r.path} after ${n} attempt${n === 1 ? "" : "s"} (profile ${r.run.profile}); spec check passes.`,
                `Read it and edit it, then: ballador plan ${r.path}`,
              ]
            : [
                color.red(`No spec written: the draft still failed after ${n} attempt${n === 1 ? "" : "s"}:`),
                ...r.problems.map((x) => `  - ${safe(x)}`),
              ];
          lines.push(color.dim(`Run folder: ${r.run.runDir}`));
          console.log(lines.join("\n"));
        });
      },
    );
}

/** What the spec is about: exactly one of --context TEXT or --context-file FILE. */
async function readContext(cmd: Command, opts: { context?: string; contextFile?: string }): Promise<string> {
  if ((opts.context === undefined) === (opts.contextFile === undefined)) {
    throw new UserError("give exactly one of --context TEXT or --context-file FILE");
  }
  let context = opts.context ?? "";
  if (opts.contextFile !== undefined) {
    const { readFileSync } = await import("node:fs");
    const { resolve } = await import("node:path");
    try {
      context = readFileSync(resolve(globals(cmd).cwd, opts.contextFile), "utf8");
    } catch (err) {
      throw new UserError(
        `--context-file: cannot read ${opts.contextFile}: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
  }
  return context;
}

function attemptsOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10) {
    throw new UserError(`--attempts: "${value}" is not a number from 1 to 10`);
  }
  return n;
}

/** What a conductor wrote (titles, problems quoting its files) reaches the terminal without control characters. */
function safe(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "?");
}
