/**
 * Needs you (issue 15): whether an agent's screen shows it waiting for a person, and what it
 * asked. Pure: the screen is given as plain text (tmux capture-pane), the answer is the agent's
 * words, still hostile (escape them before a terminal).
 */

/**
 * A question at the end of the screen: a line ending in "?", a yes/no choice, "press enter".
 * Presets may give their own; this is what any other agent gets.
 */
export const DEFAULT_WAIT_PATTERN =
  "(\\?\\s*$|\\[y/n\\]|\\(y/n\\)|\\[y/N\\]|\\[Y/n\\]|\\(yes/no\\)|press enter|waiting for (your )?input)";

/** The most of an agent's question kept: enough to say what it asked, never a whole screen. */
export const MAX_ASKED = 500;

/**
 * The question on a screen when its last non-empty line matches `pattern` (case-insensitive):
 * that line (with the one before when it is only a short choice such as "[y/N]"), bounded;
 * otherwise null.
 */
export function screenQuestion(screen: string, pattern: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(pattern, "im");
  } catch {
    re = new RegExp(DEFAULT_WAIT_PATTERN, "im");
  }
  const rows = screen
    .split("\n")
    .map((r) => r.trimEnd())
    .filter((r) => r.trim().length > 0);
  const last = rows.at(-1);
  if (last === undefined || !re.test(last)) return null;
  const before = rows.at(-2);
  const asked = last.trim().length < 16 && before ? `${before.trim()}\n${last.trim()}` : last.trim();
  // A preset's own pattern may be its TUI's footer: the question is then above it.
  const above = pattern === DEFAULT_WAIT_PATTERN ? null : questionAbove(rows);
  return boundAsked(above ?? asked);
}

/** How far above a TUI's footer its last question is looked for. */
const ABOVE = 20;

/**
 * A TUI whose pattern is its footer at the prompt (Copilot CLI, Qwen Code) shows the question it
 * ended its turn with above the prompt box: the nearest line ending in "?" in the rows above the
 * footer, without the bullets and box edges drawn around it; null when the last line itself
 * ends in "?" (it is the question) or no line above asks.
 */
function questionAbove(rows: readonly string[]): string | null {
  if (/\?\s*$/.test(rows.at(-1) ?? "")) return null;
  for (const row of rows.slice(-ABOVE - 1, -1).reverse()) {
    // A TUI's frame and bullets (│ ● ◆ ✦ • ❯) as escapes: the supervisor's bundle is kept ASCII.
    const text = row.replace(/^(?:[\s\u2502|>*\u25CF\u25C6\u2726\u2022\u276F-]|\uFE0E)+|[\s\u2502|]+$/gu, "");
    if (text.length > 1 && text.endsWith("?")) return text;
  }
  return null;
}

/** An agent's words about what it waits for, bounded for the store and for one status line. */
export function boundAsked(text: string): string {
  const clean = text.replace(/\r\n?/g, "\n").trim();
  return clean.length > MAX_ASKED ? `${clean.slice(0, MAX_ASKED - 1)}…` : clean;
}
