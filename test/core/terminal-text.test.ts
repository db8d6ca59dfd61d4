import { describe, expect, it } from "vitest";
import {
  hasTerminalControls,
  stripTerminal,
  terminalBlock,
  terminalLine,
} from "../../src/core/terminal-text.js";

/** Nothing a terminal would act on: no C0/C1 control but newline/tab, no bidi or invisible trick. */
const RAW =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\ufeff\u{e0000}-\u{e007f}]/u;

describe("terminalLine", () => {
  it("escapes CSI (7-bit and 8-bit) visibly", () => {
    expect(terminalLine("a\x1b[31mred\x1b[0m")).toBe("a\\x1b[31mred\\x1b[0m");
    expect(terminalLine("\x9b2J")).toBe("\\x9b2J");
  });
  it("escapes OSC 8 links, OSC 52 clipboard writes and titles", () => {
    expect(terminalLine("\x1b]8;;https://evil.test\x1b\\docs\x1b]8;;\x1b\\")).toBe(
      "\\x1b]8;;https://evil.test\\x1b\\docs\\x1b]8;;\\x1b\\",
    );
    expect(terminalLine("\x1b]52;c;cm0gLXJmIH4=\x07")).toBe("\\x1b]52;c;cm0gLXJmIH4=\\x07");
    expect(terminalLine("\x9d0;title\x9c")).toBe("\\x9d0;title\\x9c");
  });
  it("escapes every C0 and C1 control, DEL, newline, tab and carriage return", () => {
    for (let cp = 0; cp <= 0x9f; cp++) {
      if (cp >= 0x20 && cp < 0x7f) continue;
      const out = terminalLine(`x${String.fromCodePoint(cp)}y`);
      expect(out, `U+${cp.toString(16)}`).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(out.length).toBeGreaterThan(3);
    }
    expect(terminalLine("a\nb\tc\rd")).toBe("a\\nb\\tc\\rd");
  });
  it("names bidi overrides, isolates and marks", () => {
    expect(terminalLine("invoice\u202Efdp.exe")).toBe("invoice<U+202E>fdp.exe");
    for (const cp of [
      0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c,
    ]) {
      expect(terminalLine(String.fromCodePoint(cp))).toBe(
        `<U+${cp.toString(16).toUpperCase().padStart(4, "0")}>`,
      );
    }
  });
  it("names zero-width tricks and tag characters, but keeps emoji sequences and flags", () => {
    expect(terminalLine("ad\u200bmin")).toBe("ad<U+200B>min");
    expect(terminalLine("\ufeffx\u2060")).toBe("<U+FEFF>x<U+2060>");
    expect(terminalLine("a\u200db")).toBe("a<U+200D>b");
    expect(terminalLine("\u{e0049}\u{e0067}")).toBe("<U+E0049><U+E0067>");
    const dev = "👩\u200d💻 🏳️\u200d🌈";
    expect(terminalLine(dev)).toBe(dev);
    const scotland = "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}";
    expect(terminalLine(scotland)).toBe(scotland);
    // A non-joiner between letters is Persian orthography, not a trick.
    expect(terminalLine("می\u200cخواهم")).toBe("می\u200cخواهم");
  });
  it("leaves ordinary text alone: accents, CJK, emoji, backslashes", () => {
    const plain = "Émettre des événements 抽出イベント ✅ C:\\path \\x1b literal";
    expect(terminalLine(plain)).toBe(plain);
    expect(hasTerminalControls(plain)).toBe(false);
    expect(hasTerminalControls("a\u202eb")).toBe(true);
  });
});

describe("terminalBlock", () => {
  it("keeps newlines and tabs, turns CRLF into LF, escapes a lone CR and the rest", () => {
    expect(terminalBlock("one\r\ntwo\tx\rthree\x1b[2K\u202e")).toBe("one\ntwo\tx\\rthree\\x1b[2K<U+202E>");
  });
});

describe("stripTerminal", () => {
  it("removes CSI, OSC, charset and mode sequences from a session log", () => {
    const log =
      "\x1b[?1049h\x1b[1;31mFAIL\x1b[0m \x1b]8;;http://x.test\x1b\\link\x1b]8;;\x1b\\ \x1b(B\x1b=ok\r\n";
    expect(stripTerminal(log)).toBe("FAIL link ok\n");
  });
  it("removes an unterminated OSC to the end, and 8-bit forms", () => {
    expect(stripTerminal("ok\x1b]52;c;AAAA")).toBe("ok");
    expect(stripTerminal("a\x9b31mb\x9d0;t\x07c")).toBe("abc");
  });
  it("resolves carriage returns and backspaces as a terminal shows them", () => {
    expect(stripTerminal("progress 10%\rprogress 100%\n")).toBe("progress 100%\n");
    expect(stripTerminal("abc\rX\n")).toBe("Xbc\n");
    expect(stripTerminal("ab\bc")).toBe("ac");
  });
  it("leaves nothing a terminal would act on", () => {
    const hostile = "\x1b[6n\x1b[21t\x1bc\x07\x9b\x1bP1$r\x1b\\\u202e\u2066x\x00\x7f";
    expect(stripTerminal(hostile)).not.toMatch(RAW);
  });
});
