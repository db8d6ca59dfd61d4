/**
 * Child of bench/sections/wrap-scan.js, bundled there with the sandbox runtime as dist/bundle is
 * (so the runtime's dangerous-file scan is Ballador's, src/adapters/sandbox/ripgrep.ts).
 * argv: <folder> <rounds>. Times RunSandbox.wrapShell, and wrap + run of `true`, from an empty
 * wrap folder (today's: no rg) and from one holding a file (rg runs, as it did at every wrap
 * before), in turn. Prints one JSON document of per-round milliseconds.
 */
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RunSandbox } from "../dist/adapters/sandbox/index.js";
import { scans } from "../dist/adapters/sandbox/ripgrep.js";
import { wrapFixture } from "../test/helpers/wrap-fixture.mjs";

const [base, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const { runDir, scratch, worktree, policy } = wrapFixture(base);

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
function runWrapped(w) {
  return new Promise((resolve, reject) => {
    const child = spawn(w.file, w.args, { cwd: worktree, stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`sandboxed true exited ${code}`)),
    );
  });
}

const sandbox = await RunSandbox.start(policy, { runDir, tmp: join(runDir, "tmp") });
const result = {
  emptyWrap: [],
  scannedWrap: [],
  emptyStep: [],
  scannedStep: [],
  emptyCpu: [],
  scannedCpu: [],
};
try {
  for (let i = -2; i < rounds; i++) {
    for (const kind of ["empty", "scanned"]) {
      if (kind === "scanned") writeFileSync(join(scratch, "present"), "");
      else rmSync(join(scratch, "present"), { force: true });
      const t = process.hrtime.bigint();
      const c = process.cpuUsage();
      const w = await sandbox.wrapShell("exec true", worktree);
      const wrapMs = ms(t);
      // This process's CPU for the wrap (the fork of rg included; rg's own run is not).
      const used = process.cpuUsage(c);
      const wrapCpu = (used.user + used.system) / 1000;
      await runWrapped(w);
      if (i < 0) continue;
      result[`${kind}Wrap`].push(wrapMs);
      result[`${kind}Cpu`].push(wrapCpu);
      result[`${kind}Step`].push(ms(t));
    }
  }
} finally {
  await RunSandbox.stopAll();
}
process.stdout.write(`${JSON.stringify({ ...result, scans: { ...scans } })}\n`);
