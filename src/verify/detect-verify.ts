/**
 * The thin side of verify detection (core/verify-detect.ts): reads the few root files it looks
 * at from the main checkout (the person's own repository; still, regular files only, bounded).
 */
import { closeSync, lstatSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import { findProgram } from "../adapters/agents/profiles.js";
import { git } from "../adapters/git/index.js";
import { detectVerify, type ProjectFiles, type VerifyDetection } from "../core/verify-detect.js";

const MAX_READ = 1024 * 1024;

/** A regular file's text (never through a link), at most MAX_READ bytes, or null. */
function readRegular(path: string): string | null {
  try {
    if (!lstatSync(path).isFile()) return null;
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(MAX_READ);
      const n = readSync(fd, buf, 0, MAX_READ, 0);
      return buf.subarray(0, n).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

function isRegular(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function verifyShKind(root: string): ProjectFiles["verifySh"] {
  try {
    const st = lstatSync(join(root, "verify.sh"));
    if (!st.isFile()) return "absent";
    return (st.mode & 0o111) !== 0 ? "executable" : "present";
  } catch {
    return "absent";
  }
}

function hasPythonTests(root: string): boolean {
  try {
    const dir = join(root, "tests");
    if (!lstatSync(dir).isDirectory()) return false;
    return readdirSync(dir).some((f) => /^test_.*\.py$|_test\.py$/.test(f));
  } catch {
    return false;
  }
}

async function nodeModulesKind(root: string): Promise<ProjectFiles["nodeModules"]> {
  const tracked = await git(["ls-tree", "--name-only", "HEAD", "--", "node_modules"], {
    cwd: root,
    allowFail: true,
  });
  if (tracked.code === 0 && tracked.stdout.trim() !== "") return "tracked";
  // As a folder: "node_modules/" in .gitignore matches only folders, and it need not exist yet.
  const ignored = await git(["check-ignore", "-q", "--", "node_modules/"], { cwd: root, allowFail: true });
  return ignored.code === 0 ? "ignored" : "neither";
}

export async function readProjectFiles(root: string, env: NodeJS.ProcessEnv): Promise<ProjectFiles> {
  const at = (f: string) => join(root, f);
  const makefile =
    readRegular(at("GNUmakefile")) ?? readRegular(at("makefile")) ?? readRegular(at("Makefile"));
  const lockfiles = ["package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lockb", "bun.lock"].filter(
    (f) => isRegular(at(f)),
  );
  return {
    verifySh: verifyShKind(root),
    makefile,
    packageJson: readRegular(at("package.json")),
    lockfiles,
    nodeModules: await nodeModulesKind(root),
    pytestIni: isRegular(at("pytest.ini")),
    conftest: isRegular(at("conftest.py")),
    pyproject: readRegular(at("pyproject.toml")),
    toxIni: readRegular(at("tox.ini")),
    setupCfg: readRegular(at("setup.cfg")),
    pythonTests: hasPythonTests(root),
    python: findProgram("python3", root, env)
      ? "python3"
      : findProgram("python", root, env)
        ? "python"
        : null,
    cargoToml: isRegular(at("Cargo.toml")),
    goMod: isRegular(at("go.mod")),
  };
}

export async function detectProjectVerify(root: string, env: NodeJS.ProcessEnv): Promise<VerifyDetection> {
  return detectVerify(await readProjectFiles(root, env));
}
