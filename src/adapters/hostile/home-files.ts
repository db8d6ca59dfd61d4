/**
 * Files in a run's HOME, written and read by host-side code without ever following a symbolic
 * link. A sandboxed agent owns its HOME: whatever it left there (links to the person's files,
 * FIFOs that block a reader, devices, huge files) is hostile input. So:
 * - every path is walked component by component with lstat from the HOME down; a link or other
 *   non-folder where a folder belongs is removed (it is the run's own entry) and a real folder
 *   made in its place;
 * - a file is written as a fresh temporary file (exclusive create, O_NOFOLLOW) renamed into
 *   place, so a link at the final name is replaced, never written through;
 * - a file is read with O_NOFOLLOW and O_NONBLOCK, and only when it is a regular file of a
 *   bounded size;
 * - carrying a previous attempt's folders into a new HOME copies regular files and folders
 *   only, within a total size and entry budget, and reports what it left out.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { readWhole } from "./fd-io.js";

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Default bound of one file read from a HOME (config files are small). */
export const READ_LIMIT = 16 * 1024 * 1024;

export class HomeFileError extends Error {
  override name = "HomeFileError";
}

/** The components of a path relative to a HOME; `..`, empty and absolute parts are refused. */
function parts(rel: string): string[] {
  const out = rel
    .replace(/^~\//, "")
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  if (out.some((p) => p === "..") || out.length === 0) {
    throw new HomeFileError(`not a path inside the HOME: ${JSON.stringify(rel)}`);
  }
  return out;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** A run's HOME, every access confined to it and never through a link. */
export class HomeFiles {
  readonly root: string;

  /** The HOME folder itself must be a real folder (it is made when missing; its parent is host-owned). */
  constructor(root: string) {
    this.root = root;
    const st = lstatOrNull(root);
    if (!st) mkdirSync(root, { recursive: true, mode: 0o700 });
    else if (!st.isDirectory()) {
      throw new HomeFileError(
        `the run's HOME ${root} is not a folder (a link or a file): refusing to seed it`,
      );
    }
  }

  /** The absolute path of `rel`, without touching the filesystem. */
  path(rel: string): string {
    return join(this.root, ...parts(rel));
  }

  /** Makes `rel` and each folder above it a real folder, replacing any link or file in the way. */
  dir(rel: string): string {
    let at = this.root;
    for (const part of parts(rel)) {
      at = join(at, part);
      const st = lstatOrNull(at);
      if (st?.isDirectory()) continue;
      if (st) unlinkSync(at); // a link, file, FIFO, socket or device the agent left: removed, not followed
      mkdirSync(at, { mode: 0o700 });
    }
    return at;
  }

  /** True when `rel` and every folder above it are real folders (no link on the way). */
  isDirectory(rel: string): boolean {
    let at = this.root;
    for (const part of parts(rel)) {
      at = join(at, part);
      if (!lstatOrNull(at)?.isDirectory()) return false;
    }
    return true;
  }

  /** True when `rel` and every folder above it are real, and `rel` is a regular file. */
  isFile(rel: string): boolean {
    return this.statFile(rel) !== null;
  }

  /** The text of a regular file at `rel`, or null (absent, a link on the way, not regular, too big). */
  read(rel: string, limit = READ_LIMIT): string | null {
    const st = this.statFile(rel);
    if (!st || st.size > limit) return null;
    const buf = readRegular(this.path(rel), limit);
    return buf ? buf.toString("utf8") : null;
  }

  /** Writes `rel` as a fresh file renamed into place (a link there is replaced, not followed). */
  write(rel: string, data: string | Buffer, mode = 0o600, times?: { atime: Date; mtime: Date }): void {
    const ps = parts(rel);
    const parent = ps.length > 1 ? this.dir(ps.slice(0, -1).join("/")) : this.root;
    const name = ps[ps.length - 1] as string;
    const final = join(parent, name);
    const existing = lstatOrNull(final);
    // A folder where the file belongs (the agent's, carried over) would make rename fail.
    if (existing?.isDirectory()) rmSync(final, { recursive: true, force: true });
    const tmp = join(parent, `.${name}.ballador-${randomBytes(6).toString("hex")}`);
    const fd = openSync(tmp, CREATE_FLAGS, mode);
    try {
      const buf = typeof data === "string" ? Buffer.from(data) : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      if (times) futimesSync(fd, times.atime, times.mtime);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
  }

  /** Walks `rel` with lstat: its folders must be real, and it a regular file. */
  private statFile(rel: string): Stats | null {
    const ps = parts(rel);
    let at = this.root;
    for (let i = 0; i < ps.length; i++) {
      at = join(at, ps[i] as string);
      const st = lstatOrNull(at);
      if (!st) return null;
      if (i < ps.length - 1 ? !st.isDirectory() : !st.isFile()) return null;
      if (i === ps.length - 1) return st;
    }
    return null;
  }
}

/** Reads a regular file without following a link at its name and without blocking on a FIFO. */
function readRegular(path: string, limit: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > limit) return null;
    return readWhole(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

export interface CarryBudget {
  /** Total bytes of file content copied, at most. */
  maxBytes: number;
  /** Files and folders copied, at most. */
  maxEntries: number;
}

export const DEFAULT_CARRY_BUDGET: CarryBudget = { maxBytes: 512 * 1024 * 1024, maxEntries: 50_000 };

export interface CarryReport {
  files: number;
  bytes: number;
  /** Paths (relative to the HOME) left out: links, special files, over the budget. At most 50 listed. */
  skipped: string[];
  /** True when the budget stopped the copy. */
  truncated: boolean;
}

const MAX_DEPTH = 64;

/**
 * Copies `rel` from a previous HOME (hostile) into `to`: regular files (with their times, so an
 * agent that picks its latest conversation by date still finds it) and folders only; never a
 * link, FIFO, socket or device, never through a link on the way to `rel`. Bounded by `budget`,
 * shared across calls when the same object is passed.
 */
export function carryInto(
  fromHome: string,
  rel: string,
  to: HomeFiles,
  report: CarryReport,
  budget: CarryBudget = DEFAULT_CARRY_BUDGET,
): void {
  const ps = parts(rel);
  // Every folder from the previous HOME down to `rel` must be real: `~/.claude -> /elsewhere`
  // would otherwise carry whatever is there into the new HOME.
  let at = fromHome;
  const top = lstatOrNull(fromHome);
  if (!top?.isDirectory()) return;
  for (let i = 0; i < ps.length; i++) {
    at = join(at, ps[i] as string);
    const st = lstatOrNull(at);
    if (!st) return;
    const last = i === ps.length - 1;
    if (!last && !st.isDirectory()) {
      skip(report, ps.slice(0, i + 1).join("/"));
      return;
    }
    if (last) copyEntry(at, ps.join("/"), st, to, report, budget, 0);
  }
}

function skip(report: CarryReport, rel: string): void {
  if (report.skipped.length < 50) report.skipped.push(rel);
}

function copyEntry(
  abs: string,
  rel: string,
  st: Stats,
  to: HomeFiles,
  report: CarryReport,
  budget: CarryBudget,
  depth: number,
): void {
  if (report.truncated) return;
  if (report.files >= budget.maxEntries) {
    report.truncated = true;
    skip(report, rel);
    return;
  }
  if (st.isDirectory()) {
    if (depth > MAX_DEPTH) {
      skip(report, rel);
      return;
    }
    to.dir(rel);
    report.files += 1;
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch {
      skip(report, rel);
      return;
    }
    for (const name of names.sort()) {
      const child = join(abs, name);
      const cst = lstatOrNull(child);
      if (cst) copyEntry(child, `${rel}/${name}`, cst, to, report, budget, depth + 1);
    }
    return;
  }
  if (!st.isFile()) {
    skip(report, rel);
    return;
  } // link, FIFO, socket, device
  if (report.bytes + st.size > budget.maxBytes) {
    report.truncated = true;
    skip(report, rel);
    return;
  }
  const data = readRegular(abs, budget.maxBytes - report.bytes);
  if (!data) {
    skip(report, rel);
    return;
  }
  to.write(rel, data, (st.mode & 0o777) | 0o600, { atime: st.atime, mtime: st.mtime });
  report.files += 1;
  report.bytes += data.length;
}
