/**
 * Terminal columns a string takes: East Asian wide characters and emoji take two, combining
 * marks and zero-width characters none, colour sequences none (string-width, Unicode's
 * East_Asian_Width and emoji data). Tables pad and cut by these, not by `.length`.
 */
import stringWidth from "string-width";

export function displayWidth(text: string): number {
  return stringWidth(text);
}

export function padEndDisplay(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : text + " ".repeat(width - w);
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** At most `max` columns, cut on a grapheme boundary (an emoji or a letter with its accents stays whole), `…` when cut. */
export function truncateDisplay(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  let out = "";
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = displayWidth(segment);
    if (used + w > max - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}
