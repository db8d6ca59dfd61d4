/**
 * The Droid session a retry continues (`droid exec --fork <id>`): the newest session in the HOME
 * whose first line names the worktree as its cwd (Droid 0.225.2 keeps each session as
 * `~/.factory/sessions/<cwd, slashes as dashes>/<id>.jsonl`). The HOME is the agent's (hostile):
 * no link followed, no FIFO waited on, only the two ends of each file read (a session may be any
 * size), and the id must look like one before it goes on a command line.
 */
import { join } from "node:path";
import { droidSessionHead } from "../../core/usage-records.js";
import { namesUntrusted, readUntrustedEnds, UntrustedPathError } from "../hostile/index.js";

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/;
/** Names looked at in the folder, and sessions of them read: an agent may leave millions. */
const MAX_NAMES = 10_000;
const MAX_SESSIONS = 200;
/** The first line (`session_start`, its title cut short by Droid) fits in the head. */
const HEAD_BYTES = 64 * 1024;
/** The last messages' stamps: each message line starts with its stamp, its content after. */
const TAIL_BYTES = 256 * 1024;
const STAMP = /"timestamp":"[0-9T:.Z+-]{10,40}"/g;

/** The id of the newest Droid session of `worktree` under `home`, or null when there is none. */
export function latestDroidSession(home: string, worktree: string): string | null {
  const rel = join(".factory", "sessions", worktree.replace(/[/\\]/g, "-"));
  let names: string[];
  try {
    names = namesUntrusted(home, rel, MAX_NAMES);
  } catch {
    return null; // a link or a file on the way: no session to continue
  }
  const sessions = names.filter((n) => n.endsWith(".jsonl") && SESSION_ID.test(n.slice(0, -6)));
  // Carried into a retry's HOME, files lose their times: the newest is the one written last, as
  // its own stamps say (the latest stamp at either end of the file).
  let best: { id: string; at: string } | null = null;
  for (const name of sessions.slice(0, MAX_SESSIONS)) {
    const id = name.slice(0, -6);
    const ends = sessionEnds(home, join(rel, name));
    if (ends === null) continue;
    if (droidSessionHead(ends.head, worktree)?.id !== id) continue;
    const stamps = [...(ends.head.match(STAMP) ?? []), ...(ends.tail.match(STAMP) ?? [])];
    const at = stamps.reduce((a, b) => (b > a ? b : a), "");
    if (!best || at > best.at) best = { id, at };
  }
  return best?.id ?? null;
}

/** A session file's head and tail as text, or null when it is no regular file of the HOME. */
function sessionEnds(home: string, rel: string): { head: string; tail: string } | null {
  try {
    const ends = readUntrustedEnds(home, rel, { head: HEAD_BYTES, tail: TAIL_BYTES });
    return ends && { head: ends.head.toString("utf8"), tail: ends.tail.toString("utf8") };
  } catch (err) {
    if (err instanceof UntrustedPathError) return null;
    throw err;
  }
}
