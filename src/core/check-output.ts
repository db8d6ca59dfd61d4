/**
 * A failed check's output where a reviewer looks (the brief, `show`, the agent's next prompt,
 * the dashboard): its tail, bounded and escaped, with the path of the whole log. The output is
 * the agent's code talking (hostile), so it is escaped once, here, before it is kept anywhere,
 * and put into markdown inside a fence it cannot close. Also what "flaky" means. Pure.
 */
import { terminalBlock } from "./terminal-text.js";

export const TAIL_MAX_LINES = 40;
export const TAIL_MAX_BYTES = 4096;
/** A longer line is cut: one minified line must not fill the whole tail. */
export const TAIL_MAX_LINE = 400;

/**
 * The end of a check's output as a reviewer reads it: at most `maxLines` lines and `maxBytes`
 * bytes (UTF-8, the earlier lines dropped first), each line at most TAIL_MAX_LINE characters,
 * and every control, escape and invisible character shown visibly (terminalBlock). Applying it
 * twice changes nothing more.
 */
export function checkTail(output: string, maxLines = TAIL_MAX_LINES, maxBytes = TAIL_MAX_BYTES): string {
  const escaped = terminalBlock(output.replace(/\s+$/, ""));
  if (!escaped) return "";
  let lines = escaped
    .split("\n")
    .map((l) => (l.length > TAIL_MAX_LINE ? `${l.slice(0, TAIL_MAX_LINE)} ... (line cut)` : l));
  let dropped = 0;
  if (lines.length > maxLines) {
    dropped = lines.length - maxLines;
    lines = lines.slice(dropped);
  }
  const size = (ls: string[]) => Buffer.byteLength(ls.join("\n"), "utf8");
  while (lines.length > 1 && size(lines) > maxBytes) {
    lines.shift();
    dropped++;
  }
  // A single line still over the byte bound (wide characters): keep its end.
  if (size(lines) > maxBytes)
    lines = [
      Buffer.from(lines[0] ?? "")
        .subarray(-maxBytes)
        .toString("utf8"),
    ];
  return dropped
    ? [`... (${dropped} earlier lines: see the whole log)`, ...lines].join("\n")
    : lines.join("\n");
}

/**
 * Text as a fenced markdown code block that nothing inside can close: the fence is longer than
 * any run of backticks in the text (CommonMark), so a line of ``` in an agent's output stays
 * output instead of ending the block and being read as headings or links.
 */
export function fenced(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}\n${text}\n${fence}`;
}

/**
 * A failed check's tail for markdown (the brief, the agent's prompt): fenced, each line indented
 * (so no line of it reads as a heading or a closing fence to a reader that goes line by line),
 * with the path of the whole log after it. The tail is escaped again (a no-op after checkTail).
 */
export function tailMarkdown(tail: string | null, log: string | null): string {
  const indented = tail?.trim()
    ? checkTail(tail)
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n")
    : null;
  const body = indented ? fenced(indented) : "(no output kept)";
  return log ? `${body}\n\nThe whole log: \`${log.replace(/`/g, "'")}\`` : body;
}

export interface CheckResult {
  kind: string;
  commit: string | null;
  passed: boolean;
  /** What was verified (tree, command, the base's verify files): null when not recorded. */
  key: string | null;
  command: string | null;
}

/**
 * Flaky means only this: the same commit, verified the same way (equal key, or equal command
 * where no key was kept), both passed and failed in Ballador's own verifications. The agent's
 * own `ballador done` gate (a claim, in its own worktree and environment) never counts, and
 * neither do different commits. Commits in the order first seen.
 */
export function flakyCommits(results: readonly CheckResult[]): string[] {
  const outcomes = new Map<string, { commit: string; seen: Set<boolean> }>();
  for (const r of results) {
    if (!r.commit || r.kind === "gate") continue;
    const id = `${r.commit}\0${r.key ?? `command:${r.command ?? ""}`}`;
    const entry = outcomes.get(id) ?? { commit: r.commit, seen: new Set<boolean>() };
    entry.seen.add(r.passed);
    outcomes.set(id, entry);
  }
  const flaky = [...outcomes.values()].filter((e) => e.seen.size > 1).map((e) => e.commit);
  return [...new Set(flaky)];
}

/** Keeps what a reader needs: the last lines, plus earlier lines that name failures. */
export function trimOutput(output: string, maxLines = 40): string {
  const lines = output.trimEnd().split("\n");
  if (lines.length <= maxLines) return lines.join("\n");
  const tail = lines.slice(-Math.floor(maxLines * 0.6));
  const head = lines
    .slice(0, -tail.length)
    // ✗ written as an escape: the supervisor's bundle is kept ASCII (scripts/build-bundle.mjs).
    .filter((l) => /\b(fail|failed|error|assert|expected|\u2717|not ok)\b/i.test(l))
    .slice(0, maxLines - tail.length);
  return [
    ...head,
    `... (${lines.length - head.length - tail.length} more lines in the full log)`,
    ...tail,
  ].join("\n");
}
