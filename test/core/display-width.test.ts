import { describe, expect, it } from "vitest";
import { colorEnabled, table } from "../../src/cli/output.js";
import { displayWidth, padEndDisplay, truncateDisplay } from "../../src/core/display-width.js";

describe("display width", () => {
  it.each([
    ["abc", 3],
    ["抽出イベント", 12],
    ["✅ ok", 5],
    ["👩‍💻", 2],
    ["e\u0301", 1],
    ["\x1b[31mred\x1b[0m", 3],
    ["ｆｕｌｌ", 8],
    ["한국어", 6],
    ["🇫🇷", 2],
    ["❤️", 2],
    ["a\u200bb", 2],
    ["Émettre", 7],
  ])(
    "counts terminal columns (CJK and emoji two, combining marks and colours none): %j is %i",
    (text, width) => {
      expect(displayWidth(text)).toBe(width);
    },
  );

  it("pads to a width in columns", () => {
    expect(padEndDisplay("抽出", 6)).toBe("抽出  ");
  });

  it("cuts on grapheme boundaries within the width", () => {
    expect(truncateDisplay("抽出イベントを発行する", 9)).toBe("抽出イベ…");
    expect(displayWidth(truncateDisplay("抽出イベントを発行する", 9))).toBeLessThanOrEqual(9);
    expect(truncateDisplay("👩‍💻👩‍💻👩‍💻", 5)).toBe("👩‍💻👩‍💻…");
    expect(truncateDisplay("short", 10)).toBe("short");
  });

  it("aligns table columns whatever the script of the titles", () => {
    const out = table(
      ["ID", "TITLE", "STATE"],
      [
        ["a", "Emit events", "ready"],
        ["b", "抽出イベント", "review"],
        ["c", "🚀 Launch ✅", "merged"],
      ],
    );
    const cols = out.split("\n").map((l) => {
      const at = l.search(/(STATE|ready|review|merged)/);
      return displayWidth(l.slice(0, at));
    });
    expect(new Set(cols).size).toBe(1);
  });

  it("honours NO_COLOR and FORCE_COLOR", () => {
    expect(colorEnabled({}, true)).toBe(true);
    expect(colorEnabled({}, false)).toBe(false);
    expect(colorEnabled({ NO_COLOR: "1" }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: "1" }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: "0" }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: "1", NO_COLOR: "1" }, false)).toBe(false);
    expect(colorEnabled({ TERM: "dumb" }, true)).toBe(false);
  });
});
