/**
 * Writing one file inside one folder, and nowhere else: the only way the conductor's tools
 * (the MCP server, the planner's results) put files on disk. A relative path is refused when
 * it is absolute, climbs out (`..`), names a hidden entry, or when any component from the
 * repository root down to the file is a symbolic link: a link planted by an agent must not
 * turn a write "under the parts folder" into a write anywhere.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { writeThenRename } from "./fd-io.js";
import { entryKind } from "./tree.js";

export class ConfinedPathError extends Error {
  override name = "ConfinedPathError";
}

/** A path segment a tool may name: no leading dot, no separators, no control characters. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** The same, also allowing a leading dot (for files Ballador itself places, like .mcp.json). */
const HIDDEN_OK = /^(?!\.\.?$)[A-Za-z0-9_.][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks `rel` (as given by a tool call) against `folder`, itself under `root`, and returns
 * the absolute path. Throws ConfinedPathError with the reason. Existing components are
 * checked with lstat; components that do not exist yet cannot be links.
 */
export function confinedPath(
  root: string,
  folder: string,
  rel: string,
  opts: { maxDepth: number; label: string; allowHidden?: boolean },
): string {
  if (rel.length === 0) throw new ConfinedPathError(`${opts.label}: an empty path`);
  if (isAbsolute(rel) || rel.startsWith("~")) {
    throw new ConfinedPathError(
      `${opts.label}: "${rel}" is absolute; give a path relative to ${relative(root, folder) || "."}`,
    );
  }
  const segments = rel.split(/[\\/]+/);
  if (segments.includes("..")) throw new ConfinedPathError(`${opts.label}: "${rel}" climbs out with ".."`);
  for (const s of segments) {
    if (!(opts.allowHidden ? HIDDEN_OK : SEGMENT).test(s)) {
      throw new ConfinedPathError(
        `${opts.label}: "${s}" in "${rel}" is not a plain name (letters, digits, . _ -, not starting with a dot)`,
      );
    }
  }
  if (segments.length > opts.maxDepth) {
    throw new ConfinedPathError(
      `${opts.label}: "${rel}" is ${segments.length} levels deep; at most ${opts.maxDepth} under ${relative(root, folder) || "."}`,
    );
  }
  const fromRoot = relative(root, folder);
  if (fromRoot.startsWith("..") || isAbsolute(fromRoot)) {
    throw new ConfinedPathError(`${opts.label}: the folder ${folder} is outside the repository ${root}`);
  }
  // Every component from the root down: the folder itself, its parents, then the given path.
  const chain = [...(fromRoot ? fromRoot.split(sep) : []), ...segments];
  let current = root;
  checkNotLink(current, rel, opts.label);
  for (const s of chain) {
    current = join(current, s);
    checkNotLink(current, rel, opts.label);
  }
  return current;
}

function checkNotLink(path: string, rel: string, label: string): void {
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (st.isSymbolicLink()) {
    throw new ConfinedPathError(`${label}: "${rel}" goes through a symbolic link (${path}); refused`);
  }
}

/**
 * Writes `text` to `path` (checked by confinedPath) atomically: a new temporary file opened
 * with O_EXCL|O_NOFOLLOW beside it, then renamed over the target (rename replaces a link
 * rather than following it). Folders between `folder` and the file are created.
 */
export function writeConfined(folder: string, path: string, text: string): void {
  const dir = join(path, "..");
  mkdirSync(dir, { recursive: true });
  // mkdir may have met a link created since the check: check the folders again.
  const rel = relative(folder, dir);
  let current = folder;
  for (const s of rel ? rel.split(sep) : []) {
    current = join(current, s);
    if (lstatSync(current).isSymbolicLink())
      throw new ConfinedPathError(`${current} is a symbolic link; refused`);
  }
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  writeThenRename(tmp, path, text, 0o644);
}

/** What sits at a path, without following links: "file", "missing", or what else it is. */
export function pathKind(path: string): "file" | "missing" | "link" | "folder" | "other" {
  const kind = entryKind(path);
  return kind === null ? "missing" : kind === "dir" ? "folder" : kind;
}

/**
 * Reads a file an agent may have written: opened without following a link (O_NOFOLLOW) and
 * without blocking on a FIFO, then checked to be a regular file no larger than `max`.
 * Returns the text, or the reason it was not read.
 */
export function readAgentFile(path: string, max: number): { text: string } | { problem: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { problem: "was not written" };
    if (code === "ELOOP") return { problem: "is a symbolic link" };
    return { problem: `cannot be read (${code ?? "error"})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: "is not a regular file" };
    if (st.size > max) return { problem: `is ${st.size} bytes, more than ${max}` };
    return { text: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}
