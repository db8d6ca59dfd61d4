/**
 * The shell source: the person's command speaks JSON. Ballador appends one of `list`, `get`,
 * `mark STATE` (each word shell-quoted) and writes `{"source_ref": ...}` (and for mark the
 * write) on stdin; `list` prints `{"me": ..., "issues": [...]}`, `get` one issue (or null).
 * The command is the repository owner's (config), so a shell is intended; nothing of an issue
 * is ever spliced into its text.
 */
import { shellQuote } from "../../core/shell.js";
import type { TrackerIssue } from "../../core/sources.js";
import { execBounded, failure, TrackerError } from "./exec.js";
import { ContractIssue, type Tracker, type TrackerWrite, toIssue } from "./types.js";

const MAX_OUTPUT = 64 * 1024 * 1024;

export interface ShellTrackerOptions {
  name: string;
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeouts: { list: number; get: number; mark: number };
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TrackerError(
      `${what} printed something that is not JSON (${JSON.stringify(text.slice(0, 80))})`,
    );
  }
}

function checked(what: string, raw: unknown): TrackerIssue {
  const r = ContractIssue.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new TrackerError(
      `${what}: ${i?.path.join(".") || "the issue"}: ${i?.message ?? "invalid"} (see docs/sources.md, the shell contract)`,
    );
  }
  return toIssue(r.data);
}

export function shellTracker(o: ShellTrackerOptions): Tracker {
  const run = async (words: string[], input: unknown, timeoutMs: number) => {
    const what = `source ${o.name}: ${words.join(" ")}`;
    const r = await execBounded("/bin/sh", ["-c", `${o.command} ${words.map(shellQuote).join(" ")}`], {
      cwd: o.cwd,
      env: { ...o.env, BALLADOR_SOURCE: o.name },
      input: `${JSON.stringify(input)}\n`,
      timeoutMs,
      maxBytes: MAX_OUTPUT,
    });
    if (r.code !== 0 || r.timedOut || r.tooLong) throw new TrackerError(failure(what, r, timeoutMs));
    return { what, stdout: r.stdout };
  };
  return {
    what: (i) => `${o.name} issue ${i.key}`,
    async list(label) {
      const { what, stdout } = await run(["list"], { label }, o.timeouts.list);
      const doc = parseJson(what, stdout);
      const obj = Array.isArray(doc) ? { issues: doc } : (doc as { issues?: unknown; me?: unknown } | null);
      if (!obj || !Array.isArray(obj.issues))
        throw new TrackerError(
          `${what}: expected {"issues": [...]} (see docs/sources.md, the shell contract)`,
        );
      const issues = obj.issues.map((raw, n) => checked(`${what}: issues[${n}]`, raw));
      const me = typeof obj.me === "string" && obj.me.length <= 200 ? obj.me : null;
      return { issues, me };
    },
    async get(ref) {
      const { what, stdout } = await run(["get"], { source_ref: ref }, o.timeouts.get);
      const doc = parseJson(what, stdout);
      return doc === null ? null : checked(what, doc);
    },
    async mark(ref, w: TrackerWrite) {
      await run(
        ["mark", w.state],
        { source_ref: ref, state: w.state, instance: w.instance, text: w.text, url: w.url, close: w.close },
        o.timeouts.mark,
      );
    },
  };
}
