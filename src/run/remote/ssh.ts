/**
 * Reaching a runner for the run protocol (spec 0013): the system `ssh` through the ssh adapter
 * (the person's ~/.ssh/config and agent, or BALLADOR_SSH_CONFIG), never a shell at home. The
 * remote side gets one command line, which its login shell splits: every word is quoted here.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  awaitShared,
  prepareSsh,
  runSsh,
  type SshResult,
  shareDir,
  shellWord,
  sshOptionsFor,
  warmConnection,
} from "../../adapters/ssh/index.js";
import type { RunnerConfig } from "../../config/runners-schema.js";
import type { Config } from "../../config/schema.js";
import { type Project, remotePath, runnerInstallDir } from "../../project/index.js";

export type RunnerEntry = RunnerConfig;
export type { SshResult };

export function runnersOf(config: Config): RunnerEntry[] {
  return config.runners ?? [];
}

export function remoteOf(config: Config): string | null {
  return config.runners_remote ?? null;
}

export function runnerNamed(config: Config, name: string): RunnerEntry | null {
  return runnersOf(config).find((r) => r.name === name) ?? null;
}

/**
 * The runner's pinned Ballador as the start of a remote command line: the bundle `runner check`
 * installed for this build (BALLADOR_RUNNER_BALLADOR, a command line, overrides it).
 */
function balladorWords(runner: RunnerEntry): string {
  const custom = process.env.BALLADOR_RUNNER_BALLADOR?.trim();
  if (custom) return custom;
  return `node ${remotePath(`${runnerInstallDir(runner.root)}/bin/ballador.js`)}`;
}

/** The remote command line that runs the runner's Ballador with `args`. */
export function balladorCommand(runner: RunnerEntry, args: readonly string[]): string {
  return `${balladorWords(runner)} ${args.map(shellWord).join(" ")}`;
}

/**
 * Home's folder of shared SSH connections (spec 0013): one connection per runner and one to the
 * runners' remote, reused by every run's relay and push for a minute after the last. In the
 * state folder, which no sandbox reads; null when sharing is off or the path is too long.
 */
export function shareOf(project: Project): string | null {
  return shareDir(join(project.paths.stateDir, "ssh"));
}

/**
 * Opens the shared connections that the runs placed on `runners` will use (each runner, and the
 * runners' remote that their relays push to), in the background while the launch claims.
 */
export function warmRunners(project: Project, runners: Iterable<string>): void {
  const share = shareOf(project);
  if (!share) return;
  const names = new Set(runners);
  if (names.size === 0) return;
  for (const name of names) {
    const runner = runnerNamed(project.config, name);
    if (runner) warmConnection({ target: runner.ssh }, share);
  }
  const remote = remoteOf(project.config);
  if (remote) warmConnection({ remote }, share);
}

/** A launch's serve on one runner (serve-hub.ts): its socket's key and the token its relays send. */
export interface Hub {
  key: string;
  token: string;
}

/**
 * Starts one serve per runner for this launch's runs there (spec 0013, "one serve per launch"),
 * in the background over the shared connection: `runs` are the launch's placed runs, with the
 * number of secrets of each one's profile (a run with secrets keeps its own `runner-serve run`:
 * its connection carries the masking tunnel). The plan goes on the serve's stdin, never in argv.
 */
export function startHubs(
  project: Project,
  runs: ReadonlyArray<{ runner: string | null; secrets: number }>,
): { hubs: Map<string, Hub>; started: Promise<unknown> } {
  const counts = new Map<string, number>();
  for (const r of runs)
    if (r.runner !== null && r.secrets === 0) counts.set(r.runner, (counts.get(r.runner) ?? 0) + 1);
  const hubs = new Map<string, Hub>();
  const spawned: Promise<void>[] = [];
  for (const [name, count] of counts) {
    const runner = runnerNamed(project.config, name);
    if (!runner) continue;
    const hub = { key: randomBytes(8).toString("hex"), token: randomBytes(32).toString("hex") };
    const command = balladorCommand(runner, ["__runner-serve", "hub", runner.root]);
    const [, ...args] = sshArgv(runner, command, { share: shareOf(project) });
    const plan = JSON.stringify({ ...hub, runs: count });
    // After the shared connection is open (warmRunners), so the serve rides on it.
    const started = awaitShared(args).then(() => {
      const child = spawn("ssh", args, { stdio: ["pipe", "ignore", "ignore"], detached: true });
      child.on("error", () => undefined);
      child.stdin.on("error", () => undefined);
      child.stdin.end(plan);
      child.unref();
    });
    spawned.push(started);
    hubs.set(name, hub);
  }
  return { hubs, started: Promise.all(spawned) };
}

/** The runner's side of a relay's connection to its launch's serve: wait for its socket, then join it. */
function hubCommand(runner: RunnerEntry, hub: Hub): string {
  const socket = remotePath(`${runner.root}/serve/${hub.key}.sock`);
  // A POSIX shell whatever the login shell is; the socket is waited for ~20 s, then socat fails
  // and the relay reattaches with `__runner-serve run` (the serve never started, or is gone).
  const script =
    's=$1; i=0; while [ ! -S "$s" ] && [ $i -lt 1000 ]; do sleep 0.02; i=$((i+1)); done; ' +
    'exec socat -t 100000 - "UNIX-CONNECT:$s"';
  return `sh -c ${shellWord(script)} sh ${socket}`;
}

/**
 * At launch, the relay's connection to its runner, prepared in the run folder: the relay starts
 * it before its own code loads, so the runner's side starts meanwhile. With the launch's serve
 * on that runner (`hub`), the connection joins it (the token its first line); without, it runs
 * `__runner-serve run`. None for a profile with secrets (its connection carries a tunnel, which
 * the relay sets up first).
 */
export function prepareRelaySsh(
  project: Project,
  runDir: string,
  runnerName: string,
  secrets: number,
  hub: Hub | null,
): void {
  const runner = runnerNamed(project.config, runnerName);
  if (!runner || secrets > 0) return;
  const command = hub ? hubCommand(runner, hub) : balladorCommand(runner, ["__runner-serve", "run"]);
  prepareSsh(runDir, sshArgv(runner, command, { share: shareOf(project) }), hub?.token);
}

/**
 * The argv of `ssh` running `command` on the runner (tty: for a person's attach). `tunnel` makes
 * the runner's Unix socket `remote` lead to home's socket `local` (masked secrets' way home):
 * made 0600 by sshd (StreamLocalBindMask), a stale one replaced, and no run without it. `share`
 * (the folder of shareOf) sends it over the runner's shared connection; a tunnel never is (its
 * forwarding would outlive the session in the shared connection).
 */
export function sshArgv(
  runner: RunnerEntry,
  command: string,
  opts: { tty?: boolean; tunnel?: { remote: string; local: string }; share?: string | null } = {},
): string[] {
  const tunnel = opts.tunnel
    ? [
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "StreamLocalBindUnlink=yes",
        "-R",
        `${opts.tunnel.remote}:${opts.tunnel.local}`,
      ]
    : [];
  const share = opts.tunnel ? null : opts.share;
  return [
    "ssh",
    ...sshOptionsFor(runner.ssh, share),
    ...tunnel,
    opts.tty ? "-t" : "-T",
    "--",
    runner.ssh,
    command,
  ];
}

/** Runs the runner's Ballador with `args` and collects its output (bounded by the adapter). */
export function sshRun(
  runner: RunnerEntry,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; share?: string | null } = {},
): Promise<SshResult> {
  return runSsh(runner.ssh, balladorCommand(runner, args), opts);
}
