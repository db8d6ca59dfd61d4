/**
 * Reading the person's files and writing seeded ones into a run's HOME (through HomeFiles: no
 * link followed), shared by the agents' seeding (home.ts, home-more.ts).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { HomeFiles } from "../hostile/index.js";

type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A JSON object from text; null when absent or not an object (a broken file is not kept). */
export function jsonOf(text: string | null): Json | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** A file of the person's own HOME (trusted: their links are theirs to follow); null when absent. */
export function readPersonal(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** A JSON object in a file of the person's own HOME; null when absent, broken or not an object. */
export function readPersonalJson(path: string): Json | null {
  return jsonOf(readPersonal(path));
}

export function writeJson(home: HomeFiles, rel: string, value: unknown): void {
  home.write(rel, `${JSON.stringify(value, null, 2)}\n`, 0o600);
}

/** The person's file copied into the run's HOME unless a regular file is already there. */
export function copyIfMissing(home: HomeFiles, from: string, rel: string): void {
  if (home.isFile(rel)) return;
  let data: Buffer;
  try {
    if (!statSync(from).isFile()) return;
    data = readFileSync(from);
  } catch {
    return;
  }
  home.write(rel, data, 0o600);
}

/** The person's folder copied into the run's HOME, file by file where not there yet. */
export function copyTreeIfMissing(home: HomeFiles, from: string, rel: string, depth = 0): void {
  // Files already there stay (copyIfMissing): a folder made earlier (a read-only one made
  // before the first step) still receives the person's files.
  if (depth > 16 || !isDir(from)) return;
  home.dir(rel);
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (isDir(src)) copyTreeIfMissing(home, src, `${rel}/${name}`, depth + 1);
    else copyIfMissing(home, src, `${rel}/${name}`);
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
