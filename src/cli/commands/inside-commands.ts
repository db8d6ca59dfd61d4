/**
 * The commands an agent runs from inside its sandboxed run (`done`, `blocked`, `note`, `hook`,
 * and a reviewer's verdict through `approve` / `request-changes`): they call src/inside/ only,
 * never open the project.
 */
import type { Command } from "commander";
import { reportedText } from "../../core/report-rules.js";
import { printJson } from "../output.js";
import { examples, globals } from "./common.js";

/** `note` and `blocked`: a line of text for the run's report. */
export function registerNoteAndBlocked(program: Command): void {
  for (const [name, description, example] of [
    [
      "note",
      "record a decision and its reason (from inside a run)",
      'ballador note "kept the v1 API: clients depend on it"',
    ],
    [
      "blocked",
      "report that there is truly no way forward, and why (from inside a run)",
      'ballador blocked "needs the STRIPE_KEY secret"',
    ],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument("<text...>", name === "note" ? "the note" : "why")
      .option("--json", "print the result as JSON")
      .addHelpText("after", examples(example))
      .action(async (words: string[], opts: { json?: boolean }, cmd: Command) => {
        const { report } = await import("../../inside/index.js");
        const r = await report(globals(cmd).cwd, name, words.join(" "));
        if (opts.json) return printJson(r);
        console.log(reportedText(name, r.taskId));
      });
  }
}

/** Whether this process runs inside a run: every run has BALLADOR_RUN_DIR, a person's shell has not. */
export function insideRun(): boolean {
  return Boolean(process.env.BALLADOR_RUN_DIR);
}

/** A reviewer's or auditor's verdict from inside its run (`approve` / `request-changes` there). */
export async function recordVerdict(
  cmd: Command,
  verdict: "approve" | "changes",
  text: string,
  json: boolean | undefined,
): Promise<void> {
  const { report } = await import("../../inside/index.js");
  const r = await report(globals(cmd).cwd, verdict, text);
  if (json) return printJson(r);
  console.log(reportedText(verdict, r.taskId));
}

/** Reads a hook's event document from stdin (at most about 1 MiB; nothing on a terminal). */
async function hookInput(): Promise<string> {
  let input = "";
  if (!process.stdin.isTTY) {
    for await (const chunk of process.stdin) {
      input += String(chunk);
      if (input.length > 1024 * 1024) break;
    }
  }
  return input;
}

export function registerHook(program: Command): void {
  program
    .command("hook")
    .description(
      "for an agent's own hooks, from inside a run: it waits for a person, or works again (prints nothing)",
    )
    .argument(
      "[event]",
      "Notification, Stop, UserPromptSubmit or PreToolUse (default: hook_event_name on stdin)",
    )
    .option("--json", "print the report written, and errors, as JSON (a hook never does)")
    .addHelpText(
      "after",
      `${examples("ballador hook Stop < event.json", 'echo \'{"hook_event_name":"Notification","message":"Claude needs your permission"}\' | ballador hook')}

Ballador seeds these hooks into a sandboxed Claude Code run's settings. Without --json it
prints nothing on stdout and always exits 0, so it can never change what the agent does.`,
    )
    .action(async (event: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const { hookReport } = await import("../../inside/index.js");
      const input = await hookInput();
      if (opts.json) {
        const r = await hookReport(globals(cmd).cwd, event, input);
        return printJson(r ?? { ignored: true });
      }
      try {
        await hookReport(globals(cmd).cwd, event, input);
      } catch (err) {
        process.stderr.write(`ballador hook: ${(err as Error).message}\n`);
      }
    });
}

export function registerDone(program: Command): void {
  program
    .command("done")
    .description("report the work as done (from inside a run); refused while changes are uncommitted")
    .option("-s, --summary <text>", "what you did, for the reviewer")
    .option("--allow-dirty", "report done even with uncommitted changes")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples('ballador done --summary "events emitted for every extraction"'))
    .action(async (opts: { summary?: string; allowDirty?: boolean; json?: boolean }, cmd: Command) => {
      const { report } = await import("../../inside/index.js");
      const r = await report(globals(cmd).cwd, "done", opts.summary ?? "", {
        allowDirty: opts.allowDirty === true,
      });
      if (opts.json) return printJson(r);
      console.log(reportedText("done", r.taskId));
    });
}
