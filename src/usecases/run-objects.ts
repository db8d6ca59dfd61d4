/**
 * A sandboxed run writes its git objects to its own folder (GIT_OBJECT_DIRECTORY) and reads the
 * repository's through alternates, so it cannot delete or rewrite shared history. When the run
 * ends (normally, stopped by a person, or found dead by reconcile) its objects are adopted into
 * the repository's store: until then, only the run itself can read its new commits.
 */
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { readRunSpec } from "../adapters/runfolder/index.js";

export function adoptRunObjects(runDir: string): boolean {
  let shared: string | undefined;
  try {
    shared = readRunSpec(runDir).sandbox?.gitObjects?.shared;
  } catch {
    return false; // no run file: nothing was started, nothing to adopt
  }
  const own = join(runDir, "objects");
  if (!shared || !existsSync(own)) return false;
  // Objects are named by their content: an existing file is the same object, never overwritten.
  cpSync(own, shared, { recursive: true, force: false, errorOnExist: false });
  return true;
}
