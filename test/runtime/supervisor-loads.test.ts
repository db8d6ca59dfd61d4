/**
 * What a run's supervisor loads (docs/specs/0017-cost-startup.md): it is one Node process per
 * running task, so every module it loads is paid fifty times on a laptop. A sandboxed task is
 * run to review with its supervisor started through `runtime.node` (a wrapper adding a
 * recorder), which writes down every module the supervisor resolves and requires: its own
 * build's files only (none of the command tree's chunks), and none of yaml, zod or smol-toml.
 * The store's addon must be among them, so a recorder that saw nothing cannot pass.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { HOOKS, packageLoads } from "../helpers/module-loads.js";
import { cleanupProjects, commitAndDone, makeProject } from "../helpers/runtime.js";

afterEach(cleanupProjects);

// Only the supervisor records (the same wrapper also answers launch's version probe).
const RECORDER = (hooks: string, log: string) => `
import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
if (process.argv[1]?.includes("supervisor")) {
  register(${JSON.stringify(hooks)}, { data: { log: ${JSON.stringify(log)} } });
  const Module = createRequire(import.meta.url)("node:module");
  process.on("exit", () => appendFileSync(${JSON.stringify(log)}, Object.keys(Module._cache).join("\\n") + "\\n"));
}
`;

describe("a run's supervisor", () => {
  it("loads its own lean build: no command-tree chunk, no yaml, zod or smol-toml", async () => {
    const p = await makeProject({ config: { sandbox: { mode: "bwrap", allow_hosts: [] } } });
    const dir = join(p.parent, "recorder");
    await mkdir(dir);
    const log = join(dir, "loads.log");
    await writeFile(log, "");
    await writeFile(join(dir, "hooks.mjs"), HOOKS);
    const recorder = join(dir, "recorder.mjs");
    await writeFile(recorder, RECORDER(pathToFileURL(join(dir, "hooks.mjs")).href, log));
    const node = join(dir, "node");
    await writeFile(
      node,
      `#!/bin/sh\nexec '${process.execPath}' '--import=${pathToFileURL(recorder).href}' "$@"\n`,
    );
    await chmod(node, 0o755);
    const xdg = p.env.XDG_CONFIG_HOME as string;
    await mkdir(join(xdg, "ballador"), { recursive: true });
    await writeFile(join(xdg, "ballador", "config.yaml"), stringify({ runtime: { node } }));

    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("a", "review");
    // The supervisor writes its record when it exits, after review (its brief comes last).
    await expect
      .poll(async () => (await readFile(log, "utf8")).includes("better_sqlite3.node"), { timeout: 30_000 })
      .toBe(true);
    const loads = (await readFile(log, "utf8")).split("\n").filter(Boolean);
    const bundle = loads.filter((f) => f.includes("/dist/bundle/"));
    expect(bundle.some((f) => f.endsWith("/dist/bundle/supervisor.js"))).toBe(true);
    expect(bundle.filter((f) => !/\/dist\/bundle\/supervisor(-[A-Z0-9]+)?\.js$/.test(f))).toEqual([]);
    expect(packageLoads(loads, ["yaml", "zod", "smol-toml"])).toEqual([]);
  });
});
