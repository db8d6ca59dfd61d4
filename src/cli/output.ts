/**
 * Presenting results: tables for people, JSON for scripts. Everything an agent can write goes
 * to the terminal through `line` (one line) or `block` (many), from src/core/terminal-text.ts;
 * JSON output keeps text exact.
 */
import { displayWidth, padEndDisplay, truncateDisplay } from "../core/display-width.js";
import { terminalBlock, terminalLine } from "../core/terminal-text.js";

/** Untrusted text shown on one line: controls, newlines and bidi tricks escaped visibly. */
export const line = terminalLine;
/** Untrusted text shown as a block: newlines and tabs kept, everything else escaped visibly. */
export const block = terminalBlock;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `ballador status | head` closes the pipe early: that is not an error. */
export function endOnClosedPipe(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

/** One NDJSON document (a `--watch --json` event): one line, no indentation. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Cells are measured in terminal columns, so CJK and emoji titles keep the columns aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) =>
    Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ""))),
  );
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : padEndDisplay(c, widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join("\n");
}

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d`;
}

/** At most `max` terminal columns, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  return truncateDisplay(text, max);
}

/**
 * Colour on a terminal, none in a pipe; NO_COLOR (any non-empty value) turns it off and
 * FORCE_COLOR (anything but "0" or "false") turns it on, NO_COLOR winning, as no-color.org
 * and the FORCE_COLOR convention say.
 */
export function colorEnabled(
  env: NodeJS.ProcessEnv = process.env,
  isTTY = process.stdout.isTTY === true,
): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  return isTTY && env.TERM !== "dumb";
}

const useColor = colorEnabled();
const paint = (code: string) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
export const color = {
  red: paint("31"),
  green: paint("32"),
  yellow: paint("33"),
  blue: paint("34"),
  dim: paint("2"),
  bold: paint("1"),
};

export function stateColor(state: string): string {
  switch (state) {
    case "merged":
      return color.green(state);
    case "review":
      return color.yellow(state);
    case "running":
    case "verifying":
      return color.blue(state);
    case "failed":
    case "blocked":
      return color.red(state);
    default:
      return line(state);
  }
}
