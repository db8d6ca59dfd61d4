/**
 * The screen text of a terminal stream: what a person would have read, not the stream with its
 * escape sequences cut out (a TUI's redraws then read as fragments).
 */
import { describe, expect, it } from "vitest";
import { screenText } from "../../src/adapters/terminal/screen-text.js";
import { stripTerminal } from "../../src/core/terminal-text.js";

const SIZE = { cols: 40, rows: 6 };

/** A full-screen program: alternate screen, a spinner redrawn in place, then its final screen. */
const TUI = [
  "$ agent start\r\n",
  "\x1b[?1049h\x1b[2J\x1b[H",
  "Working |",
  ...["/", "-", "\\", "|"].map((c) => `\x1b[1;9H${c}`),
  "\x1b[2J\x1b[H\x1b[1mDone:\x1b[0m wrote hello.txt\r\n\x1b[32m3 tests pass\x1b[0m",
  "\x1b[?1049l",
  "$ agent exited\r\n",
].join("");

describe("screenText", () => {
  it("gives a full-screen program's frames as they were shown, in place, without the redraw debris", async () => {
    const text = await screenText(TUI, SIZE);
    expect(text).toBe("$ agent start\nWorking |\n\nDone: wrote hello.txt\n3 tests pass\n\n$ agent exited\n");
    // What stripping the escapes made of the same stream: the spinner's redraws glued together.
    expect(stripTerminal(TUI)).toContain("Working |/-\\|");
  });

  it("keeps carriage-return rewrites, wrapped lines and what a full clear wiped", async () => {
    const long = "x".repeat(50);
    const text = await screenText(
      `progress 10%\rprogress 100%\r\n${long}\r\nbefore clear\r\n\x1b[2J\x1b[Hafter\r\n`,
      SIZE,
    );
    expect(text.split("\n")).toEqual(["progress 100%", long, "before clear", "after", ""]);
  });

  it("an empty stream is empty; a frame never left is kept", async () => {
    expect(await screenText("", SIZE)).toBe("");
    expect(await screenText("\x1b[?1049hstill drawing", SIZE)).toBe("still drawing\n");
  });
});
