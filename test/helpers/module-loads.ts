/**
 * Which files a real `ballador` process loads (docs/specs/0017-cost-startup.md, 0013's speed):
 * recorded from inside the process, Node's ESM resolve hook for imports and the CommonJS cache
 * at exit for require(). A package counts as loaded when a file of it in node_modules was, or a
 * file of the bundle that holds it (esbuild marks each inlined module `// node_modules/<name>/`).
 */
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

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

/** Writes the recorder into `dir`; returns the environment that makes a Node process use it. */
export async function loadRecorder(dir: string, log: string): Promise<Record<string, string>> {
  await writeFile(join(dir, "hooks.mjs"), HOOKS);
  await writeFile(join(dir, "recorder.mjs"), RECORDER(pathToFileURL(join(dir, "hooks.mjs")).href));
  await writeFile(log, "");
  return { LOADS_LOG: log, NODE_OPTIONS: `--import=${pathToFileURL(join(dir, "recorder.mjs")).href}` };
}

/** The files (paths or URLs, as recorded) in the log, once each. */
export async function loadsIn(log: string): Promise<string[]> {
  return [...new Set((await readFile(log, "utf8")).split("\n").filter(Boolean))];
}

/** The loaded files that are, or hold, a module of one of `packages`. */
export function packageLoads(loads: readonly string[], packages: readonly string[]): string[] {
  const alt = packages.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  const file = new RegExp(`/node_modules/(${alt})/`);
  const inlined = new RegExp(`^// node_modules/(${alt})/`, "m");
  return loads.filter((f) => {
    if (file.test(f)) return true;
    if (!f.includes("/dist/bundle/")) return false;
    const path = f.startsWith("file:") ? fileURLToPath(f) : f;
    return inlined.test(readFileSync(path, "utf8"));
  });
}
