/**
 * Child of bench/sections/masked-secrets.js, started with NODE_EXTRA_CA_CERTS naming the test
 * server's CA (the proxy verifies upstream certificates with Node's roots plus that file, read
 * at process start). argv: <work folder> <server port> <test CA file>. Prints one JSON document:
 * per mode ("tunnel": HTTPS through the proxy untouched; "terminated": the proxy terminates TLS
 * with the run's CA, substitutes a masked secret and scrubs responses), per-request times and
 * download times. Run as a bundle (see the section).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildPolicy, RunSandbox } from "../dist/adapters/sandbox/index.js";
import { run, runAsync } from "./lib.js";

const [base, portText, caFile] = process.argv.slice(2);
const port = Number(portText);
const REQUESTS = 50;
const DOWNLOADS = 5;

// Bundled with the sandbox runtime by the section (as dist/bundle is), so the runtime's proxy is
// the rewritten one that scrubs responses: the plain runtime refuses masked secrets.

const repo = join(base, "repo");
const worktreeRoot = join(base, "repo.ballador");
const worktree = join(worktreeRoot, "bench-task");
const stateDir = join(repo, ".ballador", "state");
const runDir = join(stateDir, "runs", "bench-task-a1");
const tmp = join(runDir, "tmp");
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "bench",
  GIT_AUTHOR_EMAIL: "bench@example.invalid",
  GIT_COMMITTER_NAME: "bench",
  GIT_COMMITTER_EMAIL: "bench@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};
mkdirSync(repo, { recursive: true });
run("git", ["init", "-q", "-b", "main"], { cwd: repo, env: gitEnv });
run("git", ["commit", "-q", "--allow-empty", "-m", "init"], { cwd: repo, env: gitEnv });
mkdirSync(worktreeRoot, { recursive: true });
run("git", ["worktree", "add", "-q", "-b", "ballador/bench-task", worktree, "main"], {
  cwd: repo,
  env: gitEnv,
});
for (const d of ["home", "tmp", "inbox", "objects", "refs", "reflogs"])
  mkdirSync(join(runDir, d), { recursive: true });
mkdirSync(join(stateDir, "bin"), { recursive: true });
const policy = buildPolicy({
  kind: "agent",
  worktree,
  runDir,
  stateDir,
  shimDir: join(stateDir, "bin"),
  worktreeRoot,
  gitCommonDir: join(repo, ".git"),
  gitWorktreeDir: join(repo, ".git", "worktrees", "bench-task"),
  branch: "ballador/bench-task",
  allowHosts: ["127.0.0.1"],
  allowWrite: [],
  denyRead: [],
});

const small = `https://127.0.0.1:${port}/small`;
const big = `https://127.0.0.1:${port}/big`;
const many = [
  "-s",
  "-w",
  "%{time_total} %{http_code}\\n",
  ...Array.from({ length: REQUESTS }, () => [
    "-o",
    "/dev/null",
    "-H",
    'Authorization: Bearer "$TOKEN"',
    small,
  ]).flat(),
];
const dl = ["-s", "-o", "/dev/null", "-w", "%{time_total} %{speed_download} %{http_code}", big];
const shq = (s) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

async function measure(sandbox, prefix) {
  const inside = async (args) => {
    // The Authorization header names $TOKEN: expanded by the shell inside (a stand-in, or empty).
    const line = `${prefix}curl ${args.map((a) => (a.includes('"$TOKEN"') ? `"Authorization: Bearer $TOKEN"` : shq(a))).join(" ")}`;
    // curl exit 7 (no connection to the proxy's port inside): the runtime starts its socat
    // bridge inside in the background, and under load curl can be first. Tried again; the
    // figures are curl's own times, so a retry does not count.
    for (let attempt = 1; ; attempt++) {
      const w = await sandbox.wrapShell(line, worktree);
      try {
        return (await runAsync(w.file, w.args, { env: process.env })).stdout;
      } catch (err) {
        if (attempt >= 3 || !/ exited 7:/.test(String(err.message))) throw err;
      }
    }
  };
  await inside(many.slice(0, 8));
  const lines = (await inside(many)).trim().split("\n");
  if (lines.length !== REQUESTS || lines.some((l) => !l.endsWith(" 200")))
    throw new Error(`bad answers: ${lines.slice(0, 3)}`);
  const latency = lines.map((l) => Number.parseFloat(l) * 1000);
  await inside(dl);
  const downloads = [];
  for (let i = 0; i < DOWNLOADS; i++) {
    const [total, speed, code] = (await inside(dl)).trim().split(" ");
    if (code !== "200") throw new Error(`download: ${code}`);
    downloads.push({ ms: Number.parseFloat(total) * 1000, bps: Number.parseFloat(speed) });
  }
  return { latency, downloads };
}

const out = {};
try {
  // The tunnel: curl verifies the server itself (its CA given inside).
  const tunnel = await RunSandbox.start(policy, { runDir, tmp });
  out.tunnel = await measure(tunnel, `CURL_CA_BUNDLE=${shq(caFile)} `);
  await RunSandbox.stopAll();
  const terminated = await RunSandbox.start(policy, {
    runDir,
    tmp,
    masked: [{ name: "TOKEN", value: "real-token-value-for-the-bench", hosts: ["127.0.0.1"] }],
  });
  out.terminated = await measure(terminated, "");
} finally {
  await RunSandbox.stopAll();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
