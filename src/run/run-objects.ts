/**
 * A sandboxed run writes its git objects to its own folder (GIT_OBJECT_DIRECTORY) and reads the
 * repository's through alternates, so it cannot delete or rewrite shared history. When the run
 * ends (normally, stopped by a person, or found dead by reconcile) its objects are adopted into
 * the repository's store, after the checks of the git adapter (ids, hashes, index-pack). The
 * folder is found by convention (the run folder's `objects/`), never from a file in it.
 */
import { type Adoption, adoptObjects } from "../adapters/git/index.js";
import { runFolder } from "../adapters/runfolder/index.js";

export async function adoptRunObjects(repo: string, runDir: string): Promise<Adoption> {
  return adoptObjects(repo, runFolder(runDir).agent.objects);
}
