// The run's own git store folder, mounted over the real one (`.git` of a colocated repository).
// jj's git library takes `<git store>/packed-refs.lock` for the keep ref of every commit it
// writes whenever `packed-refs` holds a ref (measured with jj 0.46: every `git clone` and
// `git gc` make one), so the folder itself must be writable inside a run. It cannot be the real
// one (the agent would move the person's refs) and the lock cannot be a bound file (it is created
// beside packed-refs, and git renames a lock over its file). So the folder is per-run: links into
// a read-only mount of the real one for everything but `HEAD` and `packed-refs` (copies, written
// anew before each step and never read back), `objects` and `refs/jj` (mount points for the run's
// objects folder and keep-ref copy, op-store.ts and run-jj-keep.ts).

import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";
import { writeUntrusted } from "../hostile/index.js";

/** Mount points, not links: `objectsMounts` mounts the run's objects here (and its keep-ref copy at `refs/jj`). */
const MOUNTED = new Set(["objects"]);
/** Copied, not linked: git refuses a `HEAD` that is a link not naming `refs/`; a ref transaction locks and may rewrite `packed-refs`. */
const COPIED = new Set(["HEAD", "packed-refs"]);

/** The per-run git folder (mounted over the real git store) and where the real one is mounted read-only. */
function gitStoreCopy(copyDir: string): { copy: string; shadow: string } {
  return { copy: join(copyDir, "git"), shadow: join(copyDir, "real-git") };
}

/** The mounts: the copy over the real store first (the run's objects and keep refs are mounted into it after). */
export function gitStoreMounts(
  gitStore: string,
  copyDir: string,
): { from: string; to: string; readOnly?: true }[] {
  const { copy, shadow } = gitStoreCopy(copyDir);
  return [
    { from: copy, to: gitStore },
    { from: gitStore, to: shadow, readOnly: true },
  ];
}

/**
 * Makes the per-run git folder anew before a step (the agent wrote the last one: removed without
 * following its links). The person's lock files (`*.lock`, a git of theirs at work) are left out:
 * linked, they would make every lock of the agent's jj fail as taken.
 */
export function seedRunGitStore(gitStore: string, copyDir: string): void {
  const { copy, shadow } = gitStoreCopy(copyDir);
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(join(copy, "objects"), { recursive: true });
  mkdirSync(join(copy, "refs", "jj"), { recursive: true });
  mkdirSync(shadow, { recursive: true });
  for (const name of readdirSync(gitStore)) {
    if (MOUNTED.has(name) || name === "refs" || name.endsWith(".lock")) continue;
    const real = join(gitStore, name);
    if (COPIED.has(name) && lstatSync(real).isFile()) copyFileSync(real, join(copy, name));
    else symlinkSync(join(shadow, name), join(copy, name));
  }
  const refs = join(gitStore, "refs");
  for (const name of readdirSync(refs)) {
    if (name === "jj" || name.endsWith(".lock")) continue;
    symlinkSync(join(shadow, "refs", name), join(copy, "refs", name));
  }
}

/**
 * jj 0.46 keeps a repository's own config outside it, under `~/.config/jj/repos/<config-id>/`,
 * named by `.jj/repo/config-id` (made when jj first writes repository config: `jj git init` in a
 * clone does, for `trunk()`). A HOME without that folder's `metadata.binpb` makes jj rewrite
 * `config-id`, read-only inside a run: every jj command failed ("Failed to determine the secure
 * config for a repo", measured). So the run's HOME gets the metadata naming the repository
 * (protobuf field 1, the path's bytes), as the person's jj wrote it; the repository's config itself
 * stays the person's (the run's is empty). Nothing when the repository has no config id.
 */
export function seedSecureConfigMetadata(root: string, home: string): void {
  const repo = join(root, ".jj", "repo");
  let id: string;
  try {
    id = readFileSync(join(repo, "config-id"), "utf8");
  } catch {
    return;
  }
  if (!/^[0-9a-f]{20}$/.test(id)) return;
  const path = Buffer.from(realpathSync(repo));
  writeUntrusted(home, `.config/jj/repos/${id}/metadata.binpb`, metadata(path), 0o600, {
    replaceLinks: true,
  });
}

/** `ConfigMetadata { path }` in protobuf's wire format: tag 0x0a, the length as a varint, the bytes. */
function metadata(path: Buffer): Buffer {
  const len: number[] = [];
  let n = path.length;
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...len]), path]);
}
