/**
 * The two processes of a remote run's start without the command tree (spec 0013, "Speed"):
 * `__runner-serve relay <run-dir>` (a remote run's session at home) and `__runner-serve run`
 * (the runner's side, over SSH). bin/ballador.js comes here for exactly those argument lists,
 * so neither loads commander nor the other commands' code; the command tree's hidden commands
 * call the same functions (runner-serve-commands.ts), so both ways behave alike.
 */
import { spawnPrepared } from "../adapters/ssh/index.js";

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

/** `__runner-serve run`: reads the order on stdin, runs it here, streams its events as JSON lines. */
export async function serveRunMain(): Promise<void> {
  // The order is read while the runner's code loads (it comes once home's push is done).
  const order = readStdin(2 * 1024 * 1024);
  order.catch(() => undefined);
  const write = (e: unknown) => process.stdout.write(`${JSON.stringify(e)}\n`);
  try {
    const { serveRun } = await import("../run/index.js");
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
}

/** `__runner-serve relay <run-dir>`: the process of a remote run's session at home. */
export async function relayMain(runDir: string): Promise<void> {
  // Its connection first: the runner's side starts while this process loads its code.
  const opening = spawnPrepared(runDir);
  const { relay } = await import("../run/index.js");
  const early = await opening;
  try {
    process.exitCode = await relay(runDir, early);
  } catch (err) {
    process.stderr.write(`[ballador] relay failed: ${(err as Error).stack ?? err}\n`);
    await new Promise((r) => setTimeout(r, 5000));
    process.exitCode = 1;
  }
}
