/**
 * The sandbox runtime's scan for dangerous files (.bashrc, .git/hooks, ...) under the folder it
 * wraps from, answered without rg when that folder is empty (src/adapters/sandbox/ripgrep.ts).
 * The shortcut must never hide a file: one planted after an earlier wrap is found by the next
 * wrap and denied, proved with the bundled runtime and real bubblewrap.
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ripGrep, scans } from "../../src/adapters/sandbox/ripgrep.js";
import { cleanupTempDirs, makeTempDir } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The runtime's own arguments for its scan (depth 3, the dangerous names, node_modules skipped). */
const SCAN = ["--files", "--hidden", "--max-depth", "3", "--iglob", ".bashrc", "-g", "!**/node_modules/**"];

describe("the sandbox's dangerous-file scan", () => {
  it("answers an empty folder without running rg, and runs rg once anything is in it", async () => {
    const dir = await makeTempDir();
    const before = { ...scans };
    // A program that does not exist: were it started, the call would throw.
    expect(await ripGrep(SCAN, dir, undefined, { command: join(dir, "no-such-rg") })).toEqual([]);
    expect(scans.answeredEmpty).toBe(before.answeredEmpty + 1);
    await mkdir(join(dir, "a", "b"), { recursive: true });
    await writeFile(join(dir, "a", "b", ".bashrc"), "x\n");
    await expect(ripGrep(SCAN, dir, undefined, { command: join(dir, "no-such-rg") })).rejects.toThrow();
    const found = await ripGrep(SCAN, dir, undefined);
    expect(found.map((f) => f.replace(`${dir}/`, ""))).toEqual(["a/b/.bashrc"]);
    expect(scans.ran).toBe(before.ran + 2);
  });

  it("denies a dangerous file planted after an earlier wrap (bundled runtime, real bwrap)", async () => {
    const dir = await makeTempDir();
    const { bundleWithRuntime } = await import(join(ROOT, "scripts", "sandbox-runtime-plugin.mjs"));
    // Beside dist/bundle, whose vendor folder (seccomp) the runtime finds there.
    const outfile = await bundleWithRuntime(
      ROOT,
      join(ROOT, "test", "adapters", "sandbox-scan-child.mjs"),
      join(ROOT, "dist", "bundle", `test-scan-child-${process.pid}.js`),
    );
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [outfile, dir], { stdio: ["ignore", "pipe", "inherit"] });
        let text = "";
        child.stdout.on("data", (d) => {
          text += d;
        });
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))));
      });
      const r = JSON.parse(out);
      // Step 1 was wrapped from an empty folder (no rg) and could plant the file.
      expect(r.first.code).toBe(0);
      expect(r.afterFirst.answeredEmpty).toBeGreaterThanOrEqual(1);
      // Step 2: the folder is not empty, rg ran, found it, and the write was refused.
      expect(r.scans.ran).toBeGreaterThanOrEqual(1);
      expect(r.second.code).not.toBe(0);
      expect(r.second.output).toMatch(/Read-only file system|Permission denied/);
      expect(r.content).toBe("planted\n");
      expect(r.third.code).toBe(0);
    } finally {
      const { rm } = await import("node:fs/promises");
      await rm(outfile, { force: true });
    }
  }, 120_000);
});
