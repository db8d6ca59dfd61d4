/** What xterm reports for keystrokes, read back into text runs and tmux key names (pure). */
import { describe, expect, it } from "vitest";
import { screenOnly, toKeys } from "../../src/dashboard/web/terminal-keys.js";

describe("terminal keystrokes to tmux keys", () => {
  it("keeps printable text literal and names Enter, Backspace, Tab, Escape, Ctrl keys", () => {
    expect(toKeys("ls -la\r")).toEqual([{ text: "ls -la" }, { key: "Enter" }]);
    expect(toKeys("ab\x7fc\t\x1b\x03\x04")).toEqual([
      { text: "ab" },
      { key: "BSpace" },
      { text: "c" },
      { key: "Tab" },
      { key: "Escape" },
      { key: "C-c" },
      { key: "C-d" },
    ]);
  });

  it("names arrows and paging keys in both cursor modes", () => {
    expect(toKeys("\x1b[A\x1bOB\x1b[C\x1b[D\x1b[5~\x1b[6~\x1b[3~\x1b[Z")).toEqual(
      ["Up", "Down", "Right", "Left", "PPage", "NPage", "DC", "BTab"].map((key) => ({ key })),
    );
  });

  it("drops what is not on the list instead of sending raw bytes", () => {
    // F5, a mouse report, NUL and C1 controls: nothing reaches the agent from them.
    expect(toKeys("\x1b[15~\x1b[<0;10;5M\x00\x9b\x1c")).toEqual([]);
    // Alt+x arrives as ESC x: Escape then x, as a terminal would send it.
    expect(toKeys("\x1bx")).toEqual([{ key: "Escape" }, { text: "x" }]);
    expect(toKeys("<b>é 😀</b>")).toEqual([{ text: "<b>é 😀</b>" }]);
  });

  it("keeps only colours and line breaks of a screen, so nothing on it makes the terminal answer", () => {
    expect(screenOnly("\x1b[1;31mred\x1b[0m\nok")).toBe("\x1b[1;31mred\x1b[0m\nok");
    // tmux's capture draws boxes with the line-drawing set: shifts kept.
    expect(screenOnly("\x1b(0\x0elqk\x0f\x1b(B")).toBe("\x1b(0\x0elqk\x0f\x1b(B");
    // A device-attributes query, a cursor report request, a clipboard write, an 8-bit CSI.
    const hostile = "a\x1b[c\x1b[6n\x1b]52;c;aGk=\x07\x9b5nb";
    expect(screenOnly(hostile)).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(screenOnly(hostile)).toBe("a[c[6n]52;c;aGk=5nb");
  });
});
