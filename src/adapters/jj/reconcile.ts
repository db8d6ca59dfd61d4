// After a kill -9: the workspaces of runs that are gone are forgotten and their folders removed.
import { lstatSync, rmSync } from "node:fs";
import type { JjOptions } from "./run.js";
import { forgetWorkspace, listWorkspaces } from "./workspace.js";

export interface ReconcileWorkspaces {
  /** Only workspaces whose name starts with this are Ballador's (e.g. `bl-`). */
  prefix: string;
  /** Names of the workspaces whose runs are alive: kept. */
  live: ReadonlySet<string>;
  /** Where Ballador put a workspace of that name (computed by Ballador, never read from a tree). */
  pathOf: (name: string) => string;
}

/**
 * Forgets every workspace of Ballador's with no live run, and removes its folder when it is a real
 * folder at the place Ballador computes (a link there is removed as a link, never followed).
 * Idempotent: a second call finds nothing. Returns the names forgotten.
 */
export async function reconcileWorkspaces(
  root: string,
  r: ReconcileWorkspaces,
  opts: JjOptions = {},
): Promise<string[]> {
  const gone = [...(await listWorkspaces(root, opts)).keys()].filter(
    (n) => n.startsWith(r.prefix) && !r.live.has(n),
  );
  for (const name of gone) {
    await forgetWorkspace(root, name, opts);
    const path = r.pathOf(name);
    try {
      lstatSync(path);
    } catch {
      continue;
    }
    rmSync(path, { recursive: true, force: true });
  }
  return gone;
}
