/**
 * The real Jujutsu the jj tests drive: scripts/install-jj.mjs unpacks Debian unstable's `jujutsu`
 * into .cache/jj (or BALLADOR_JJ_DIR) with a wrapper at bin/jj. `.ci/run` installs it up front;
 * without it the tests skip, and say so on the terminal (never silently).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
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
