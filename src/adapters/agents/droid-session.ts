/**
 * The Droid session a retry continues (`droid exec --fork <id>`): the newest session in the HOME
 * whose first line names the worktree as its cwd (Droid 0.225.2 keeps each session as
 * `~/.factory/sessions/<cwd, slashes as dashes>/<id>.jsonl`). The HOME is the agent's (hostile):
 * no link followed, bounded reads, and the id must look like one before it goes on a command line.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { firstJsonLine, isObj } from "../../core/usage.js";
import { entryKind, readUntrustedText } from "../hostile/index.js";

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/;
const MAX_SESSIONS = 200;
const MAX_SESSION_FILE = 64 * 1024 * 1024;

/** The id of the newest Droid session of `worktree` under `home`, or null when there is none. */
export function latestDroidSession(home: string, worktree: string): string | null {
  const dir = join(home, ".factory", "sessions", worktree.replace(/[/\\]/g, "-"));
  for (const part of [join(home, ".factory"), join(home, ".factory", "sessions"), dir])
    if (entryKind(part) !== "dir") return null;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".jsonl") && SESSION_ID.test(n.slice(0, -6)));
  } catch {
    return null;
  }
  // Carried into a retry's HOME, files lose their times: the newest is the one whose last line
  // was written last, as the session itself stamps it.
  let best: { id: string; at: string } | null = null;
  for (const name of names.slice(0, MAX_SESSIONS)) {
    const text = readUntrustedText(dir, name, MAX_SESSION_FILE);
    const head = firstJsonLine(text ?? "");
    const id = name.slice(0, -6);
    if (!isObj(head) || head.type !== "session_start" || head.cwd !== worktree || head.id !== id) continue;
    const stamps = (text ?? "").match(/"timestamp":"[0-9T:.Z+-]{10,40}"/g) ?? [];
    const at = stamps.at(-1) ?? "";
    if (!best || at > best.at) best = { id, at };
  }
  return best?.id ?? null;
}
