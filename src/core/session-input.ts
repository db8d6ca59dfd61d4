/**
 * What Ballador types into a live interactive session besides the prompt and a person's words:
 * a refused `done`, so the agent goes on at once instead of waiting for refused_idle (issue 31).
 * The verify output is the agent's own (hostile): escape sequences are dropped, what is left of
 * control and invisible characters is shown escaped, and the whole is one bounded line, since a
 * newline typed into a TUI would send the message half-written.
 */
import { stripTerminal } from "./terminal-text.js";

/** Typed text stays short enough for any agent's input box. */
export const MAX_TYPED = 2000;
const TAIL_LINES = 8;

export interface RefusedGate {
  command: string;
  code: number | null;
}

/** One line to type: what was refused, the end of its output, what to do. */
export function refusalInput(gate: RefusedGate, output: string): string {
  const how = gate.code === null ? "was stopped (timeout)" : `exited ${gate.code}`;
  const head = `ballador: your done was refused: ${oneLine(gate.command)} ${how}`;
  const tail = "fix it, commit, and run ballador done again";
  const lines = stripTerminal(output)
    .split("\n")
    .map(oneLine)
    .filter((l) => l.length > 0)
    .slice(-TAIL_LINES);
  const room = MAX_TYPED - head.length - tail.length - 40;
  let end = lines.join(" | ");
  if (end.length > room) end = `…${end.slice(end.length - Math.max(room, 0) + 1)}`;
  return end ? `${head}; the end of the output: ${end}; ${tail}` : `${head}; ${tail}`;
}

/** A status line for the session's status bar: one line, escaped, bounded. */
export function statusText(text: string, max = 150): string {
  const line = oneLine(text);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function oneLine(text: string): string {
  // stripTerminal keeps newlines and tabs; everything else dangerous is already visible text.
  return stripTerminal(text)
    .replace(/[\n\t]+/g, " ")
    .replace(/ {2,}/g, " ")
    .trim();
}
