// The per-run copies of jj's shared store folders (`op_store/operations` and `views`, `store/extra`, `index`).
// jj names each file by its content's hash but does not check a file against its name when it
// reads one (measured with 0.46: another operation's content under the head's name is loaded as
// the head). An agent that could write the real folders could put a view with `main` moved under
// the name of the repository's head operation, or delete the person's views. So inside a run each
// folder is a per-run copy, mounted over the real one, holding one link per existing file into a
// read-only mount of the real folder: the agent's jj reads every operation and writes new ones
// into the copy; it cannot change or remove a real file. After each step the host takes in the
// new files only (never over an existing name).

import { randomBytes } from "node:crypto";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  entryKind,
  plainFolderUntrusted,
  readUntrusted,
  UntrustedPathError,
  writeUntrusted,
} from "../hostile/index.js";
import { gitStoreMounts } from "./git-store.js";

/**
 * The shared folders a run gets per-run copies of. `take`: new files are taken in after each step
 * (`what` names one in problems; `rewrite`: other bytes under an existing name are a problem), or
 * null: the copy is discarded (the index: jj rebuilds what it lacks from the operations).
 * store/extra's `heads` subfolder names the current tables; a head is taken only when its table is
 * in the real folder.
 */
const COPIES = [
  { key: "operations", rel: ["op_store", "operations"], take: { what: "operation", rewrite: true } },
  // jj writes a view again when one with its id exists, not always with the same bytes (measured).
  { key: "views", rel: ["op_store", "views"], take: { what: "view", rewrite: false } },
  { key: "extra", rel: ["store", "extra"], take: { what: "commit metadata table", rewrite: true } },
  { key: "index", rel: ["index"], take: null },
] as const;
type Copy = (typeof COPIES)[number];

/** jj's operation, view, index and table ids: 128 hex digits (BLAKE2b-512). */
const ID = /^[0-9a-f]{128}$/;
/** An operation, a view or a table is small; anything larger is not taken. */
const MAX_BYTES = 64 * 1024 * 1024;

interface Folders {
  /** The real folder in the repository. */
  real: string;
  /** The run's copy, mounted over `real` inside the sandbox. */
  copy: string;
  /** Where `real` is mounted read-only inside the sandbox; the copy's links point there. */
  shadow: string;
}

function folders(root: string, copyDir: string, c: Copy): Folders {
  return {
    real: join(root, ".jj", "repo", ...c.rel),
    copy: join(copyDir, c.key),
    shadow: join(copyDir, `real-${c.key}`),
  };
}

/** The sandbox's mounts for the copies: each copy over its real folder, the real one read-only at its shadow. */
export function opStoreMounts(
  root: string,
  copyDir: string,
): { from: string; to: string; readOnly?: true }[] {
  return COPIES.flatMap((c) => {
    const f = folders(root, copyDir, c);
    return [
      { from: f.copy, to: f.real },
      { from: f.real, to: f.shadow, readOnly: true as const },
    ];
  });
}

/** One link per regular file of `real` (and of its subfolders, one level), pointing into `shadow`. */
function linkTree(real: string, copy: string, shadow: string, depth: number): void {
  mkdirSync(copy, { recursive: true });
  for (const e of readdirSync(real, { withFileTypes: true })) {
    if (e.isFile()) symlinkSync(join(shadow, e.name), join(copy, e.name));
    else if (e.isDirectory() && depth > 0)
      linkTree(join(real, e.name), join(copy, e.name), join(shadow, e.name), depth - 1);
  }
}

/**
 * Makes the copies anew before a step: one link per file of the real folders (the shadows are
 * empty mount points here). A real folder jj has not made yet is made (empty), to be mounted.
 */
export function seedOpStore(root: string, copyDir: string): void {
  for (const c of COPIES) {
    const f = folders(root, copyDir, c);
    rmSync(f.copy, { recursive: true, force: true });
    mkdirSync(f.real, { recursive: true });
    mkdirSync(f.shadow, { recursive: true });
    linkTree(f.real, f.copy, f.shadow, 1);
  }
}

/** A regular file's bytes (never through a link), or null when it is not one or is too large. */
function readRegular(dir: string, name: string): Buffer | null {
  try {
    return readUntrusted(dir, name, MAX_BYTES);
  } catch (err) {
    if (err instanceof UntrustedPathError) return null;
    throw err;
  }
}

/** Writes a new file into the real folder: a temporary name, then a link that fails if the name exists. */
function addNew(real: string, name: string, bytes: Buffer): boolean {
  const tmp = join(real, `.ballador-${process.pid}-${randomBytes(8).toString("hex")}`);
  writeFileSync(tmp, bytes, { flag: "wx" });
  try {
    linkSync(tmp, join(real, name));
    return true;
  } catch (err) {
    // Written meanwhile by jj or another run's adoption: the first one stays.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** Takes in the new files of one folder of a copy; returns how many. */
function takeFolder(
  real: string,
  copy: string,
  take: NonNullable<Copy["take"]>,
  problems: string[],
  needs?: string,
): number {
  let adopted = 0;
  if (!existsSync(copy) || entryKind(copy) !== "dir") return 0;
  mkdirSync(real, { recursive: true });
  for (const name of readdirSync(copy)) {
    if (entryKind(join(copy, name)) === "link" || !ID.test(name)) continue;
    const bytes = readRegular(copy, name);
    if (!bytes) {
      problems.push(`${take.what} ${name.slice(0, 12)} is not a regular file of at most ${MAX_BYTES} bytes`);
      continue;
    }
    const existing = readRegular(real, name);
    if (existing) {
      // The real one is kept either way.
      if (take.rewrite && !existing.equals(bytes)) problems.push(`rewrote ${take.what} ${name.slice(0, 12)}`);
      continue;
    }
    // A table head naming no table would stop the person's jj from loading the metadata.
    if (needs && !existsSync(join(needs, name))) {
      problems.push(`${take.what} head ${name.slice(0, 12)} names no table`);
      continue;
    }
    if (addNew(real, name, bytes)) adopted++;
  }
  return adopted;
}

/**
 * After a step: every regular file of the copies named as an id and absent from the real folder
 * is taken in (links are the existing files; anything else is not taken). Nothing is written over
 * an existing name; an operation or a table under an existing name with other content is an
 * attempt to rewrite the person's history, returned as a problem. The index copy is not read.
 */
export function adoptOpStore(root: string, copyDir: string): { adopted: number; problems: string[] } {
  const problems: string[] = [];
  let adopted = 0;
  for (const c of COPIES) {
    if (!c.take) continue;
    const f = folders(root, copyDir, c);
    adopted += takeFolder(f.real, f.copy, c.take, problems);
    if (c.key === "extra")
      adopted += takeFolder(join(f.real, "heads"), join(f.copy, "heads"), c.take, problems, f.real);
  }
  return { adopted, problems };
}

/**
 * The git store's objects: jj's git backend ignores GIT_OBJECT_DIRECTORY (measured with 0.46) but
 * reads `info/alternates`. So the run's own objects folder is mounted over the real one, naming a
 * read-only mount of it as its alternate: jj reads the person's objects and writes new ones into
 * the run's folder, adopted after each step with the git runs' checks (run-objects.ts). Its
 * `refs/jj` is a per-run copy too: new keep refs are taken in only for commits the store has.
 */
export function objectsMounts(
  gitStore: string,
  copyDir: string,
  own: string,
): { from: string; to: string; readOnly?: true }[] {
  const real = join(gitStore, "objects");
  return [
    // The git store itself is a per-run folder (git-store.ts), mounted first: the rest go into it.
    ...gitStoreMounts(gitStore, copyDir),
    { from: own, to: real },
    { from: real, to: join(copyDir, "real-objects"), readOnly: true },
    // refs/jj (jj's keep refs): the run's copy, seeded and taken in by src/run/run-jj-keep.ts.
    { from: keepCopy(copyDir), to: join(gitStore, "refs", "jj") },
  ];
}

/** The run's copy of the git store's refs/jj (jj's keep refs), mounted over the real one. */
export function keepCopy(copyDir: string): string {
  return join(copyDir, "refs-jj");
}

/**
 * Before a step: the run's objects folder names the read-only mount of the real one as its
 * alternate. The agent wrote that folder in the last step: a link it left at `info`, `pack` or
 * `info/alternates` is replaced, never followed (it would make the host write elsewhere).
 */
export function seedRunObjects(copyDir: string, own: string): void {
  const shadow = join(copyDir, "real-objects");
  mkdirSync(shadow, { recursive: true });
  plainFolderUntrusted(own, "pack");
  writeUntrusted(own, "info/alternates", `${shadow}\n`, 0o644, { replaceLinks: true });
}
