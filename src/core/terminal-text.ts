/**
 * Text an agent can write (titles, notes, summaries, verdicts, verify output, file names, hosts,
 * its terminal stream) reaches the person's terminal only through these functions. A terminal
 * obeys escape sequences in whatever it prints: colours that hide text, OSC 52 writes to the
 * clipboard, OSC 8 links whose text lies about their target, title changes, device queries
 * whose answers arrive as typed input, bidi overrides that show `evil.sh` as `hs.live`. Pure:
 * the CLI and any other face escape through the same rules. `--json` output is never escaped.
 *
 * Escapes are visible and unambiguous: ESC becomes the four characters `\x1b`, a bidi override
 * becomes `<U+202E>`, so the person sees that something was there.
 */

/** C0 controls, DEL and C1 controls (U+0080-U+009F: 8-bit CSI, OSC, ... in some terminals). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Invisible characters that reorder or hide text: bidi embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069), marks (U+200E, U+200F, U+061C), zero-width space and joiners
 * used to hide text, word joiner and invisible operators (U+2060-U+2064), BOM (U+FEFF), line and
 * paragraph separators, interlinear annotations, Mongolian vowel separator, soft hyphen, and
 * Unicode tag characters (U+E0000-U+E007F, "ASCII smuggling"). Two legitimate uses survive: a
 * zero-width joiner inside an emoji sequence (👩‍💻) and a non-joiner between letters (Persian),
 * and tag characters that spell a subdivision flag after U+1F3F4 (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
 */
const INVISIBLE =
  /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b\u2060-\u2064\ufeff\u2028\u2029\ufff9-\ufffb\u180e\u00ad]|(?<!\p{Extended_Pictographic}[\ufe0f\u{1f3fb}-\u{1f3ff}]?)\u200d|(?<!\p{L}\p{M}*)\u200c|(?<!\u{1f3f4}[\u{e0020}-\u{e007e}]*)[\u{e0000}-\u{e007f}]/u;

const DANGEROUS = new RegExp(`${CONTROL.source}|${INVISIBLE.source}`, "gu");

function hex(cp: number): string {
  return cp.toString(16).padStart(2, "0");
}

function visible(ch: string): string {
  const cp = ch.codePointAt(0) as number;
  if (cp <= 0x9f) {
    if (ch === "\n") return "\\n";
    if (ch === "\t") return "\\t";
    if (ch === "\r") return "\\r";
    return `\\x${hex(cp)}`;
  }
  return `<U+${cp.toString(16).toUpperCase().padStart(4, "0")}>`;
}

/**
 * One line of untrusted text (a title, a host, a file name, a table cell): every control
 * character, newline and tab included, and every invisible reordering character escaped.
 */
export function terminalLine(text: string): string {
  return text.replace(DANGEROUS, visible);
}

/**
 * A block of untrusted text (a note, a brief, verify output, a diff): like terminalLine, but
 * newlines and tabs stay as they are so the block reads as written. A carriage return is
 * escaped (it would let a line overwrite what came before it) except in a CRLF line end.
 */
export function terminalBlock(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .replace(DANGEROUS, (ch) => (ch === "\n" || ch === "\t" ? ch : visible(ch)));
}

/** Whether text holds anything terminalLine would escape (newline and tab aside). */
export function hasTerminalControls(text: string): boolean {
  return new RegExp(DANGEROUS.source, "u").test(text.replace(/[\n\t]/g, ""));
}

/**
 * Escape sequences as terminals parse them (ECMA-48): CSI (ESC [ or 0x9B) with parameters and
 * one final byte; OSC, DCS, SOS, PM and APC strings (ESC ] P X ^ _ or their C1 forms) up to BEL
 * or ST (ESC \ or 0x9C) or, when unterminated, the end of the text; and two- or three-byte
 * ESC sequences (charset selection, keypad modes, RIS).
 */
export const SEQUENCE =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b[\]PX^_]|[\u009d\u0090\u0098\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/gu;

/**
 * A terminal stream (a run's session log) as plain text for a pipe or a file: escape sequences
 * removed, backspaces and carriage returns resolved the simple way (CRLF becomes LF, a lone CR
 * starts the line again), and what is left escaped as a block.
 */
export function stripTerminal(text: string): string {
  const plain = text.replace(SEQUENCE, "").replace(/\r+\n/g, "\n");
  const lines = plain.split("\n").map((line) => {
    const parts = line.split("\r");
    // What a terminal shows after carriage returns: the last write wins, column by column.
    let shown = "";
    for (const part of parts) shown = part + shown.slice(part.length);
    let out = "";
    for (const ch of shown) out = ch === "\b" ? out.slice(0, -1) : out + ch;
    return out;
  });
  return terminalBlock(lines.join("\n"));
}

/** Controls a terminal stream legitimately carries (BEL, BS, TAB, LF, CR) kept; the rest escaped. */
export function escapeLoose(text: string): string {
  return text.replace(DANGEROUS, (ch) => (/[\u0007\b\t\n\r]/.test(ch) ? ch : visible(ch)));
}
