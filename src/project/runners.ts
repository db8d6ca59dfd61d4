/**
 * What home knows of its runners between commands: the last `ballador runner check` of each,
 * kept as one JSON file per runner under the state folder (`<state>/runners/<name>.json`, written
 * by rename so a kill leaves the old record or the new one), and the one rule everything that
 * would use a runner asks first: `usableRunner`. A runner that never passed its check, failed it,
 * was checked for another SSH target or root, or holds another build of Ballador than home's is
 * refused with the reason; nothing falls back to running at home or without the sandbox.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import type { RunnerConfig } from "../config/runners-schema.js";
import type { Config } from "../config/schema.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { VERSION } from "../version.js";

/** What `doctor`, `runner check` and `runner list` say of a runner with secrets_at: runner. */
export const RUNNER_HOLDS_SECRETS =
  "secrets_at: runner: the values of a run's secrets are sent to it per run over ssh and held in memory there by the run's supervisor (never on its disk)";

export interface RunnerCheckItem {
  name: string;
  ok: boolean;
  /** ok, but a person should know (an agent's binary missing there). */
  warn?: boolean;
  detail: string;
  fix?: string;
}

export interface RunnerRecord {
  name: string;
  /** The SSH target and root the check was made with: another one later needs a new check. */
  ssh: string;
  root: string;
  ok: boolean;
  /** ISO time of the check. */
  checked_at: string;
  /** Why it failed (the first failed item's detail and fix); null when ok. */
  reason: string | null;
  checks: RunnerCheckItem[];
  /** Ballador installed there by the check: its version, build, and folder (a remote shell path). */
  ballador: { version: string; build: string; dir: string } | null;
  /** Per profile: the agent's program found there (its path), or null when it is missing. */
  agents: Record<string, string | null>;
}

const recordsDir = (stateDir: string) => join(stateDir, "runners");

export function readRunnerRecord(stateDir: string, name: string): RunnerRecord | null {
  const file = join(recordsDir(stateDir), `${name}.json`);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RunnerRecord;
  } catch {
    // A record that cannot be read is no record: the runner needs a new check.
    return null;
  }
}

export function writeRunnerRecord(stateDir: string, record: RunnerRecord): void {
  const dir = recordsDir(stateDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${record.name}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, file);
}

export function removeRunnerRecord(stateDir: string, name: string): void {
  rmSync(join(recordsDir(stateDir), `${name}.json`), { force: true });
}

let buildCache: string | null = null;

/**
 * Home's build of Ballador: a hash of what a runner gets (bin/, dist/bundle/, package.json), so a
 * runner holding the same version number but other code is checked again. Computed once.
 */
export function balladorBuild(): string {
  if (buildCache) return buildCache;
  const hash = createHash("sha256");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  for (const part of ["bin", join("dist", "bundle")]) {
    if (existsSync(join(PACKAGE_ROOT, part))) walk(join(PACKAGE_ROOT, part));
  }
  files.push(join(PACKAGE_ROOT, "package.json"));
  for (const f of files) {
    hash.update(relative(PACKAGE_ROOT, f));
    hash.update("\0");
    hash.update(readFileSync(f));
    hash.update("\0");
  }
  buildCache = hash.digest("hex").slice(0, 16);
  return buildCache;
}

/** The folder of home's Ballador on a runner, under its root, as a remote shell word list. */
export function runnerInstallDir(root: string): string {
  return `${root}/ballador/${VERSION}-${balladorBuild()}`;
}

/**
 * A path on the runner as one shell word: `~/x` becomes "$HOME"/'x' (the runner user's home);
 * roots are held to safe characters by the config's schema, quoting is for the shell's sake.
 */
export function remotePath(path: string): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  if (path === "~") return '"$HOME"';
  if (path.startsWith("~/")) return `"$HOME"/${quote(path.slice(2))}`;
  return quote(path);
}

export type RunnerUse =
  | { ok: true; local: true }
  | { ok: true; local: false; runner: RunnerConfig; record: RunnerRecord }
  | { ok: false; reason: string };

/**
 * Whether a run may go to the runner `name` (and, with `profile`, whether that profile's agent is
 * there): `local` always may; any other runner only after a passing check that still holds.
 */
export function usableRunner(config: Config, stateDir: string, name: string, profile?: string): RunnerUse {
  if (name === "local") return { ok: true, local: true };
  const runners = config.runners ?? [];
  const runner = runners.find((r) => r.name === name);
  if (!runner) {
    const known = runners.map((r) => r.name).join(", ") || "none";
    return {
      ok: false,
      reason: `no runner "${name}" in the config (runners: ${known}); add it with: ballador runner add ${name} --ssh USER@HOST`,
    };
  }
  const again = `ballador runner check ${name}`;
  const record = readRunnerRecord(stateDir, name);
  if (!record) return { ok: false, reason: `runner "${name}" was never checked: run ${again}` };
  if (!record.ok) {
    return {
      ok: false,
      reason: `runner "${name}" failed its check at ${record.checked_at}: ${record.reason ?? "see ballador runner list"}; fix it, then run ${again}`,
    };
  }
  if (record.ssh !== runner.ssh || record.root !== runner.root) {
    return {
      ok: false,
      reason: `runner "${name}" was checked as ${record.ssh} (root ${record.root}), the config now says ${runner.ssh} (root ${runner.root}): run ${again}`,
    };
  }
  const ballador = record.ballador;
  if (!ballador || ballador.version !== VERSION || ballador.build !== balladorBuild()) {
    return {
      ok: false,
      reason: `runner "${name}" holds Ballador ${ballador ? `${ballador.version} (build ${ballador.build})` : "(none)"}, home runs ${VERSION} (build ${balladorBuild()}): run ${again} to install it`,
    };
  }
  if (profile !== undefined && !record.agents[profile]) {
    return {
      ok: false,
      reason:
        profile in record.agents
          ? `runner "${name}" has no agent for profile "${profile}" (its program was not found there at ${record.checked_at}): install it there, then run ${again}`
          : `runner "${name}" was checked before profile "${profile}" existed: run ${again}`,
    };
  }
  return { ok: true, local: false, runner, record };
}
