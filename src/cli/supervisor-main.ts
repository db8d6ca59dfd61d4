/** Entry of the run supervisor, started by launch inside the task's tmux session. */
import { enableCompileCache } from "./compile-cache.js";

const runDir = process.argv[2];
if (!runDir) {
  process.stderr.write("usage: supervisor-main.js RUN_DIR (started by ballador launch, not by hand)\n");
  process.exit(2);
}
// Before the supervisor's code loads (below), so Node 22+ takes it from the cache.
enableCompileCache();
// The supervisor's own door, not run/'s: launch, cleanup and the remote relay are not its code.
const { supervise } = await import("../run/supervise/index.js");
try {
  process.exitCode = await supervise(runDir);
} catch (err) {
  process.stderr.write(`[ballador] supervisor failed: ${(err as Error).stack ?? err}\n`);
  // Leave the pane readable for a moment so a person attached can see why.
  await new Promise((r) => setTimeout(r, 5000));
  process.exitCode = 1;
}
