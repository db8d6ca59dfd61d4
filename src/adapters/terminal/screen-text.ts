/**
 * An agent's terminal stream as a person would have read it on the screen: the stream is played
 * through a headless terminal emulator (xterm.js) of the session's size, and what was on the
 * screen comes back as plain text. Stripping escape sequences instead leaves a TUI's redraws as
 * a heap of fragments: cursor moves, line rewrites and the alternate screen decide what was
 * visible.
 *
 * The main screen gives its scrollback and final screen. A full-screen program draws on the
 * alternate screen, which keeps no history: each of its frames is kept when it is about to be
 * wiped (a full clear, leaving the alternate screen, the end of the stream) and is placed where
 * the program entered it. Consecutive identical and blank frames are kept once or not at all.
 *
 * The text is the agent's: a caller printing it to a terminal still escapes it (terminalBlock).
 */
import type { IBuffer, IMarker } from "@xterm/headless";
import xterm from "@xterm/headless";

export interface ScreenSize {
  cols: number;
  rows: number;
}

/** Lines of main-screen history kept: enough for hours of an agent, bounded in memory. */
const SCROLLBACK = 10_000;
/** Frames of the alternate screen kept (the last ones). */
const MAX_FRAMES = 200;

interface Frame {
  /** The main-screen marker of the line where the program entered the alternate screen. */
  at: IMarker | undefined;
  lines: string[];
}

export async function screenText(stream: string, size: ScreenSize): Promise<string> {
  const term = new xterm.Terminal({
    cols: size.cols,
    rows: size.rows,
    scrollback: SCROLLBACK,
    // A full clear of the main screen keeps what it wiped as history, as most terminals do.
    scrollOnEraseInDisplay: true,
    allowProposedApi: true,
  });
  try {
    const frames: Frame[] = [];
    let entry: IMarker | undefined;
    const snapshot = () => {
      const buf = term.buffer.active;
      if (buf.type !== "alternate") return;
      const lines = linesOf(buf, 0, buf.length);
      if (lines.every((l) => l === "")) return;
      const last = frames[frames.length - 1];
      if (last && last.at === entry && last.lines.join("\n") === lines.join("\n")) return;
      frames.push({ at: entry, lines });
      if (frames.length > MAX_FRAMES) frames.shift();
    };
    const isAltMode = (params: (number | number[])[]) =>
      params.some((p) => p === 47 || p === 1047 || p === 1049);
    // Handlers return false: the emulator then does what the sequence says, after the snapshot.
    term.parser.registerCsiHandler({ prefix: "?", final: "h" }, (params) => {
      if (isAltMode(params) && term.buffer.active.type === "normal") entry = term.registerMarker(0);
      return false;
    });
    term.parser.registerCsiHandler({ prefix: "?", final: "l" }, (params) => {
      if (isAltMode(params)) snapshot();
      return false;
    });
    term.parser.registerCsiHandler({ final: "J" }, (params) => {
      if (params[0] === 2 || params[0] === 3) snapshot();
      return false;
    });
    await new Promise<void>((resolve) => term.write(stream, resolve));
    snapshot();

    // Frames go in before the row where their program started (or first, when that row has
    // scrolled out of the kept history), in the order they were drawn.
    const byRow = new Map<number, string[][]>();
    for (const f of frames) {
      const row = f.at && !f.at.isDisposed && f.at.line >= 0 ? f.at.line : -1;
      byRow.set(row, [...(byRow.get(row) ?? []), f.lines]);
    }
    const out: string[] = [];
    const emit = (row: number): boolean => {
      const here = byRow.get(row) ?? [];
      for (const lines of here) out.push(...trimBlank(lines), "");
      return here.length > 0;
    };
    emit(-1);
    const normal = term.buffer.normal;
    let continues = false;
    for (let row = 0; row < normal.length; row++) {
      if (emit(row)) continues = false;
      const line = normal.getLine(row);
      if (!line) continue;
      const text = line.translateToString(true);
      // A wrapped row continues the line above it: one line, as it was written.
      if (line.isWrapped && continues) out[out.length - 1] += text;
      else out.push(text);
      continues = true;
    }
    for (const [row] of byRow) if (row >= normal.length) emit(row);
    return `${trimBlank(out).join("\n")}\n`.replace(/^\n$/, "");
  } finally {
    term.dispose();
  }
}

function linesOf(buf: IBuffer, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    const line = buf.getLine(i);
    if (!line) continue;
    const text = line.translateToString(true);
    // A wrapped line continues the one above it: one logical line, as it was written.
    if (line.isWrapped && out.length > 0) out[out.length - 1] += text;
    else out.push(text);
  }
  return out;
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]?.trim() === "") start++;
  while (end > start && lines[end - 1]?.trim() === "") end--;
  return lines.slice(start, end);
}
