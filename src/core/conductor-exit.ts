/**
 * What a failed conductor run says: its exit and the last lines it printed, so a person sees why
 * nothing was drafted. The log is the conductor's own output (hostile): terminal sequences
 * removed and every control character escaped, on one line.
 */
import { stripTerminal, terminalLine } from "./terminal-text.js";

/** How many of the log's last non-empty lines the problem quotes, and its longest quote. */
const LAST_LINES = 3;
const MAX_QUOTE = 400;

/** The problem for an attempt that exited non-zero (null when it exited 0 or was killed at its timeout). */
export function conductorExitProblem(exitCode: number | null, timedOut: boolean, log: string): string | null {
  if (timedOut || exitCode === 0) return null;
  const how = exitCode === null ? "was killed by a signal" : `exited with code ${exitCode}`;
  const lines = stripTerminal(log)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  let quote = terminalLine(lines.slice(-LAST_LINES).join(" / "));
  if (quote.length > MAX_QUOTE) quote = `…${quote.slice(-MAX_QUOTE)}`;
  return `the conductor ${how}; its last output: ${quote ? `"${quote}"` : "(nothing)"}`;
}
