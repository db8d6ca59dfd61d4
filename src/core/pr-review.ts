/**
 * Review comments of a pull request, read from the forge's API answers and written into the
 * agent's next prompt. Pure. Everything here was written by whoever commented on the pull
 * request (a colleague, a bot, a stranger on a public repository, the agent's own account):
 * shapes are checked entry by entry, every string is bounded and has its controls and invisible
 * characters made visible, and the text is quoted as data, never as instructions or commands.
 */
import { terminalBlock, terminalLine } from "./terminal-text.js";

export type PrCommentKind = "review" | "line" | "conversation";

export interface PrComment {
  /** Stable across reads: kind and the forge's id ("line:123"). */
  key: string;
  kind: PrCommentKind;
  author: string;
  /** For line comments: the file and line (null when the comment is on the whole file). */
  path: string | null;
  line: number | null;
  /** A line comment on a version of the diff that has changed since. */
  outdated: boolean;
  /** For reviews: APPROVED, CHANGES_REQUESTED, COMMENTED. */
  state: string | null;
  body: string;
  at: string | null;
  url: string | null;
}

/** One comment's text in a prompt; GitHub allows 65,536 characters, a review point needs fewer. */
export const MAX_COMMENT = 4000;
/** The whole section: the same bound as a person's own request. */
export const MAX_FEEDBACK = 60 * 1024;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown, max: number): string | null =>
  typeof v === "string" ? (v.length > max ? `${v.slice(0, max)}…` : v) : null;
const int = (v: unknown): number | null =>
  typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : null;
const login = (v: unknown): string =>
  (isObj(v) ? str(v.login, 100) : null)?.replace(/\s+/g, " ") ?? "(unknown author)";

function bodyOf(v: unknown): string {
  const text = typeof v === "string" ? v.replace(/\r\n?/g, "\n").trim() : "";
  if (text.length <= MAX_COMMENT) return text;
  return `${text.slice(0, MAX_COMMENT)}\n… (cut here: ${text.length - MAX_COMMENT} more characters on the pull request)`;
}

/**
 * The answers of `pulls/N/reviews`, `pulls/N/comments` and `issues/N/comments`, as comments.
 * Entries of the wrong shape, pending reviews and reviews without words are left out.
 */
export function parsePrComments(answers: {
  reviews: readonly unknown[];
  lineComments: readonly unknown[];
  conversation: readonly unknown[];
}): PrComment[] {
  const out: PrComment[] = [];
  for (const r of answers.reviews) {
    if (!isObj(r) || int(r.id) === null) continue;
    const state = str(r.state, 40);
    const body = bodyOf(r.body);
    if (state === "PENDING" || body.length === 0) continue;
    out.push({
      key: `review:${r.id}`,
      kind: "review",
      author: login(r.user),
      path: null,
      line: null,
      outdated: false,
      state,
      body,
      at: str(r.submitted_at, 40),
      url: str(r.html_url, 500),
    });
  }
  for (const c of answers.lineComments) {
    if (!isObj(c) || int(c.id) === null) continue;
    const body = bodyOf(c.body);
    if (body.length === 0) continue;
    const current = int(c.line);
    out.push({
      key: `line:${c.id}`,
      kind: "line",
      author: login(c.user),
      path: str(c.path, 500),
      line: current ?? int(c.original_line),
      outdated: current === null && int(c.original_line) !== null,
      state: null,
      body,
      at: str(c.created_at, 40),
      url: str(c.html_url, 500),
    });
  }
  for (const c of answers.conversation) {
    if (!isObj(c) || int(c.id) === null) continue;
    const body = bodyOf(c.body);
    if (body.length === 0) continue;
    out.push({
      key: `conversation:${c.id}`,
      kind: "conversation",
      author: login(c.user),
      path: null,
      line: null,
      outdated: false,
      state: null,
      body,
      at: str(c.created_at, 40),
      url: str(c.html_url, 500),
    });
  }
  const rank: Record<PrCommentKind, number> = { review: 0, line: 1, conversation: 2 };
  return out.sort(
    (a, b) =>
      rank[a.kind] - rank[b.kind] ||
      (a.path ?? "").localeCompare(b.path ?? "") ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.at ?? "").localeCompare(b.at ?? ""),
  );
}

/** Where a comment points, for a heading and the terminal: "src/a.ts line 12 (outdated)". */
export function commentPlace(c: PrComment): string {
  if (c.kind === "review") {
    const verdict =
      c.state === "CHANGES_REQUESTED"
        ? "requested changes"
        : c.state === "APPROVED"
          ? "approved"
          : "commented";
    return `review (${verdict})`;
  }
  if (c.kind === "conversation") return "conversation";
  const file = terminalLine(c.path ?? "(no file)");
  return `${file}${c.line !== null ? ` line ${c.line}` : ""}${c.outdated ? " (on an earlier version of the diff)" : ""}`;
}

export interface PrFeedback {
  /** The section's body, as stored and as the prompt quotes it. */
  text: string;
  /** The comments in it, and those left out for size. */
  included: PrComment[];
  omitted: PrComment[];
}

/**
 * The comments as one quoted text: each under a heading with its place and author, its words on
 * lines starting with "> ", so no comment can end the quote or pose as Ballador's own text.
 */
export function formatPrFeedback(url: string, comments: readonly PrComment[]): PrFeedback {
  const head = `Pull request: ${terminalLine(url)}\n`;
  const included: PrComment[] = [];
  const omitted: PrComment[] = [];
  const parts: string[] = [head];
  let size = head.length;
  for (const c of comments) {
    const quoted = terminalBlock(c.body)
      .split("\n")
      .map((l) => (l.length ? `> ${l}` : ">"))
      .join("\n");
    const piece = `### ${included.length + 1}. ${commentPlace(c)}, by ${terminalLine(c.author)}\n\n${quoted}\n`;
    if (size + piece.length > MAX_FEEDBACK) {
      omitted.push(c);
      continue;
    }
    parts.push(piece);
    size += piece.length;
    included.push(c);
  }
  if (omitted.length > 0)
    parts.push(
      `(${omitted.length} more comment${omitted.length === 1 ? "" : "s"} not included here for size; read them on the pull request.)\n`,
    );
  return { text: parts.join("\n").trim(), included, omitted };
}
