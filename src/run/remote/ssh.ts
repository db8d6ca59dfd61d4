/**
 * Reaching a runner for the run protocol (spec 0013): the system `ssh` through the ssh adapter
 * (the person's ~/.ssh/config and agent, or BALLADOR_SSH_CONFIG), never a shell at home. The
 * remote side gets one command line, which its login shell splits: every word is quoted here.
 */
import { join } from "node:path";
import {
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

/**
 * At launch, the relay's connection to its runner, prepared in the run folder: the relay starts
 * it before its own code loads, so the runner's Ballador starts meanwhile. None for a profile
 * with secrets (its connection carries a tunnel, which the relay sets up first).
 */
export function prepareRelaySsh(project: Project, runDir: string, runnerName: string, secrets: number): void {
  const runner = runnerNamed(project.config, runnerName);
  if (!runner || secrets > 0) return;
  const command = balladorCommand(runner, ["__runner-serve", "run"]);
  prepareSsh(runDir, sshArgv(runner, command, { share: shareOf(project) }));
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
