/**
 * The report desk's files (spec 0018): the shell helper behind `ballador done | blocked | note |
 * approve | request-changes` asks, the run's supervisor answers.
 *
 *   inbox/NAME.req      agent: the report asked for ("ballador-request 1", kind, allow-dirty, text)
 *   inbox/NAME.chk      agent: what its worktree checks found (dirty paths, the gate's result)
 *   inbox/NAME.ack      agent: the final answer was read (the supervisor may stop the agent now)
 *   answers/NAME.check  host: run the worktree checks (allow-dirty, timeout, verify command)
 *   answers/NAME.final  host: exit code, then what to print (stdout on 0, stderr otherwise)
 *
 * answers/ is host-only (read-only inside the sandbox); the agent's files are read as data:
 * regular files only, never through a link, bounded, each removed once read.
 */
import { lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readUntrusted, UntrustedPathError, unlinkUntrusted } from "../hostile/index.js";

/** A request's name, as the helper makes it: milliseconds, its pid, six hex digits. */
const NAME = /^(\d{15}-\d{1,10}-[0-9a-f]{6})\.(req|chk)$/;
/** The helper's word that it read its answer: waited for only when the report ends the attempt. */
const ACK = /^\d{15}-\d{1,10}-[0-9a-f]{6}\.ack$/;
const REQUEST_HEAD = "ballador-request 1";
/** More is not a request: a report's text is bounded well below this. */
const MAX_FILE = 256 * 1024;
const MAX_TEXT = 20_000;

export const ANSWERS_DIR = "answers";

export interface AgentRequest {
  name: string;
  kind: string;
  allowDirty: boolean;
  text: string;
}

export type CheckResult =
  | { name: string; found: "clean" }
  | { name: string; found: "dirty"; status: string }
  | {
      name: string;
      found: "gate";
      code: number | null;
      timedOut: boolean;
      ms: number;
      commit: string;
      log: string;
    };

export interface DeskFiles {
  requests: AgentRequest[];
  checks: CheckResult[];
}

/** Names not readable as desk files, per inbox (a link, a folder): never looked at again. */
const skipped = new Map<string, Set<string>>();

/** Host side: the requests and check results in the inbox, oldest first; each removed once read. */
export function takeDeskFiles(inbox: string): DeskFiles {
  const out: DeskFiles = { requests: [], checks: [] };
  let all: string[];
  try {
    all = readdirSync(inbox);
  } catch {
    return out;
  }
  // Acknowledgements nobody waits for (a note's): removed, so the inbox does not fill with them.
  for (const n of all.filter((f) => ACK.test(f))) {
    try {
      unlinkUntrusted(inbox, n);
    } catch {
      // a folder by that name: stays
    }
  }
  const names = all.filter((n) => NAME.test(n)).sort();
  const seen = skipped.get(inbox) ?? new Set<string>();
  skipped.set(inbox, seen);
  for (const file of names) {
    if (seen.has(file)) continue;
    const raw = takeOne(inbox, file, seen);
    if (!raw) continue;
    const [, name, type] = NAME.exec(file) as RegExpExecArray;
    const text = raw.toString("utf8");
    if (type === "req") {
      const r = parseRequest(name as string, text);
      if (r) out.requests.push(r);
    } else {
      const c = parseCheck(name as string, text);
      if (c) out.checks.push(c);
    }
  }
  return out;
}

function takeOne(inbox: string, file: string, seen: Set<string>): Buffer | null {
  try {
    const raw = readUntrusted(inbox, file, MAX_FILE);
    unlinkUntrusted(inbox, file);
    return raw;
  } catch (err) {
    if (!(err instanceof UntrustedPathError)) throw err;
    seen.add(file);
    try {
      unlinkUntrusted(inbox, file);
    } catch {
      // a folder: stays
    }
    return null;
  }
}

/** A request file: its head line, the kind, 0 or 1 for --allow-dirty, then the text as written. */
export function parseRequest(name: string, raw: string): AgentRequest | null {
  const lines = raw.split("\n");
  if (lines[0] !== REQUEST_HEAD || lines.length < 4) return null;
  const kind = lines[1] ?? "";
  const dirty = lines[2];
  if (!/^[a-z]{1,16}$/.test(kind) || (dirty !== "0" && dirty !== "1")) return null;
  return { name, kind, allowDirty: dirty === "1", text: lines.slice(3).join("\n").slice(0, MAX_TEXT) };
}

/** A check file: "clean", "dirty" and git status -z, or "gate" with code, timed out, ms, commit, log. */
export function parseCheck(name: string, raw: string): CheckResult | null {
  const nl = raw.indexOf("\n");
  const head = nl === -1 ? raw : raw.slice(0, nl);
  if (head === "clean") return { name, found: "clean" };
  if (head === "dirty") return { name, found: "dirty", status: raw.slice(nl + 1) };
  if (head !== "gate") return null;
  const [code, timedOut, ms, commit, log] = raw.slice(nl + 1).split("\n");
  if (code === undefined || !/^(\d{1,3})?$/.test(code)) return null;
  if ((timedOut !== "0" && timedOut !== "1") || !/^\d{1,12}$/.test(ms ?? "")) return null;
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit ?? "") || !/^gate-\d{1,16}\.log$/.test(log ?? ""))
    return null;
  return {
    name,
    found: "gate",
    code: code === "" ? null : Number(code),
    timedOut: timedOut === "1",
    ms: Number(ms),
    commit: commit as string,
    log: log as string,
  };
}

/** True once the helper said it read its final answer (a regular file, not followed); removes it. */
export function takeAck(inbox: string, name: string): boolean {
  const file = `${name}.ack`;
  try {
    lstatSync(join(inbox, file));
  } catch {
    return false;
  }
  try {
    unlinkUntrusted(inbox, file);
  } catch {
    // a folder by that name: the helper's word is all it was
  }
  return true;
}

/** Makes the host-only answers folder (before the sandbox is built, so it can be bound read-only). */
export function makeAnswersDir(runDir: string): string {
  const dir = join(runDir, ANSWERS_DIR);
  mkdirSync(dir, { recursive: true });
  return dir;
}
