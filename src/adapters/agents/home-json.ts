/**
 * Reading the person's config and writing the run's HOME (through HomeFiles: no link followed),
 * shared by the agents' seeding (home.ts, home-more.ts).
 */
import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { HomeFiles } from "../hostile/index.js";

/** The worktree as given and as the agent will see it (symlinks resolved). */
export function pathsOf(worktree: string): string[] {
  const out = [resolve(worktree)];
  try {
    const real = realpathSync(worktree);
    if (!out.includes(real)) out.push(real);
  } catch {
    // not created yet: the given path is all there is
  }
  return out;
}

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
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

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Claude Code's hooks that tell Ballador when the agent waits for a person (Notification: it
 * asks; Stop: it ended its turn) and when it works again (UserPromptSubmit, PreToolUse), through
 * `ballador hook` (the run's shim on PATH), which writes the run's inbox and prints nothing.
 * Hooks already in the settings stay; ours are added once. Qwen Code and Copilot CLI read the
 * same events in the same shape from their settings.json (issue 36).
 */
export const BALLADOR_HOOK_EVENTS = ["Notification", "Stop", "UserPromptSubmit", "PreToolUse"] as const;
export const BALLADOR_HOOK_COMMAND = "ballador hook";

export function withBalladorHooks(existing: unknown): Record<string, unknown> {
  const hooks: Record<string, unknown> =
    typeof existing === "object" && existing !== null && !Array.isArray(existing)
      ? { ...(existing as Record<string, unknown>) }
      : {};
  for (const event of BALLADOR_HOOK_EVENTS) {
    const groups = Array.isArray(hooks[event]) ? (hooks[event] as unknown[]) : [];
    const ours = JSON.stringify(groups).includes(JSON.stringify(BALLADOR_HOOK_COMMAND));
    hooks[event] = ours
      ? groups
      : [...groups, { hooks: [{ type: "command", command: BALLADOR_HOOK_COMMAND, timeout: 10 }] }];
  }
  return hooks;
}
