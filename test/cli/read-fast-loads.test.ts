/**
 * The read fast path's guard (docs/specs/0017-cost-startup.md): `status --json` and
 * `next --json` must not load yaml, zod or smol-toml (each tens of files and milliseconds at
 * every start). Every module the real process loads is recorded from inside it: Node's ESM
 * resolve hook for imports, the CommonJS cache at exit for require() (yaml is required
 * lazily). The control (queueing parts, which parses YAML) shows the recorder sees them.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo, makeTempDir, type TestRepo } from "../helpers/cli.js";
import { loadRecorder, loadsIn, packageLoads } from "../helpers/module-loads.js";

afterEach(cleanupTempDirs);

/** yaml, zod (inlined in the bundle since spec 0013's speed work) and smol-toml. */
const HEAVY = ["yaml", "zod", "smol-toml"];

/** The files `ballador <args>` loads, from inside its own process. */
async function loadsOf(repo: TestRepo, dir: string, args: string[]): Promise<string[]> {
  const log = join(dir, `${args.join("-")}.log`);
  const r = await repo.run(args, { env: await loadRecorder(dir, log) });
  expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
  return loadsIn(log);
}

describe("the read fast path's loads", () => {
  it("loads neither yaml, zod nor smol-toml for status --json and next --json", async () => {
    const dir = await makeTempDir();
    const repo = await makeGitRepo();
    for (const args of [
      ["init"],
      ["spec", "new", "Loads"],
      ["part", "new", "one", "--spec", "1", "--title", "One"],
    ]) {
      expect((await repo.run(args)).code, args.join(" ")).toBe(0);
    }
    // The control: queueing parses the parts' YAML, so the recorder must see yaml there.
    const queue = await loadsOf(repo, dir, ["queue"]);
    expect(packageLoads(queue, HEAVY).length).toBeGreaterThan(0);
    // And zod, which is inside the bundle: the recorder finds a package inlined there too.
    expect(packageLoads(queue, ["zod"]).length).toBeGreaterThan(0);
    for (const command of ["status", "next"]) {
      const loads = await loadsOf(repo, dir, [command, "--json"]);
      expect(
        loads.some((f) => f.includes("/dist/bundle/read-fast.js")),
        command,
      ).toBe(true);
      expect(
        loads.some((f) => f.includes("/node_modules/better-sqlite3/")),
        command,
      ).toBe(true);
      expect(packageLoads(loads, HEAVY), command).toEqual([]);
    }
  });
});
