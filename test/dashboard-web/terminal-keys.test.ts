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
    // Shift+F5, a mouse report, NUL and C1 controls: nothing reaches the agent from them.
    expect(toKeys("\x1b[15;2~\x1b[<0;10;5M\x00\x9b\x1c")).toEqual([]);
    // Alt+x arrives as ESC x: Escape then x, as a terminal would send it.
    expect(toKeys("\x1bx")).toEqual([{ key: "Escape" }, { text: "x" }]);
    expect(toKeys("<b>é 😀</b>")).toEqual([{ text: "<b>é 😀</b>" }]);
  });

  it("names the function keys in both of xterm's forms", () => {
    expect(toKeys("\x1bOP\x1bOS\x1b[15~\x1b[17~\x1b[21~\x1b[24~\x1b[11~")).toEqual(
      ["F1", "F4", "F5", "F6", "F10", "F12", "F1"].map((key) => ({ key })),
    );
  });

  it("sends a bracketed paste as one paste, its line breaks as \\n and its other controls dropped", () => {
    expect(toKeys("a\x1b[200~one\rtwo\r\n\tthree\x1b[201~\r")).toEqual([
      { text: "a" },
      { paste: "one\ntwo\n\tthree" },
      { key: "Enter" },
    ]);
    // Clipboard text holding an end marker cannot end the paste early and type the rest as keys.
    expect(toKeys("\x1b[200~x\x1b[201~rm -rf ~\r\x03\x1b[201~")).toEqual([{ paste: "x[201~rm -rf ~\n" }]);
    // A paste cut off (no end marker) is still a paste, never keys.
    expect(toKeys("\x1b[200~rm -rf /\r")).toEqual([{ paste: "rm -rf /\n" }]);
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
