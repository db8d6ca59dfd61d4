/**
 * `status --json` and `next --json` exactly are answered by bin/ballador.js's fast path
 * (src/cli/read-fast.ts, no command tree). `-C <dir>` before the command takes the command
 * tree's way: the two must print the same bytes and exit alike, errors included.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo, makeTempDir, runCli } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

describe("the read fast path", () => {
  it("prints the command tree's status and next documents byte for byte", async () => {
    const repo = await makeGitRepo();
    for (const args of [
      ["init"],
      ["spec", "new", "Reads"],
      ["part", "new", "first", "--spec", "1", "--title", "First part"],
      ["part", "new", "second", "--spec", "1", "--title", "Second part"],
      ["queue"],
    ]) {
      expect((await repo.run(args)).code, args.join(" ")).toBe(0);
    }
    for (const command of ["status", "next"]) {
      const fast = await repo.run([command, "--json"]);
      const tree = await repo.run(["-C", repo.dir, command, "--json"]);
      expect(fast.code).toBe(0);
      expect(tree.code).toBe(0);
      expect(fast.stdout).toBe(tree.stdout);
      expect(fast.stderr).toBe(tree.stderr);
    }
    const status = JSON.parse((await repo.run(["status", "--json"])).stdout) as { tasks: { id: string }[] };
    expect(status.tasks.map((t) => t.id).sort()).toEqual(["first", "second"]);
  });

  it("fails outside a repository with the same error document and exit code", async () => {
    const repo = await makeGitRepo();
    const outside = join(await makeTempDir(), "plain");
    await mkdir(outside);
    for (const command of ["status", "next"]) {
      const fast = await runCli([command, "--json"], { cwd: outside, env: repo.env });
      const tree = await runCli(["-C", outside, command, "--json"], { cwd: outside, env: repo.env });
      expect(fast.code).toBe(3);
      expect(tree.code).toBe(3);
      expect(JSON.parse(fast.stdout).error.code).toBe("not_a_repository");
      expect(fast.stdout).toBe(tree.stdout);
    }
  });
});
