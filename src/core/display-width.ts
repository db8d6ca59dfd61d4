/**
 * Terminal columns a string takes, so tables pad and cut by what the eye sees, not by
 * `.length`: East Asian wide and fullwidth characters and emoji take two, combining marks and
 * format characters none, SGR colour sequences none. Measured per grapheme (Intl.Segmenter), so
 * an emoji sequence (👩‍💻) or a letter with its accents counts once. A small wcwidth of our own:
 * string-width does the same but costs ~100 ms of start-up (its tables) on every command.
 */

/** Unicode East_Asian_Width W and F blocks (CJK, Hangul, kana, fullwidth forms, ...). */
const WIDE =
  /^[\u1100-\u115f\u231a\u231b\u2329\u232a\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{16fe0}-\u{16fe4}\u{17000}-\u{18aff}\u{1b000}-\u{1b2ff}\u{1f200}-\u{1f2ff}\u{20000}-\u{2fffd}\u{30000}-\u{3fffd}]/u;
/** Shown as an emoji (two columns): emoji presentation, or any pictograph with VS16 or a ZWJ. */
const EMOJI =
  /^\p{Emoji_Presentation}|^\p{Extended_Pictographic}.*(?:\ufe0f|\u200d)|^\p{Regional_Indicator}{2}/u;
/** Takes no column: marks, format characters (ZWJ, bidi, ...), controls (variation selectors are marks). */
const ZERO = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]+$/u;
const SGR = /\u001b\[[0-9;]*m/g;
const ASCII = /^[\u0020-\u007e]*$/;

// Made on first use: creating it loads ICU's break data (about 7 ms of start-up), which an
// all-ASCII table (the usual case, and every --json) never needs.
let segmenter: Intl.Segmenter | undefined;
function graphemes(text: string): Intl.Segments {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return segmenter.segment(text);
}

function graphemeWidth(g: string): number {
  if (ZERO.test(g)) return 0;
  if (EMOJI.test(g) || WIDE.test(g)) return 2;
  return 1;
}

export function displayWidth(text: string): number {
  const plain = text.includes("\u001b") ? text.replace(SGR, "") : text;
  if (ASCII.test(plain)) return plain.length;
  let w = 0;
  for (const { segment } of graphemes(plain)) w += graphemeWidth(segment);
  return w;
}

export function padEndDisplay(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : text + " ".repeat(width - w);
}

/** At most `max` columns, cut on a grapheme boundary, `…` when cut. */
export function truncateDisplay(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  let out = "";
  let used = 0;
  for (const { segment } of graphemes(text)) {
    const w = graphemeWidth(segment);
    if (used + w > max - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}
