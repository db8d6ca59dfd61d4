/**
 * Running tasks: launch, steer, stop and clean up, plus the agent's own commands from inside a
 * run. Registered in this order (the contract test and completions walk the tree in it; --help
 * groups them by src/cli/help-groups.ts).
 */
import type { Command } from "commander";
import { examples } from "./common.js";
import { registerDone, registerHook, registerNoteAndBlocked } from "./inside-commands.js";
import { registerLaunch } from "./launch-commands.js";
import { registerAbandon, registerCleanup, registerResume, registerStop } from "./lifecycle-commands.js";
import { registerAttach, registerLogs } from "./session-commands.js";
import {
  registerApprove,
  registerFeedback,
  registerRequestChanges,
  registerRetry,
} from "./steering-commands.js";

export function registerRunCommands(program: Command): void {
  registerLaunch(program);
  registerNoteAndBlocked(program);
  registerApprove(program);
  registerRequestChanges(program);
  registerFeedback(program);
  registerHook(program);
  registerDone(program);
  registerStop(program);
  registerResume(program);
  registerRetry(program);
  registerAbandon(program);
  registerLogs(program);
  registerAttach(program);
  registerCleanup(program);
  registerDemo(program);
}

function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "the whole journey on a throwaway repo: spec, four parts, scripted agents in parallel, review queue",
    )
    .option("--keep", "keep the throwaway repo and its sessions (otherwise removed at the end)")
    .option("--dir <dir>", "where to create the throwaway repo (default: a new temp folder)")
    .option("--json", "print the final status and next as JSON")
    .addHelpText("after", examples("ballador demo", "ballador demo --keep"))
    .action(async (opts: { keep?: boolean; dir?: string; json?: boolean }) => {
      const { demo } = await import("../../setup/index.js");
      const { openProject } = await import("../../project/index.js");
      const r = await demo({
        open: openProject,
        keep: opts.keep === true,
        ...(opts.dir ? { dir: opts.dir } : {}),
        json: opts.json === true,
      });
      if (!r.ok) process.exitCode = 1;
    });
}
