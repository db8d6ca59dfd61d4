#!/usr/bin/env node
/**
 * Installs a real Jujutsu (`jj`) for the tests that drive it (test/jj/), without touching the
 * system. Debian 12 has no jj package and npm ships none; Debian's unstable suite has `jujutsu`,
 * built against a newer C library than this machine's. So this script:
 *   1. keeps its own apt state in <dir>/apt (a sources list naming only unstable, its own lists,
 *      status and cache: the system's apt configuration and package database are never read for
 *      sources nor written),
 *   2. `apt-get download`s `jujutsu` and the library packages it runs with (libc6, libgcc-s1,
 *      libmimalloc3) from unstable,
 *   3. unpacks them with `dpkg -x` into <dir>/root (no maintainer script runs, nothing installed),
 *   4. writes <dir>/bin/jj: a wrapper running jj through unstable's own loader
 *      (`ld-linux-x86-64.so.2 --library-path <unpacked libs>`), so jj never meets the system libc.
 *
 * Idempotent: <dir>/installed.json records the version; when the wrapper answers `jj --version`
 * with it, nothing runs. Talks while it works. Needs root only for nothing: apt-get download and
 * dpkg -x run as any user (as root apt warns that it downloads unsandboxed; harmless here).
 *
 * Usage: node scripts/install-jj.mjs [--quiet]
 * BALLADOR_JJ_DIR moves the cache (default .cache/jj). BALLADOR_JJ_MIRROR changes the Debian
 * mirror (default http://deb.debian.org/debian).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEST = process.env.BALLADOR_JJ_DIR || join(ROOT, ".cache", "jj");
const MIRROR = process.env.BALLADOR_JJ_MIRROR || "http://deb.debian.org/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
/** jj and what its package depends on to run (libc-gconv-modules-extra and gcc-16-base are docs/locales only). */
const PACKAGES = ["jujutsu", "libc6", "libgcc-s1", "libmimalloc3"];
const quiet = process.argv.includes("--quiet");

const say = (line) => process.stderr.write(`jj: ${line}\n`);
const shown = (path) => (path.startsWith(ROOT) ? relative(ROOT, path) || "." : path);
const APT = join(DEST, "apt");
const UNPACKED = join(DEST, "root");
const LIBS = join(UNPACKED, "usr", "lib", "x86_64-linux-gnu");
const WRAPPER = join(DEST, "bin", "jj");
const STAMP = join(DEST, "installed.json");

/** apt options that point every path apt reads or writes at our own folder. */
function aptOptions() {
  const o = (k, v) => ["-o", `${k}=${v}`];
  return [
    ...o("Dir::Etc::SourceList", join(APT, "sources.list")),
    ...o("Dir::Etc::SourceParts", join(APT, "sources.list.d")),
    ...o("Dir::Etc::Preferences", join(APT, "preferences")),
    ...o("Dir::Etc::PreferencesParts", join(APT, "preferences.d")),
    ...o("Dir::State", APT),
    ...o("Dir::State::Lists", join(APT, "lists")),
    ...o("Dir::State::status", join(APT, "status")),
    ...o("Dir::Cache", join(APT, "cache")),
    ...o("APT::Architecture", "amd64"),
    ...o("APT::Get::List-Cleanup", "false"),
    // Our own lists and cache: no need for the system's apt lock (another apt may be running).
    ...o("Debug::NoLocking", "1"),
  ];
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args
        .filter((a) => !a.startsWith("Dir"))
        .slice(-3)
        .join(" ")} exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`,
    );
  return r.stdout;
}

/** The version the wrapper reports, or null when it does not run. */
function wrapperVersion() {
  if (!existsSync(WRAPPER)) return null;
  const r = spawnSync(WRAPPER, ["--version"], {
    encoding: "utf8",
    env: { ...process.env, JJ_CONFIG: "/dev/null" },
  });
  const m = r.status === 0 ? /^jj (\S+)/.exec(r.stdout) : null;
  return m ? m[1] : null;
}

function current() {
  if (!existsSync(STAMP)) return false;
  try {
    return JSON.parse(readFileSync(STAMP, "utf8")).version === wrapperVersion();
  } catch {
    return false;
  }
}

function prepareApt() {
  for (const d of ["lists/partial", "cache/archives/partial", "sources.list.d", "preferences.d", "debs"])
    mkdirSync(join(APT, d), { recursive: true });
  if (!existsSync(KEYRING)) throw new Error(`${KEYRING} is missing (apt-get install debian-archive-keyring)`);
  writeFileSync(join(APT, "sources.list"), `deb [signed-by=${KEYRING}] ${MIRROR} unstable main\n`);
  writeFileSync(join(APT, "status"), "");
}

function download() {
  say(`reading unstable's package index from ${MIRROR} (about 11 MB, into ${shown(APT)})`);
  run("apt-get", [...aptOptions(), "-qq", "update"]);
  const debs = join(APT, "debs");
  for (const f of readdirSync(debs)) rmSync(join(debs, f));
  say(`downloading ${PACKAGES.join(", ")} (about 10 MB)`);
  run("apt-get", [...aptOptions(), "-qq", "download", ...PACKAGES], { cwd: debs });
  const files = readdirSync(debs).filter((f) => f.endsWith(".deb"));
  if (files.length !== PACKAGES.length)
    throw new Error(`expected ${PACKAGES.length} packages, got: ${files.join(", ")}`);
  return files.map((f) => join(debs, f));
}

function unpack(debs) {
  rmSync(UNPACKED, { recursive: true, force: true });
  mkdirSync(UNPACKED, { recursive: true });
  for (const deb of debs) {
    say(`unpacking ${deb.split("/").pop()}`);
    run("dpkg", ["-x", deb, UNPACKED]);
  }
  const loader = join(LIBS, "ld-linux-x86-64.so.2");
  if (!existsSync(loader) || !existsSync(join(UNPACKED, "usr", "bin", "jj")))
    throw new Error(`the unpacked packages hold no loader or jj (looked for ${shown(loader)})`);
  mkdirSync(dirname(WRAPPER), { recursive: true });
  // exec: the wrapper's pid is jj's, so signals and exit codes pass through unchanged.
  writeFileSync(
    WRAPPER,
    `#!/bin/sh\n# Runs Debian unstable's jj with unstable's own loader and libraries (scripts/install-jj.mjs).\nexec "${loader}" --library-path "${LIBS}" "${join(UNPACKED, "usr", "bin", "jj")}" "$@"\n`,
  );
  chmodSync(WRAPPER, 0o755);
}

/** Whether `jj workspace add` works in a colocated repository here (it runs `git worktree add --orphan`, git >= 2.42). */
function colocatedWorkspaces() {
  const tmp = join(DEST, "probe");
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const env = { ...process.env, JJ_CONFIG: "/dev/null", JJ_USER: "probe", JJ_EMAIL: "probe@localhost" };
  const init = spawnSync(WRAPPER, ["git", "init", "--colocate", "repo"], { cwd: tmp, env });
  const add = spawnSync(WRAPPER, ["workspace", "add", "../ws"], {
    cwd: join(tmp, "repo"),
    env,
    encoding: "utf8",
  });
  rmSync(tmp, { recursive: true, force: true });
  return init.status === 0 && add.status === 0;
}

try {
  if (current()) {
    if (!quiet) say(`jj ${wrapperVersion()} is already in ${shown(DEST)} (${shown(WRAPPER)})`);
  } else {
    const started = Date.now();
    say(
      `installing Debian unstable's jj for the Jujutsu tests (once, into ${shown(DEST)}; the system's apt is not touched)`,
    );
    prepareApt();
    unpack(download());
    const version = wrapperVersion();
    if (!version) throw new Error(`${shown(WRAPPER)} does not answer --version`);
    const git = spawnSync("git", ["--version"], { encoding: "utf8" }).stdout.trim();
    const colocated = colocatedWorkspaces();
    writeFileSync(STAMP, `${JSON.stringify({ version, git, colocatedWorkspaces: colocated }, null, 2)}\n`);
    say(`jj ${version} installed in ${Math.round((Date.now() - started) / 1000)} s: ${shown(WRAPPER)}`);
    say(
      `colocated workspaces with ${git}: ${colocated ? "yes" : "no (jj's git worktrees need git >= 2.42; Ballador adds workspaces with --no-colocate, which work)"}`,
    );
  }
} catch (err) {
  say(`failed: ${err.message}`);
  say("run `node scripts/install-jj.mjs` again to retry (it needs http://deb.debian.org/debian)");
  process.exit(1);
}
