/**
 * A snapshot of a repository's files (content hashes, link targets), to assert that nothing
 * changed. The task store and git's own folder are left out: reads open the store.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, readlink } from "node:fs/promises";
import { join, relative } from "node:path";

export async function snapshotTree(
  root: string,
  skip: readonly string[] = [".git", ".ballador/state"],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      const rel = relative(root, full);
      if (skip.includes(rel)) continue;
      if (e.isSymbolicLink()) out[rel] = `link -> ${await readlink(full)}`;
      else if (e.isDirectory()) {
        out[`${rel}/`] = "folder";
        await walk(full);
      } else
        out[rel] = createHash("sha256")
          .update(await readFile(full))
          .digest("hex");
    }
  };
  await walk(root);
  return out;
}
