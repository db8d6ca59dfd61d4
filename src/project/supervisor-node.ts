/**
 * Which Node runs the supervisors: the config's runtime.node (checked: it runs, and is Node 20 or
 * newer) or, unset, the Node that runs this ballador. Asked once per launch and by doctor.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
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

/** The Node the supervisors run under; refuses a runtime.node that does not run or is too old. */
export async function supervisorNode(config: Pick<Config, "runtime">): Promise<SupervisorNode> {
  const path = config.runtime?.node ?? null;
  if (path === null) return { path: process.execPath, version: process.versions.node, from: null };
  const from = config.runtime?.from ?? "config";
  const fix = "install Node.js 20 or newer there, point runtime.node at one, or remove runtime.node";
  let version: string;
  try {
    // The program prints its own version: no script of ours, no environment of the person's.
    const { stdout } = await run(path, ["--version"], { timeout: 20_000, env: { PATH: "/usr/bin:/bin" } });
    version = stdout.trim().replace(/^v/, "");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? "it failed";
    throw refused("runtime_node", `${from}: runtime.node: ${path} did not run (${why}); ${fix}`);
  }
  const major = Number(/^(\d+)\.\d+\.\d+/.exec(version)?.[1] ?? Number.NaN);
  if (!(major >= MINIMUM_NODE_MAJOR)) {
    throw refused(
      "runtime_node",
      `${from}: runtime.node: ${path} is ${/^\d/.test(version) ? `Node.js ${version}` : `not Node.js (it printed "${version.slice(0, 60)}")`}, older than ${MINIMUM_NODE_MAJOR} or not Node at all; ${fix}`,
    );
  }
  return { path, version, from };
}
