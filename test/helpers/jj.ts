/**
 * The real Jujutsu the jj tests drive: scripts/install-jj.mjs unpacks Debian unstable's `jujutsu`
 * into .cache/jj (or BALLADOR_JJ_DIR) with a wrapper at bin/jj. `.ci/run` installs it up front;
 * without it the tests skip, and say so on the terminal (never silently).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { PACKAGE_ROOT } from "./cli.js";

const CACHE = process.env.BALLADOR_JJ_DIR || join(PACKAGE_ROOT, ".cache", "jj");

/** The folder holding the `jj` wrapper (put it first on PATH). */
export const JJ_BIN_DIR = join(CACHE, "bin");
export const JJ = join(JJ_BIN_DIR, "jj");

/** jj's version when the wrapper runs, else null (and a loud line saying how to install it). */
export function jjAvailable(): string | null {
  const r = existsSync(JJ) ? spawnSync(JJ, ["--version"], { encoding: "utf8" }) : null;
  const version = r?.status === 0 ? /^jj (\S+)/.exec(r.stdout)?.[1] : undefined;
  if (version) return version;
  process.stderr.write(
    `\n*** SKIPPED: the Jujutsu tests need a real jj at ${JJ}; run \`node scripts/install-jj.mjs\` (Debian unstable's package, unpacked; .ci/run does it) ***\n\n`,
  );
  return null;
}

/** The environment the jj tests run jj in: this jj first on PATH, no user config, a fixed author. */
export const JJ_ENV = {
  ...process.env,
  PATH: `${JJ_BIN_DIR}:${process.env.PATH}`,
  JJ_CONFIG: "/dev/null",
  JJ_USER: "Ballador Test",
  JJ_EMAIL: "test@ballador.invalid",
};

/**
 * A scratch repository for one describe block: before its tests, process.env becomes JJ_ENV and a
 * fresh non-colocated repository (in a temporary folder named `<prefix>…`, at `<dir>/repo`) gets
 * a file `a` committed as "base" with each of `bookmarks` at that commit; `ready` is told the
 * folder and the repository. After them, the environment comes back and the folder goes.
 */
export function useJjRepo(
  prefix: string,
  bookmarks: string[],
  ready: (dir: string, repo: string) => void,
): void {
  const saved = { ...process.env };
  let dir = "";
  beforeAll(() => {
    Object.assign(process.env, JJ_ENV);
    dir = mkdtempSync(join(tmpdir(), prefix));
    const repo = join(dir, "repo");
    execFileSync(JJ, ["git", "init", "--no-colocate", repo], { env: JJ_ENV, stdio: "ignore" });
    writeFileSync(join(repo, "a"), "base\n");
    const steps = [["commit", "-m", "base"], ...bookmarks.map((b) => ["bookmark", "create", b, "-r", "@-"])];
    for (const args of steps) execFileSync(JJ, args, { cwd: repo, env: JJ_ENV, stdio: "ignore" });
    ready(dir, repo);
  });
  afterAll(() => {
    process.env = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/** What a run's sandbox lets the agent's jj touch (the jj adapter's agentPaths). */
export interface SandboxPaths {
  write: string[];
  readOnly: string[];
  mounts: { from: string; to: string; readOnly?: true }[];
}

/** bubblewrap's arguments for a scripted agent's shell in `workspace`, as Ballador's sandbox binds it. */
export function sandboxArgs(paths: SandboxPaths, workspace: string, script: string): string[] {
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  for (const p of paths.write) args.push("--bind", p, p);
  for (const m of paths.mounts) args.push(m.readOnly ? "--ro-bind" : "--bind", m.from, m.to);
  for (const p of paths.readOnly) if (existsSync(p)) args.push("--ro-bind", p, p);
  args.push("--chdir", workspace, "--", "sh", "-c", script);
  return args;
}

/** Runs a scripted agent's shell under bubblewrap (sandboxArgs), to its end. */
export function inSandbox(
  paths: SandboxPaths,
  workspace: string,
  script: string,
): { code: number; out: string } {
  const r = spawnSync("bwrap", sandboxArgs(paths, workspace, script), { encoding: "utf8", env: JJ_ENV });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}
