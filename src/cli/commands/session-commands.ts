/** Looking at a task's terminal: its recorded output (`logs`) and its live session (`attach`). */
import { spawn } from "node:child_process";
import type { Command } from "commander";
import type { Project } from "../../project/index.js";
import { printJson } from "../output.js";
import { examples, withProject } from "./common.js";

interface LogsOpts {
  follow?: boolean;
  raw?: boolean;
  json?: boolean;
}

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("the terminal output of a task's latest run")
    .argument("<task>", "task id")
    .option("-f, --follow", "keep printing until the run ends")
    .option("--raw", "print the stream exactly as recorded, escape sequences and all")
    .option("--json", "print the log (the stream, and its screen text) and its location as JSON")
    .addHelpText(
      "after",
      `${examples("ballador logs extract-events", "ballador logs extract-events -f", "ballador logs extract-events --raw > session.log")}

By default the log is the session's screen history as plain text: the recorded stream played
through a terminal emulator of the session's size, so a full-screen agent's redraws read as
the screens it showed, not as fragments. --follow prints the stream as it comes: replayed with
its colours on a terminal, framed as the agent's (a header and a "TASK │" gutter on every line),
without what an agent could use against the terminal: titles, links, clipboard writes, device
queries, clearing the screen, moving the cursor outside its own lines, concealed text;
escape sequences removed in a pipe. --raw prints
every byte.`,
    )
    .action(async (id: string, opts: LogsOpts, cmd: Command) => {
      const { logFile, readLog } = await import("../../run/index.js");
      await withProject(cmd, async (p) => {
        const { run, file } = logFile(p, id);
        if (!opts.follow && !opts.raw) return printScreenText(id, run.id, file, opts.json);
        if (opts.json) return printJson({ task: id, run: run.id, file, log: readLog(file) });
        // A remote run's agent writes its log on the runner: -f follows it there (spec 0013).
        const { remoteFollowArgs } = await import("../../run/index.js");
        const remote = opts.follow && run.status !== "ended" ? remoteFollowArgs(p, run) : null;
        if (remote) return followRemote(p, run.id, remote, opts);
        await printStream(p, id, run.id, file, opts);
      });
    });
}

/**
 * logs -f of a remote run: the runner's session log over ssh, whole lines at a time, stripped of
 * escape sequences unless --raw (the agent wrote them), until the run ends at home.
 */
async function followRemote(p: Project, run: string, argv: string[], opts: LogsOpts): Promise<void> {
  const { stripTerminal } = await import("../../core/terminal-text.js");
  const render = opts.raw ? (t: string) => t : stripTerminal;
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    pending += d;
    const end = pending.lastIndexOf("\n") + 1;
    if (end > 0) process.stdout.write(render(pending.slice(0, end)));
    pending = pending.slice(end);
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  while (child.exitCode === null && p.store().run(run)?.status !== "ended")
    await Promise.race([exited, new Promise((r) => setTimeout(r, 500))]);
  child.kill("SIGTERM");
  await exited;
  if (pending) process.stdout.write(render(pending));
}

/** The default: the recorded stream played through a terminal emulator, as plain text. */
async function printScreenText(id: string, run: string, file: string, json?: boolean): Promise<void> {
  const { readLog } = await import("../../run/index.js");
  const { terminalBlock } = await import("../../core/terminal-text.js");
  const { screenText } = await import("../../adapters/terminal/screen-text.js");
  const { SESSION_SIZE } = await import("../../adapters/tmux/index.js");
  const log = readLog(file);
  const text = await screenText(log, SESSION_SIZE);
  if (json) return printJson({ task: id, run, file, log, text });
  process.stdout.write(terminalBlock(text));
}

/** --raw and --follow: the stream itself, framed on a terminal, stripped in a pipe, raw with --raw. */
async function printStream(p: Project, id: string, run: string, file: string, opts: LogsOpts): Promise<void> {
  const { readLog } = await import("../../run/index.js");
  const { stripTerminal } = await import("../../core/terminal-text.js");
  const { TerminalReplay } = await import("../../core/terminal-replay.js");
  // On a terminal the stream is replayed inside a frame naming the task (issue 29).
  const replay =
    opts.raw || !process.stdout.isTTY
      ? undefined
      : new TerminalReplay({ task: id, run, columns: process.stdout.columns });
  const render = opts.raw ? (t: string) => t : replay ? (t: string) => replay.write(t) : stripTerminal;
  if (replay) {
    process.stdout.write(replay.start());
    // Ctrl-C closes the frame: the terminal's autowrap and colours come back.
    process.once("SIGINT", () => {
      process.stdout.write(replay.end());
      process.exit(130);
    });
  }
  let printed = 0;
  // Whole lines only while following, so no escape sequence is cut in two between reads.
  const flush = (final: boolean) => {
    const text = readLog(file);
    const end = final || opts.raw ? text.length : text.lastIndexOf("\n", text.length - 1) + 1;
    if (end > printed) process.stdout.write(render(text.slice(printed, end)));
    printed = Math.max(printed, end);
  };
  if (!opts.follow) return flush(true);
  flush(false);
  while (p.store().run(run)?.status !== "ended") {
    await new Promise((r) => setTimeout(r, 300));
    flush(false);
  }
  await new Promise((r) => setTimeout(r, 300));
  flush(true);
  if (replay) process.stdout.write(replay.end());
}

export function registerAttach(program: Command): void {
  program
    .command("attach")
    .description("jump into a task's live session (or print the command when not in a terminal)")
    .argument("<task>", "task id")
    .option("--json", "print the attach command as JSON")
    .addHelpText("after", examples("ballador attach extract-events   # detach again with Ctrl-b d"))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { attachArgs } = await import("../../run/index.js");
      await withProject(cmd, async (p) => {
        const { args, live, state, ran } = attachArgs(p, id);
        const { refused } = await import("../../project/index.js");
        const { noSessionMessage } = await import("../../core/attach-hint.js");
        const message = live ? null : noSessionMessage(id, state, ran);
        if (opts.json) return printJson({ task: id, live, state, ran, message, command: args });
        if (message) throw refused("no_live_session", message);
        if (!process.stdin.isTTY || !process.stdout.isTTY) {
          console.log(
            args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" "),
          );
          return;
        }
        await new Promise<void>((resolve) => {
          const child = spawn(args[0] as string, args.slice(1), { stdio: "inherit" });
          child.on("exit", () => resolve());
        });
      });
    });
}
