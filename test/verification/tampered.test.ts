/**
 * Which files that decide "verified" a branch changed against its base: the set the clean
 * verification restores to the base's version and the brief lists. Judged on a real repository.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tamperedFiles } from "../../src/usecases/verification.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), "ballador-tampered-"));
  dirs.push(dir);
  const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      env,
      encoding: "utf8",
    }).trim();
  git("init", "-q", "-b", "main");
  mkdirSync(join(dir, ".ballador"));
  writeFileSync(join(dir, ".ballador", "config.yaml"), "base: main\n");
  writeFileSync(join(dir, "verify.sh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  git("add", "-A");
  git("commit", "-qm", "base");
  return { dir, git };
}

const PATHS = [".ballador/config.yaml", "verify.sh", "package.json"];

describe("tampered protected files", () => {
  it("names a changed file, a mode change and a file turned into a folder; an untouched branch names none", async () => {
    const { dir, git } = repo();
    expect(await tamperedFiles(dir, "main", git("rev-parse", "HEAD"), PATHS)).toEqual([]);

    git("checkout", "-q", "-b", "content");
    writeFileSync(join(dir, ".ballador", "config.yaml"), "base: main\nverify: 'true'\n");
    git("commit", "-qam", "config");
    expect(await tamperedFiles(dir, "main", git("rev-parse", "HEAD"), PATHS)).toEqual([
      ".ballador/config.yaml",
    ]);

    git("checkout", "-q", "-b", "mode", "main");
    chmodSync(join(dir, "verify.sh"), 0o644);
    git("commit", "-qam", "mode");
    expect(await tamperedFiles(dir, "main", git("rev-parse", "HEAD"), PATHS)).toEqual(["verify.sh"]);

    git("checkout", "-q", "-b", "folder", "main");
    git("rm", "-q", "verify.sh");
    mkdirSync(join(dir, "verify.sh"));
    writeFileSync(join(dir, "verify.sh", "inner"), "x\n");
    git("add", "-A");
    git("commit", "-qm", "folder");
    expect(await tamperedFiles(dir, "main", git("rev-parse", "HEAD"), PATHS)).toEqual(["verify.sh"]);
  });

  it("a revision git cannot compare still gets an answer, file by file", async () => {
    const { dir } = repo();
    const blobId = "0".repeat(40);
    expect(await tamperedFiles(dir, "main", blobId, ["verify.sh"])).toEqual(["verify.sh"]);
  });
});
