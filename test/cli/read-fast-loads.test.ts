/**
 * The read fast path's guard (docs/specs/0017-cost-startup.md): `status --json` and
 * `next --json` must not load yaml, zod or smol-toml (each tens of files and milliseconds at
 * every start). Every module the real process loads is recorded from inside it: Node's ESM
 * resolve hook for imports, the CommonJS cache at exit for require() (yaml is required
 * lazily). The control (queueing parts, which parses YAML) shows the recorder sees them.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo, makeTempDir, type TestRepo } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

const HEAVY = /\/node_modules\/(yaml|zod|smol-toml)\//;

const HOOKS = `
import { appendFileSync } from "node:fs";
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(log, r.url + "\\n");
  return r;
}
`;

const RECORDER = (hooks: string) => `
import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
const log = process.env.LOADS_LOG;
register(${JSON.stringify(hooks)}, { data: { log } });
const Module = createRequire(import.meta.url)("node:module");
process.on("exit", () => appendFileSync(log, Object.keys(Module._cache).join("\\n") + "\\n"));
`;

/** The files `ballador <args>` loads, from inside its own process. */
async function loadsOf(repo: TestRepo, dir: string, args: string[]): Promise<string[]> {
  const log = join(dir, `${args.join("-")}.log`);
  await writeFile(log, "");
  const recorder = pathToFileURL(join(dir, "recorder.mjs")).href;
  const r = await repo.run(args, {
    env: { LOADS_LOG: log, NODE_OPTIONS: `--import=${recorder}` },
  });
  expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
  return (await readFile(log, "utf8")).split("\n").filter(Boolean);
}

describe("the read fast path's loads", () => {
  it("loads neither yaml, zod nor smol-toml for status --json and next --json", async () => {
    const dir = await makeTempDir();
    await writeFile(join(dir, "hooks.mjs"), HOOKS);
    await writeFile(join(dir, "recorder.mjs"), RECORDER(pathToFileURL(join(dir, "hooks.mjs")).href));
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
    expect(queue.filter((f) => HEAVY.test(f)).length).toBeGreaterThan(0);
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
      expect(
        loads.filter((f) => HEAVY.test(f)),
        command,
      ).toEqual([]);
    }
  });
});
