// The per-run copies of jj's operation store (`op_store/operations` and `op_store/views`).
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
import { entryKind, readUntrusted, UntrustedPathError } from "../hostile/index.js";

const KINDS = ["operations", "views"] as const;
type Kind = (typeof KINDS)[number];
const SINGULAR: Record<Kind, string> = { operations: "operation", views: "view" };

/** jj's operation and view ids: 128 hex digits (BLAKE2b-512). */
const ID = /^[0-9a-f]{128}$/;
/** An operation or a view is small; anything larger is not taken. */
const MAX_BYTES = 64 * 1024 * 1024;

interface Folders {
  /** The real folder in the repository. */
  real: string;
  /** The run's copy, mounted over `real` inside the sandbox. */
  copy: string;
  /** Where `real` is mounted read-only inside the sandbox; the copy's links point there. */
  shadow: string;
}

function folders(root: string, copyDir: string, kind: Kind): Folders {
  return {
    real: join(root, ".jj", "repo", "op_store", kind),
    copy: join(copyDir, kind),
    shadow: join(copyDir, `real-${kind}`),
  };
}

/** The sandbox's mounts for the copies: each copy over its real folder, the real one read-only at its shadow. */
export function opStoreMounts(
  root: string,
  copyDir: string,
): { from: string; to: string; readOnly?: true }[] {
  return KINDS.flatMap((kind) => {
    const f = folders(root, copyDir, kind);
    return [
      { from: f.copy, to: f.real },
      { from: f.real, to: f.shadow, readOnly: true as const },
    ];
  });
}

/** Makes the copies anew before a step: one link per file of the real folders (the shadows are empty mount points here). */
export function seedOpStore(root: string, copyDir: string): void {
  for (const kind of KINDS) {
    const f = folders(root, copyDir, kind);
    rmSync(f.copy, { recursive: true, force: true });
    mkdirSync(f.copy, { recursive: true });
    mkdirSync(f.shadow, { recursive: true });
    for (const name of readdirSync(f.real))
      if (ID.test(name)) symlinkSync(join(f.shadow, name), join(f.copy, name));
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

/**
 * After a step: every regular file of the copies named as an id and absent from the real folder
 * is taken in (links are the existing files; anything else is not taken). Nothing is written over
 * an existing name; an operation under an existing name with other content is an attempt to
 * rewrite the person's history, returned as a problem.
 */
export function adoptOpStore(root: string, copyDir: string): { adopted: number; problems: string[] } {
  const problems: string[] = [];
  let adopted = 0;
  for (const kind of KINDS) {
    const f = folders(root, copyDir, kind);
    if (!existsSync(f.copy)) continue;
    for (const name of readdirSync(f.copy)) {
      if (entryKind(join(f.copy, name)) === "link" || !ID.test(name)) continue;
      const bytes = readRegular(f.copy, name);
      if (!bytes) {
        problems.push(
          `${SINGULAR[kind]} ${name.slice(0, 12)} is not a regular file of at most ${MAX_BYTES} bytes`,
        );
        continue;
      }
      const existing = readRegular(f.real, name);
      if (existing) {
        // jj writes a view again when one with its id exists, not always with the same bytes
        // (measured); the real one is kept either way. An operation is never written twice.
        if (kind === "operations" && !existing.equals(bytes))
          problems.push(`rewrote operation ${name.slice(0, 12)}`);
        continue;
      }
      if (addNew(f.real, name, bytes)) adopted++;
    }
  }
  return { adopted, problems };
}
