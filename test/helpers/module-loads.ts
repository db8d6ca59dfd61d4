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

/** Node module hooks that append every resolved URL to the file given as `data.log`. */
export const HOOKS = `
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

/** What each file of the bundle holds: its inputs, from the build's dist/bundle/inputs.json. */
function bundleInputs(file: string): string[] {
  const dir = file.slice(0, file.lastIndexOf("/"));
  const all = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8")) as Record<string, string[]>;
  return all[file.slice(dir.length + 1)] ?? [];
}

/** The loaded files that are, or (bundled) hold, an input matching `test` (a path from the root). */
function loadsHolding(loads: readonly string[], test: (input: string) => boolean): string[] {
  return loads.filter((f) => {
    const path = f.startsWith("file:") ? fileURLToPath(f) : f;
    const from =
      path.indexOf("/node_modules/") >= 0 ? path.slice(path.lastIndexOf("/node_modules/") + 1) : null;
    if (from && test(from)) return true;
    return path.includes("/dist/bundle/") && bundleInputs(path).some(test);
  });
}

/** The loaded files that are, or hold, a module of one of `packages`. */
export function packageLoads(loads: readonly string[], packages: readonly string[]): string[] {
  return loadsHolding(loads, (i) => packages.some((p) => i.startsWith(`node_modules/${p}/`)));
}

/** The loaded files of Ballador's that are, or (bundled) hold, the compiled module `dist/<path>`. */
export function moduleLoads(loads: readonly string[], path: string): string[] {
  return loadsHolding(loads, (i) => i === `dist/${path}`).concat(
    loads.filter((f) => (f.startsWith("file:") ? fileURLToPath(f) : f).endsWith(`/dist/${path}`)),
  );
}
