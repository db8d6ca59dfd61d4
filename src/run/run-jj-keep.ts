/**
 * The git store's `refs/jj` in a jj run (docs/specs/0015-jujutsu.md). jj writes
 * `refs/jj/keep/<commit>` for every commit it makes, so `git gc` keeps commits only jj's
 * operations reach. Inside a run that folder is a per-run copy mounted over the real one, seeded
 * with the person's keep refs (loose or packed, written loose); after each step, once the objects
 * are adopted, only new keep refs naming a commit the repository has are taken in, never over an
 * existing ref. A person's keep ref deleted or rewritten in the copy is a violation, never undone
 * at home (the real refs were never writable).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { objectType, refsUnder, updateRef } from "../adapters/git/index.js";
import { entryKind, freshFolder, readUntrustedText } from "../adapters/hostile/index.js";
import { keepCopy } from "../adapters/jj/index.js";

const PREFIX = "refs/jj/";
/** jj's keep refs: named by the commit they keep, holding its id. */
const KEEP = /^[0-9a-f]{40}$/;

/** Makes the copy anew from the real refs under refs/jj; records their names in `seedFile` (host-only). */
export async function seedKeepRefs(root: string, opStoreCopy: string, seedFile: string) {
  const copy = keepCopy(opStoreCopy);
  // The agent wrote it: removed without following its links. Its mount point is the per-run git
  // folder's `refs/jj` (git-store.ts), never the person's store.
  freshFolder(copy);
  mkdirSync(join(copy, "keep"));
  const refs = await refsUnder(root, PREFIX);
  for (const [ref, id] of refs) {
    const file = join(copy, ref.slice(PREFIX.length));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${id}\n`);
  }
  writeFileSync(seedFile, JSON.stringify([...refs]));
}

function seeded(seedFile: string): Map<string, string> {
  try {
    return new Map(JSON.parse(readFileSync(seedFile, "utf8")) as Array<[string, string]>);
  } catch {
    return new Map();
  }
}

/** The keep refs in the copy (regular files under keep/, never through a link): name -> content. */
function copyKeepRefs(copy: string): Map<string, string> {
  const out = new Map<string, string>();
  const keep = join(copy, "keep");
  if (entryKind(copy) !== "dir" || entryKind(keep) !== "dir") return out;
  for (const name of readdirSync(keep)) {
    if (!KEEP.test(name) || entryKind(join(keep, name)) !== "file") continue;
    out.set(`${PREFIX}keep/${name}`, (readUntrustedText(keep, name, 1024) ?? "").trim());
  }
  return out;
}

/**
 * After a step (objects adopted): new keep refs naming their own commit, present in the store,
 * are created at home (only where no ref of that name exists); the rest are problems.
 */
export async function adoptKeepRefs(
  root: string,
  opStoreCopy: string,
  seedFile: string,
): Promise<{ adopted: number; problems: string[] }> {
  const problems: string[] = [];
  const copy = copyKeepRefs(keepCopy(opStoreCopy));
  const before = seeded(seedFile);
  for (const [ref, id] of before) {
    const now = copy.get(ref);
    if (now === undefined) problems.push(`deleted keep ref ${ref}`);
    else if (now !== id) problems.push(`rewrote keep ref ${ref}`);
  }
  const real = await refsUnder(root, PREFIX);
  let adopted = 0;
  for (const [ref, id] of copy) {
    if (before.has(ref) || real.get(ref) === id) continue;
    if (real.has(ref)) {
      problems.push(`rewrote keep ref ${ref}`);
      continue;
    }
    if (id !== ref.slice(-40) || (await objectType(root, id)) !== "commit") {
      problems.push(`keep ref ${ref} names no commit in the repository; not taken`);
      continue;
    }
    if (await updateRef(root, ref, id, null, "ballador: a jj run's keep ref")) adopted++;
  }
  return { adopted, problems };
}
