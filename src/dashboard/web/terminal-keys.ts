/**
 * What the person types into the page's terminal, as the server takes it: printable text runs,
 * special keys by their tmux names, and pastes. xterm reports keys as the bytes a terminal would
 * send (ESC [ A for Up, 0x7f for Backspace, 0x03 for Ctrl-C, ESC [ 1 5 ~ for F5); those are read
 * back into names here, and anything not on the list (modified function keys, mouse reports) is
 * dropped, not sent raw. A paste arrives between bracketed-paste markers (the page turns that
 * mode on in its own terminal) and is sent as one paste, for tmux to bracket again when the
 * agent's program asked for it.
 */
export type Key = { text: string } | { key: string } | { paste: string };

export const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

/** Escape sequences xterm sends, by the tmux key they stand for (normal and application modes). */
const SEQUENCES: ReadonlyArray<[string, string]> = [
  ["\x1b[A", "Up"],
  ["\x1b[B", "Down"],
  ["\x1b[C", "Right"],
  ["\x1b[D", "Left"],
  ["\x1bOA", "Up"],
  ["\x1bOB", "Down"],
  ["\x1bOC", "Right"],
  ["\x1bOD", "Left"],
  ["\x1b[H", "Home"],
  ["\x1b[F", "End"],
  ["\x1bOH", "Home"],
  ["\x1bOF", "End"],
  ["\x1b[1~", "Home"],
  ["\x1b[4~", "End"],
  ["\x1b[3~", "DC"],
  ["\x1b[5~", "PPage"],
  ["\x1b[6~", "NPage"],
  ["\x1b[Z", "BTab"],
  ["\x1bOP", "F1"],
  ["\x1bOQ", "F2"],
  ["\x1bOR", "F3"],
  ["\x1bOS", "F4"],
  ["\x1b[11~", "F1"],
  ["\x1b[12~", "F2"],
  ["\x1b[13~", "F3"],
  ["\x1b[14~", "F4"],
  ["\x1b[15~", "F5"],
  ["\x1b[17~", "F6"],
  ["\x1b[18~", "F7"],
  ["\x1b[19~", "F8"],
  ["\x1b[20~", "F9"],
  ["\x1b[21~", "F10"],
  ["\x1b[23~", "F11"],
  ["\x1b[24~", "F12"],
];

/**
 * A paste as the server takes it: line breaks as \n, tabs kept, every other control dropped (an
 * escape in a paste could end the agent's bracketed paste early and type the rest as keys).
 */
export function pasteText(raw: string): string {
  return raw.replace(/\r\n?/g, "\n").replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "");
}

/** Single control bytes with a key of their own; other C0 bytes are Ctrl+letter. */
const CONTROLS: Readonly<Record<string, string>> = {
  "\r": "Enter",
  "\n": "Enter",
  "\t": "Tab",
  "\x7f": "BSpace",
  "\b": "BSpace",
};

/** Reads terminal input into text runs and named keys. */
export function toKeys(data: string): Key[] {
  const out: Key[] = [];
  let text = "";
  const push = (k: Key) => {
    if (text) out.push({ text });
    text = "";
    out.push(k);
  };
  for (let i = 0; i < data.length; ) {
    const c = data[i] as string;
    const code = c.charCodeAt(0);
    if (data.startsWith(PASTE_START, i)) {
      // To the last end marker: one in the pasted text itself cannot end the paste early and have
      // the rest typed as keys (the page hands each paste over alone, see task-hands).
      const end = data.lastIndexOf(PASTE_END);
      const stop = end < i ? data.length : end;
      const paste = pasteText(data.slice(i + PASTE_START.length, stop));
      if (paste) push({ paste });
      i = end < i ? data.length : end + PASTE_END.length;
      continue;
    }
    if (c === "\x1b") {
      const seq = SEQUENCES.find(([s]) => data.startsWith(s, i));
      if (seq) {
        push({ key: seq[1] });
        i += seq[0].length;
        continue;
      }
      // Another CSI or SS3 sequence (F-keys, reports): not on the list, dropped whole.
      const other = /^\x1b(\[[0-9;?<>]*[ -/]*[@-~]|O.)/.exec(data.slice(i));
      if (other) {
        i += other[0].length;
        continue;
      }
      push({ key: "Escape" });
      i++;
      continue;
    }
    const named = CONTROLS[c];
    if (named) push({ key: named });
    else if (code >= 1 && code <= 26) push({ key: `C-${String.fromCharCode(code + 96)}` });
    else if (code >= 0x20 && !(code >= 0x80 && code <= 0x9f)) text += c;
    i++;
  }
  if (text) out.push({ text });
  return out;
}

/**
 * A live screen for a write-enabled terminal: colours (SGR), the line-drawing character set
 * switches tmux emits for boxes (SO/SI, ESC ( 0) and line breaks only. A terminal
 * answers some sequences (a device-attributes query, a cursor-position report) through the same
 * channel as keystrokes, so a screen that held one would type into the agent under the person's
 * name. tmux's capture emits only those, but the page does not rely on that: every other
 * escape loses its ESC (its remainder shows as text) and other control bytes are dropped.
 */
export function screenOnly(text: string): string {
  return text
    .replace(/\x1b(?!\[[0-9;:]*m|[()][0AB])/g, "")
    .replace(/[\x00-\x08\x0b-\x0d\x10-\x1a\x1c-\x1f\x7f-\x9f]/g, "");
}
