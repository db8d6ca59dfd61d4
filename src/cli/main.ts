/**
 * The `ballador` command line: a thin face on the use cases. Each command imports its use
 * case only when it runs, so `--version` and `--help` stay fast.
 */
import { Command, CommanderError, Option } from "commander";
import { VERSION } from "../version.js";
import { registerAgentsCommands } from "./commands/agents-commands.js";
import { jsonRequested } from "./commands/common.js";
import { registerConductorCommands } from "./commands/conductor-commands.js";
import { registerDashboardCommands } from "./commands/dashboard-commands.js";
import { registerDeliveryCommands } from "./commands/delivery-commands.js";
import { registerQueueCommands } from "./commands/queue-commands.js";
import { registerRunCommands } from "./commands/run-commands.js";
import { registerRunnerCommands } from "./commands/runner-commands.js";
import { registerRunnerServeCommands } from "./commands/runner-serve-commands.js";
import { registerSandboxCommands } from "./commands/sandbox-commands.js";
import { registerSetupCommands } from "./commands/setup-commands.js";
import { registerShellCommands } from "./commands/shell-commands.js";
import { registerSourceCommands } from "./commands/source-commands.js";
import { handleError } from "./errors.js";
import { applyHelpGroups, groupItemsInOrder } from "./help-groups.js";
import { endOnClosedPipe } from "./output.js";

/** The whole command tree, without running it (also read by completions and the contract test). */
export function buildProgram(opts: { json?: boolean } = {}): { program: Command; captured: () => string } {
  let captured = "";
  const program = new Command("ballador")
    .description(
      "Run many coding agents in parallel, isolated and verified, from living specs cut into parts.",
    )
    .version(VERSION, "-V, --version")
    .addOption(
      new Option("-C, --cwd <dir>", "run as if started in <dir>").default(
        process.cwd(),
        "the current directory",
      ),
    )
    // Commander's own errors come back as exceptions, so usage errors exit 2 and speak JSON too.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => {
        if (opts.json) captured += s;
        else process.stdout.write(s);
      },
      writeErr: (s) => (opts.json ? undefined : process.stderr.write(s)),
    })
    .addHelpText(
      "after",
      `
The journey:
  $ ballador init                      # config, spec folder, state ignore rules
  $ ballador spec new "Data extraction"
  $ ballador part new extract-events --spec 1 --title "Emit extraction events"
  $ ballador queue                     # validate and load all parts
  $ ballador graph && ballador next
  $ ballador launch --watch            # the downbeat
  $ ballador demo                      # all of it on a throwaway repo

Every command speaks --json: one JSON document on stdout (NDJSON with --watch), errors included.
Exit codes: 0 ok, 1 a check found problems, 2 usage error, 3 not found, 4 refused, 70 internal.
State: <repo>/.ballador/state (or $BALLADOR_STATE_DIR).`,
    );
  if (!opts.json) program.showHelpAfterError('(run "ballador --help" for the list of commands)');
  program.configureHelp({ sortSubcommands: false, groupItems: groupItemsInOrder });
  registerSetupCommands(program);
  registerQueueCommands(program);
  registerSourceCommands(program);
  registerRunCommands(program);
  registerDeliveryCommands(program);
  registerSandboxCommands(program);
  registerDashboardCommands(program);
  registerConductorCommands(program);
  registerAgentsCommands(program);
  registerRunnerCommands(program);
  registerShellCommands(program);
  registerRunnerServeCommands(program);
  applyHelpGroups(program);
  return { program, captured: () => captured };
}

export async function main(argv: string[]): Promise<void> {
  endOnClosedPipe();
  const json = jsonRequested(argv.slice(2));
  const { program, captured } = buildProgram({ json });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) {
      // --help or --version asked for with --json: the text as one document.
      if (json) {
        const key = err.code === "commander.version" ? "version" : "help";
        process.stdout.write(`${JSON.stringify({ [key]: captured().trim() }, null, 2)}\n`);
      }
      process.exit(0);
    }
    const args = argv.slice(2);
    handleError(err, json, json && args.some((a) => a === "--watch" || a === "-w"));
  }
}
