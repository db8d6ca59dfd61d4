/**
 * `ballador __runner-serve`: the hidden runner mode of the run protocol (spec 0013). Home runs
 * `run`, `status` and `stop` on a runner over SSH; `relay` is the process of a remote run's
 * session at home. Not for people: the help of `runner` and `launch --on` are theirs.
 */
import type { Command } from "commander";
import { relayMain, serveRunMain } from "../runner-serve-fast.js";

export function registerRunnerServeCommands(program: Command): void {
  const serve = program
    .command("__runner-serve", { hidden: true })
    .description("the runner's side of a remote run (run by Ballador over SSH, not by hand)");
  serve
    .command("run")
    .description("read a run order on stdin, run it here, stream its events as JSON lines")
    .action(serveRunMain);
  serve
    .command("status")
    .description("one JSON line: whether the run is live on this runner, and its end")
    .argument("<root>", "the runner's root")
    .argument("<run>", "the run id")
    .action(async (root: string, run: string) => {
      const { runStatus } = await import("../../run/index.js");
      process.stdout.write(`${JSON.stringify(await runStatus(root, run))}\n`);
    });
  serve
    .command("stop")
    .description("stop the run on this runner (the person stopped it at home)")
    .argument("<root>", "the runner's root")
    .argument("<run>", "the run id")
    .action(async (root: string, run: string) => {
      const { stopRun } = await import("../../run/index.js");
      await stopRun(root, run);
    });
  serve
    .command("relay")
    .description("the process of a remote run's session at home")
    .argument("<run-dir>", "the run's folder")
    .action(relayMain);
}
