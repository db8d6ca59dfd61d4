/**
 * `ballador __runner-serve`: the hidden runner mode of the run protocol (spec 0013). Home runs
 * `run`, `status` and `stop` on a runner over SSH; `relay` is the process of a remote run's
 * session at home. Not for people: the help of `runner` and `launch --on` are theirs.
 */
import type { Command } from "commander";
import { spawnPrepared } from "../../adapters/ssh/index.js";

async function readStdin(max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > max) throw new Error(`the run order is larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function registerRunnerServeCommands(program: Command): void {
  const serve = program
    .command("__runner-serve", { hidden: true })
    .description("the runner's side of a remote run (run by Ballador over SSH, not by hand)");
  serve
    .command("run")
    .description("read a run order on stdin, run it here, stream its events as JSON lines")
    .action(async () => {
      // The order is read while the runner's code loads (it comes once home's push is done).
      const order = readStdin(2 * 1024 * 1024);
      order.catch(() => undefined);
      const write = (e: unknown) => process.stdout.write(`${JSON.stringify(e)}\n`);
      try {
        const { serveRun } = await import("../../run/index.js");
        await serveRun(order, write);
      } catch (err) {
        const message = (err as Error).message.split("\n")[0]?.slice(0, 3000) ?? "error";
        write({
          t: "end",
          state: "failed",
          reason: `launch: on the runner: ${message}`,
          outcome: "runner-error",
          commit: null,
        });
        process.exitCode = 1;
      }
    });
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
    .action(async (runDir: string) => {
      // Its connection first: the runner's side starts while this process loads its code.
      const opening = spawnPrepared(runDir);
      const { relay } = await import("../../run/index.js");
      const early = await opening;
      try {
        process.exitCode = await relay(runDir, early);
      } catch (err) {
        process.stderr.write(`[ballador] relay failed: ${(err as Error).stack ?? err}\n`);
        await new Promise((r) => setTimeout(r, 5000));
        process.exitCode = 1;
      }
    });
}
