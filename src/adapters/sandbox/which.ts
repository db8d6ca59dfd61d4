/**
 * Stands in for the sandbox runtime's own `whichSync` in the bundle (scripts/build-bundle.mjs
 * routes the runtime's import of it here). The runtime's own spawns `which` with spawnSync: once
 * for ripgrep at every dependency check and once for the shell at every wrap, each blocking the
 * supervisor until the child has run, which under load costs far more than the lookup. The same
 * answer from PATH in process: an absolute or relative path is itself when executable, a bare
 * name the first executable of that name on PATH, else null.
 */
import { findProgram } from "../agents/profiles.js";

export function whichSync(bin: string): string | null {
  return findProgram(bin, process.cwd());
}
