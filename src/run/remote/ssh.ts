/**
 * Reaching a runner for the run protocol (spec 0013): the system `ssh` through the ssh adapter
 * (the person's ~/.ssh/config and agent, or BALLADOR_SSH_CONFIG), never a shell at home. The
 * remote side gets one command line, which its login shell splits: every word is quoted here.
 */
import { runSsh, type SshResult, shellWord, sshOptions } from "../../adapters/ssh/index.js";
import type { RunnerConfig } from "../../config/runners-schema.js";
import type { Config } from "../../config/schema.js";
import { remotePath, runnerInstallDir } from "../../project/index.js";

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
 * The argv of `ssh` running `command` on the runner (tty: for a person's attach). `tunnel` makes
 * the runner's Unix socket `remote` lead to home's socket `local` (masked secrets' way home):
 * made 0600 by sshd (StreamLocalBindMask), a stale one replaced, and no run without it.
 */
export function sshArgv(
  runner: RunnerEntry,
  command: string,
  opts: { tty?: boolean; tunnel?: { remote: string; local: string } } = {},
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
  return ["ssh", ...sshOptions(), ...tunnel, opts.tty ? "-t" : "-T", "--", runner.ssh, command];
}

/** Runs the runner's Ballador with `args` and collects its output (bounded by the adapter). */
export function sshRun(
  runner: RunnerEntry,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<SshResult> {
  return runSsh(runner.ssh, balladorCommand(runner, args), opts);
}
