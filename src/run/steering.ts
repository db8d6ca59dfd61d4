/**
 * Steering from outside a run: the person's requested changes (`request-changes TASK`,
 * `retry TASK --message`). The words are stored as a "request" note, and every attempt until the
 * work is back in review carries them in its prompt (see buildRunSpec), automatic retries included.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { TaskStore } from "../adapters/store/index.js";
import { UserError } from "../project/index.js";

/** A person's message is read whole into every prompt: keep it to what a person writes. */
export const MAX_REQUEST = 64 * 1024;

/** The person's text from the command line or a file (the person's own file: trusted). */
export function requestText(opts: { text?: string; file?: string; cwd: string }): string | null {
  if (opts.text !== undefined && opts.file !== undefined)
    throw new UserError("give the requested changes either as text or with --file, not both", 2);
  let text = opts.text;
  if (opts.file !== undefined) {
    const path = resolve(opts.cwd, opts.file);
    if (!existsSync(path) || !statSync(path).isFile())
      throw new UserError(`--file ${opts.file}: no such file`, 3, [], "file_not_found");
    if (statSync(path).size > MAX_REQUEST)
      throw new UserError(`--file ${opts.file}: larger than ${MAX_REQUEST} bytes; say it shorter`, 2);
    text = readFileSync(path, "utf8");
  }
  if (text === undefined) return null;
  const clean = text.replace(/\r\n?/g, "\n").trim();
  if (clean.length === 0)
    throw new UserError(
      opts.file !== undefined
        ? `--file ${opts.file} is empty; write what must change`
        : "the message is empty",
      2,
    );
  if (clean.length > MAX_REQUEST)
    throw new UserError(`the message is longer than ${MAX_REQUEST} characters; say it shorter`, 2);
  return clean;
}

/**
 * The person's requests that still stand: those recorded since the task last entered review.
 * A request is made while the work is in review (or failed, blocked, stopped); once an attempt
 * brings the work back to review, the person has seen the answer and the request is settled.
 */
export function openRequests(store: TaskStore, taskId: string): string[] {
  return openNotes(store, taskId, "request");
}

/** The pull request's review comments the person sent back, open by the same rule as requests. */
export function openPrReview(store: TaskStore, taskId: string): string[] {
  return openNotes(store, taskId, "pr-review");
}

/**
 * An `update` that still stands: its instructions (the newest) and the commits the branch must
 * contain before its work can come back to review (every open one's).
 */
export function openUpdate(store: TaskStore, taskId: string): { text: string; mustContain: string[] } | null {
  const texts = openNotes(store, taskId, "update");
  if (texts.length === 0) return null;
  const since = store
    .events(taskId)
    .filter((e) => e.to === "review")
    .at(-1)?.at;
  const mustContain = store
    .artifacts(taskId)
    .filter((a) => a.kind === "update-target" && (!since || a.at >= since))
    .map((a) => a.value);
  return { text: texts.at(-1) as string, mustContain: [...new Set(mustContain)] };
}

function openNotes(store: TaskStore, taskId: string, kind: "request" | "pr-review" | "update"): string[] {
  const lastReview = store
    .events(taskId)
    .filter((e) => e.to === "review")
    .at(-1);
  const notes = store.notes(taskId).filter((n) => n.kind === kind);
  if (!lastReview) return notes.map((n) => n.text);
  // Notes and events have their own sequences; their times (ms) order them.
  return notes.filter((n) => n.at >= lastReview.at).map((n) => n.text);
}
