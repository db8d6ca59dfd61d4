/**
 * Which Node runs the supervisors: the config's runtime.node (checked: it runs, and is Node 20 or
 * newer) or, unset, the Node that runs this ballador. Asked once per launch and by doctor.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { STORE_ADDON_FILE } from "../adapters/store/index.js";
import type { Config } from "../config/schema.js";
import { refused } from "../core/errors.js";

const run = promisify(execFile);

export const MINIMUM_NODE_MAJOR = 20;

export interface SupervisorNode {
  path: string;
  /** e.g. 22.23.5 */
  version: string;
  /** Where it was named: a config file, or null for this process's own Node. */
  from: string | null;
}

/**
 * What the program says of itself: its version, its addon ABI, and whether the store's native
 * addon (better-sqlite3, built for this process's Node) loads in it. A supervisor opens the
 * task store, so a Node that cannot load the addon cannot run one.
 */
const PROBE = `const v = process.versions; let loads = null;
if (process.argv[1]) { try { require(process.argv[1]); loads = true; } catch { loads = false; } }
console.log(JSON.stringify([v.node, v.modules, loads]));`;

/** The Node the supervisors run under; refuses a runtime.node that does not run, is too old or cannot open the store. */
export async function supervisorNode(config: Pick<Config, "runtime">): Promise<SupervisorNode> {
  const path = config.runtime?.node ?? null;
  if (path === null) return { path: process.execPath, version: process.versions.node, from: null };
  const from = config.runtime?.from ?? "config";
  const fix = "install Node.js 20 or newer there, point runtime.node at one, or remove runtime.node";
  let version: string;
  let abi: string;
  let loads: boolean | null;
  try {
    // A bare environment: nothing of the person's (NODE_OPTIONS, ...) changes the answer.
    const { stdout } = await run(path, ["-e", PROBE, STORE_ADDON_FILE ?? ""], {
      timeout: 20_000,
      env: { PATH: "/usr/bin:/bin" },
    });
    [version, abi, loads] = JSON.parse(stdout.trim().split("\n").pop() ?? "") as [
      string,
      string,
      boolean | null,
    ];
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? "it did not answer as Node.js does";
    throw refused("runtime_node", `${from}: runtime.node: ${path} did not run (${why}); ${fix}`);
  }
  const major = Number(/^(\d+)\.\d+\.\d+/.exec(String(version))?.[1] ?? Number.NaN);
  if (!(major >= MINIMUM_NODE_MAJOR)) {
    throw refused(
      "runtime_node",
      `${from}: runtime.node: ${path} is ${/^\d/.test(version) ? `Node.js ${version}` : `not Node.js (it printed "${version.slice(0, 60)}")`}, older than ${MINIMUM_NODE_MAJOR} or not Node at all; ${fix}`,
    );
  }
  if (loads === false) {
    throw refused(
      "runtime_node",
      `${from}: runtime.node: ${path} is Node.js ${version} (addon ABI ${abi}), but the task store's native module (${STORE_ADDON_FILE}) is built for Node.js ${process.versions.node} (ABI ${process.versions.modules}) and does not load in it, so its supervisors could not open the store; point runtime.node at a Node of ABI ${process.versions.modules}, or remove runtime.node`,
    );
  }
  return { path, version, from };
}
