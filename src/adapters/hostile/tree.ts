/**
 * Files in trees an agent can write (its worktree, the agent-writable folders of its run, a
 * checkout of its branch): the only doors through which host-side code reads or writes there.
 *
 * The rules: a read takes a regular file only, opened without following a link, and checked
 * afterwards through /proc/self/fd to be the file under `root` that was asked for (so a folder
 * swapped for a link between a check and the open is caught: what is read is what the fd is).
 * A write never goes through a link: each folder on the way is created or checked with lstat,
 * and the content lands in a fresh file created exclusively beside the target, then renamed
 * over it (rename replaces a link, it never follows one).
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  opendirSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  unlinkSync,
} from "node:fs";
import { dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import { readAt, readWhole, writeThenRename } from "./fd-io.js";

export class UntrustedPathError extends Error {
  override name = "UntrustedPathError";
}

/** A path relative to a root, that stays inside it: no absolute path, no `..`, no empty part. */
export function safeRelative(rel: string): string {
  const norm = normalize(rel);
  if (
    rel.length === 0 ||
    isAbsolute(rel) ||
    norm === ".." ||
    norm.startsWith(`..${sep}`) ||
    rel.includes("\0") ||
    norm === "."
  ) {
    throw new UntrustedPathError(`"${rel}" is not a path inside the tree`);
  }
  return norm;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

function fdPath(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null; // no /proc (not Linux): the lstat walk below is the check
  }
}

/** Every folder from root (exclusive) to the leaf's parent is a real folder, not a link. */
function assertNoLinkOnTheWay(root: string, rel: string): void {
  const parts = rel.split(sep).slice(0, -1);
  let at = root;
  for (const part of parts) {
    at = join(at, part);
    const st = lstatSync(at);
    if (!st.isDirectory()) throw new UntrustedPathError(`${at} is not a folder (a link or a file)`);
  }
}

/**
 * Opens root/rel to read: a regular file only, not through a link, and (where /proc tells) the
 * file under root that was asked for. Null when it does not exist; the caller closes the fd.
 */
function openUntrusted(root: string, rel: string): { fd: number; path: string; size: number } | null {
  const safe = safeRelative(rel);
  const path = join(root, safe);
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === "ELOOP") throw new UntrustedPathError(`${path} is a symbolic link; not read`);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UntrustedPathError(`${path} is not a regular file; not read`);
    const actual = fdPath(fd);
    const expected = join(realpathSync(root), safe);
    if (actual === null) assertNoLinkOnTheWay(root, safe);
    else if (actual !== expected) {
      throw new UntrustedPathError(`${path} resolves outside its tree (to ${actual}); not read`);
    }
    return { fd, path, size: st.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Reads a regular file under `root`, at most `maxBytes` (more is an error: agent files have no
 * business being huge). Returns null when it does not exist. A link, a FIFO, a device or a folder
 * is an UntrustedPathError.
 */
export function readUntrusted(root: string, rel: string, maxBytes = 4 * 1024 * 1024): Buffer | null {
  const file = openUntrusted(root, rel);
  if (file === null) return null;
  try {
    if (file.size > maxBytes)
      throw new UntrustedPathError(`${file.path} is larger than ${maxBytes} bytes; not read`);
    return readWhole(file.fd, file.size);
  } finally {
    closeSync(file.fd);
  }
}

/**
 * The two ends of a regular file under `root`, opened as readUntrusted opens it, whatever its
 * size: its first `head` bytes and its last `tail` bytes (the tail empty when the head holds it
 * all), so a huge file costs what a small one does. Null when missing; UntrustedPathError as above.
 */
export function readUntrustedEnds(
  root: string,
  rel: string,
  bytes: { head: number; tail: number },
): { head: Buffer; tail: Buffer } | null {
  const file = openUntrusted(root, rel);
  if (file === null) return null;
  try {
    const head = readAt(file.fd, 0, Math.min(file.size, bytes.head));
    const from = Math.max(head.length, file.size - bytes.tail);
    const tail = from < file.size ? readAt(file.fd, from, file.size - from) : Buffer.alloc(0);
    return { head, tail };
  } finally {
    closeSync(file.fd);
  }
}

/**
 * The names in the folder root/rel, at most `max` of them (in readdir order), when it and every
 * folder on the way is a real folder (never listed through a link); [] when it is missing.
 */
export function namesUntrusted(root: string, rel: string, max: number): string[] {
  const safe = safeRelative(rel);
  try {
    assertNoLinkOnTheWay(root, join(safe, "_"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const dir = opendirSync(join(root, safe));
  const names: string[] = [];
  try {
    for (let e = dir.readSync(); e !== null && names.length < max; e = dir.readSync()) names.push(e.name);
  } finally {
    dir.closeSync();
  }
  return names;
}

/** readUntrusted as text, or null when missing or unreadable for any reason (logged by the caller). */
export function readUntrustedText(root: string, rel: string, maxBytes?: number): string | null {
  try {
    return readUntrusted(root, rel, maxBytes)?.toString("utf8") ?? null;
  } catch (err) {
    if (err instanceof UntrustedPathError) return null;
    throw err;
  }
}

/**
 * Creates the folders of `rel`'s parent under root, refusing any link on the way; with
 * `replace`, a link or file on the way is removed and a folder made in its place (for trees
 * Ballador made itself, such as a verification checkout).
 */
function makeParents(root: string, rel: string, replace = false): string {
  const parts = rel.split(sep).slice(0, -1);
  let at = root;
  for (const part of parts) {
    at = join(at, part);
    let st: ReturnType<typeof lstatSync> | null = null;
    try {
      st = lstatSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (st !== null && !st.isDirectory() && replace) {
      unlinkSync(at);
      st = null;
    }
    if (st === null) {
      mkdirSync(at); // mkdir never follows a link at its own name: EEXIST instead
      st = lstatSync(at);
    }
    if (!st.isDirectory())
      throw new UntrustedPathError(`${at} is not a folder (a link or a file); not written`);
  }
  return at;
}

/**
 * Writes `content` to root/rel without following any link: whatever is at the name (a file, a
 * link, a FIFO) is replaced by a new regular file. A folder at the name is an error.
 */
export function writeUntrusted(
  root: string,
  rel: string,
  content: string | Buffer,
  mode = 0o644,
  opts: { replaceLinks?: boolean } = {},
): void {
  const safe = safeRelative(rel);
  const parent = makeParents(root, safe, opts.replaceLinks === true);
  const target = join(root, safe);
  try {
    if (lstatSync(target).isDirectory()) throw new UntrustedPathError(`${target} is a folder; not written`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const tmp = join(parent, `.ballador-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  writeThenRename(tmp, target, content, mode, (fd) => {
    const actual = fdPath(fd);
    if (actual !== null && actual !== join(realpathSync(root), relative(root, tmp))) {
      throw new UntrustedPathError(`${target}: its folder moved while writing; not written`);
    }
  });
}

/** Removes root/rel if it is anything but a folder (a link is removed, never followed). */
export function unlinkUntrusted(root: string, rel: string): void {
  const safe = safeRelative(rel);
  const target = join(root, safe);
  try {
    assertNoLinkOnTheWay(root, safe);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  try {
    if (lstatSync(target).isDirectory()) throw new UntrustedPathError(`${target} is a folder; not removed`);
    unlinkSync(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** The entry type at a path, without following a link. */
export function entryKind(path: string): "file" | "dir" | "link" | "other" | null {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return "link";
    if (st.isFile()) return "file";
    if (st.isDirectory()) return "dir";
    return "other";
  } catch {
    return null;
  }
}

/** An entry met by walkUntrusted: its path under the root and its type (a link is never followed). */
export interface TreeEntry {
  rel: string;
  kind: "file" | "link" | "other";
}

/**
 * Every entry under root that is not a folder, depth first in readdir order. Folders are walked
 * into (a link to a folder is a link, never walked through); `skip` passes over entries by name
 * (a folder with everything in it).
 */
export function walkUntrusted(
  root: string,
  visit: (entry: TreeEntry) => void,
  skip: (name: string) => boolean = () => false,
): void {
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (skip(e.name)) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else
        visit({
          rel: relative(root, full),
          kind: e.isFile() ? "file" : e.isSymbolicLink() ? "link" : "other",
        });
    }
  };
  walk(root);
}

/**
 * The first symbolic link met walking `rel` down from root (where it is and, when readable, what
 * it points to), or null when there is none up to the first part that does not exist.
 */
export function firstLinkOnPath(root: string, rel: string): { at: string; target: string } | null {
  let at = root;
  for (const part of rel.split("/").filter((x) => x !== "" && x !== ".")) {
    at = join(at, part);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(at);
    } catch {
      return null;
    }
    if (!st.isSymbolicLink()) continue;
    let target = "";
    try {
      target = readlinkSync(at);
    } catch {
      // unreadable: named without its target
    }
    return { at, target };
  }
  return null;
}

/** A host-owned folder made anew (whatever was at its name removed first, links never followed). */
export function freshFolder(path: string): void {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  if (entryKind(path) !== "dir") throw new UntrustedPathError(`${path} could not be made a plain folder`);
}

/**
 * Makes root/rel a plain folder when it is not one, and every folder on the way: a link or a
 * file met there is replaced, never followed (what an agent left in a tree the host writes in).
 */
export function plainFolderUntrusted(root: string, rel: string): string {
  return makeParents(root, join(safeRelative(rel), "_"), true);
}

/** The parent folder a path would be written in; exported for callers that lstat it themselves. */
export const parentOf = dirname;

/**
 * Removes whatever is at root/rel (a folder with everything in it), when no folder on the way is
 * a link: a link on the way would make the removal land outside the tree.
 */
export function removeUntrusted(root: string, rel: string): void {
  const safe = safeRelative(rel);
  try {
    assertNoLinkOnTheWay(root, safe);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  rmSync(join(root, safe), { recursive: true, force: true });
}
