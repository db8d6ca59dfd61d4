/**
 * Node's on-disk compile cache (Node 22.1+: `module.enableCompileCache`), switched on by the
 * launchers before they load the bundle, so a second start skips compiling its ~1 MB of code.
 * Node 20 has no such function: then nothing happens. The folder is Ballador's own cache in the
 * HOME of the person who runs it (never a run's HOME, which the agent writes: V8 would load
 * whatever code a cache file held), and no process inside a run uses one. Spec 0016.
 */
import module from "node:module";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

type Enable = (dir: string) => { status: number; directory?: string };

/** The cache folder for this process, or null where none is used (inside a run). */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  // The agent's environment (run-env.ts) names its task; its HOME is the run's, agent-written.
  if (env.BALLADOR_TASK_ID !== undefined || env.NODE_DISABLE_COMPILE_CACHE) return null;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".cache");
  return join(base, "ballador", "compile-cache");
}

/** Switches the cache on where this Node has it; the folder in use, or null. */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): string | null {
  // @types/node 20 does not declare it: looked up, not called blindly.
  const enable = (module as unknown as { enableCompileCache?: Enable }).enableCompileCache;
  if (typeof enable !== "function") return null;
  const dir = compileCacheDir(env);
  if (dir === null) return null;
  try {
    return enable(dir).directory ?? null;
  } catch {
    // A cache that cannot be made costs only speed.
    return null;
  }
}
