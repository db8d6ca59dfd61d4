/**
 * The `ballador` command line: a thin face on the use cases. Each command imports its use
 * case only when it runs, so `--version` and `--help` stay fast.
 */
import { Command, Option } from "commander";
import { VERSION } from "../version.js";
import { registerDashboardCommands } from "./commands/dashboard-commands.js";
import { registerDeliveryCommands } from "./commands/delivery-commands.js";
import { registerQueueCommands } from "./commands/queue-commands.js";
import { registerRunCommands } from "./commands/run-commands.js";
import { registerSandboxCommands } from "./commands/sandbox-commands.js";
import { registerSetupCommands } from "./commands/setup-commands.js";
import { handleError } from "./errors.js";

export async function main(argv: string[]): Promise<void> {
  // `ballador status | head` closes the pipe early: that is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  const program = new Command("ballador")
    .description(
      "Run many coding agents in parallel, isolated and verified, from living specs cut into parts.",
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError('(run "ballador --help" for the list of commands)')
    .addOption(new Option("-C, --cwd <dir>", "run as if started in <dir>").default(process.cwd()))
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

Every command speaks --json. State: <repo>/.ballador/state (or $BALLADOR_STATE_DIR).`,
    );
  program.configureHelp({ sortSubcommands: false });
  registerSetupCommands(program);
  registerQueueCommands(program);
  registerRunCommands(program);
  registerDeliveryCommands(program);
  registerSandboxCommands(program);
  registerDashboardCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    handleError(err, argv.includes("--json"));
  }
}
