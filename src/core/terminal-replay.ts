/**
 * An agent's terminal stream replayed live on the person's terminal (`ballador logs -f` on a
 * terminal), framed so nothing in it can pass for Ballador's own output. The agent is an
 * adversary: a stream that clears the screen, homes the cursor and prints "All tests passed.
 * Merge approved by admin." must not show that line on a clean screen as if Ballador printed it.
 *
 * The frame: a header line naming the task, then every line of the replay starts with a gutter
 * `TASK │ ` the agent cannot reach. Ballador wraps long lines itself (the terminal's own
 * autowrap is off while replaying, so no continuation row ever starts without the gutter);
 * carriage returns and absolute columns land after the gutter; erasing a line redraws it.
 *
 * Kept: colours and attributes (rebuilt from a parsed state, so concealed text, SGR 8, and text
 * drawn in its own background colour come out visible), moves along the line, erasing to the
 * right, and moving up and down only over the rows the replay itself drew. Dropped: erasing
 * the display (`CSI 2J`, `3J`, `1J`), absolute rows (`CUP`, `HVP`, `VPA`), scroll regions and
 * scrolling, inserting and deleting lines, saving and restoring the cursor, the alternate
 * screen, RIS, charset switches and other modes. Escaped visibly, as before: OSC (titles,
 * links, clipboard), DCS/APC/PM/SOS strings and device or window queries. Pure: state only.
 */

import { displayWidth, truncateDisplay } from "./display-width.js";
import { escapeLoose, SEQUENCE, terminalLine } from "./terminal-text.js";

export interface ReplayOptions {
  /** The task whose terminal this is: named in the header and in every line's gutter. */
  task: string;
  run?: string;
  /** The person's terminal width (columns). */
  columns: number;
}

const CSI_PARTS = /^(?:\u001b\[|\u009b)([\u0030-\u003f]*)([\u0020-\u002f]*)([\u0040-\u007e]?)$/u;
const TOKEN = /[\u0020-\u007e]+|\r\n|[\u0007\b\t\n\r]|[^\u0020-\u007e\u0007\b\t\n\r]+/gu;
const DIM = "\u001b[2m";
const RESET = "\u001b[0m";

let segmenter: Intl.Segmenter | undefined;

export class TerminalReplay {
  private readonly label: string;
  private readonly gutter: number;
  private readonly avail: number;
  /** Column within the agent's part of the line (after the gutter), 0-based. */
  private col = 0;
  /** Row relative to the replay's first row, and the lowest row the replay has drawn. */
  private row = 0;
  private bottom = 0;
  private readonly sgr = new Sgr();

  constructor(private readonly opts: ReplayOptions) {
    const name = truncateDisplay(terminalLine(opts.task), 24);
    this.label = `${name} │ `;
    this.gutter = displayWidth(this.label);
    this.avail = Math.max(10, (opts.columns || 80) - this.gutter);
  }

  /** The header line, the terminal's autowrap off, and the first gutter. */
  start(): string {
    const run = this.opts.run ? ` (run ${terminalLine(this.opts.run)})` : "";
    const name = terminalLine(this.opts.task);
    return `${RESET}── ${name}: the agent's terminal${run}, replayed; every line of it starts with "${this.label.trimEnd()}" ──\r\n\u001b[?7l${this.prefix()}`;
  }

  /** Below everything the replay drew: a closing line, colours reset, autowrap back on. */
  end(): string {
    const down = this.bottom > this.row ? `\u001b[${this.bottom - this.row}B` : "";
    return `${down}${RESET}\u001b[?7h\r\n── end of ${terminalLine(this.opts.task)}'s terminal ──\r\n`;
  }

  /** A piece of the stream (whole sequences: the caller cuts at line ends). */
  write(text: string): string {
    let out = "";
    let last = 0;
    for (const m of text.matchAll(SEQUENCE)) {
      const at = m.index as number;
      out += this.text(escapeLoose(text.slice(last, at)));
      out += this.sequence(m[0]);
      last = at + m[0].length;
    }
    return out + this.text(escapeLoose(text.slice(last)));
  }

  private prefix(): string {
    return `${RESET}${DIM}${this.label}${RESET}${this.sgr.render()}`;
  }

  private newline(): string {
    this.row++;
    this.bottom = Math.max(this.bottom, this.row);
    this.col = 0;
    return `\r\n${this.prefix()}`;
  }

  private carriageReturn(): string {
    this.col = 0;
    return `\r\u001b[${this.gutter + 1}G`;
  }

  private text(text: string): string {
    let out = "";
    for (const [token] of text.matchAll(TOKEN)) {
      if (token === "\n") out += this.newline();
      else if (token === "\r") out += this.carriageReturn();
      else if (token === "\r\n") out += this.carriageReturn() + this.newline();
      else if (token === "\u0007") out += token;
      else if (token === "\b") {
        if (this.col > 0) {
          this.col--;
          out += "\b";
        }
      } else if (token === "\t")
        out += this.column(Math.floor((this.col + this.gutter) / 8) * 8 + 8 - this.gutter);
      else if (/^[\u0020-\u007e]/.test(token)) out += this.ascii(token);
      else out += this.wide(token);
    }
    return out;
  }

  private ascii(run: string): string {
    let out = "";
    let rest = run;
    while (rest.length > 0) {
      if (this.col >= this.avail) out += this.newline();
      const take = rest.slice(0, this.avail - this.col);
      out += take;
      this.col += take.length;
      rest = rest.slice(take.length);
    }
    return out;
  }

  private wide(run: string): string {
    segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
    let out = "";
    for (const { segment } of segmenter.segment(run)) {
      const w = displayWidth(segment);
      if (w > 0 && this.col + w > this.avail) out += this.newline();
      out += segment;
      this.col += w;
    }
    return out;
  }

  /** Move to a column of the agent's part of the line (0-based), clamped to it. */
  private column(c: number): string {
    this.col = Math.max(0, Math.min(c, this.avail - 1));
    return `\u001b[${this.col + this.gutter + 1}G`;
  }

  private up(n: number): string {
    const m = Math.min(n, this.row);
    this.row -= m;
    return m > 0 ? `\u001b[${m}A` : "";
  }

  private down(n: number): string {
    const m = Math.min(n, this.bottom - this.row);
    this.row += m;
    return m > 0 ? `\u001b[${m}B` : "";
  }

  private sequence(seq: string): string {
    const csi = CSI_PARTS.exec(seq);
    if (csi) return this.csi(seq, csi[1] ?? "", csi[2] ?? "", csi[3] ?? "");
    // OSC, DCS, APC, PM, SOS strings: shown escaped, so the person sees something was there.
    if (/^(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])/u.test(seq))
      return this.text(terminalLine(seq));
    if (seq === "\u001bD") return this.newline();
    if (seq === "\u001bE") return this.carriageReturn() + this.newline();
    if (seq === "\u001bM") return this.up(1);
    // RIS, save/restore cursor, DECALN, charsets, keypad modes: layout outside the replay's
    // own rows, or a charset that would redraw the gutter as other glyphs. Dropped.
    return "";
  }

  private csi(seq: string, params: string, inter: string, final: string): string {
    const privateMode = /^[<=>?]/.test(params);
    // Queries whose answers a terminal types into the person's shell: shown, never sent.
    if (inter.includes("$") || /[cnt]/.test(final)) return this.text(terminalLine(seq));
    if (final === "" || inter !== "") return "";
    if (privateMode) return /^\?25$/.test(params) && (final === "h" || final === "l") ? seq : "";
    if (final === "m") return /^[\d;:]*$/.test(params) ? this.sgr.apply(params) : "";
    const n = Math.max(1, Number.parseInt(params.split(";")[0] || "1", 10) || 1);
    const p0 = Number.parseInt(params.split(";")[0] || "0", 10) || 0;
    switch (final) {
      case "A":
        return this.up(n);
      case "B":
        return this.down(n);
      case "C":
        return this.column(this.col + n);
      case "D":
        return this.column(this.col - Math.min(n, this.col));
      case "E":
        return this.down(n) + this.carriageReturn();
      case "F":
        return this.up(n) + this.carriageReturn();
      case "G":
      case "`":
        return this.column(n - 1);
      case "K":
        // Erasing to the left or the whole line erases the gutter too: it is drawn again.
        return p0 === 0
          ? "\u001b[K"
          : `\u001b[${p0 === 1 ? 1 : 2}K\r${this.prefix()}\u001b[${this.col + this.gutter + 1}G`;
      case "J":
        // Erase below only: the rows below are the replay's own (or empty); above is not.
        if (p0 !== 0) return "";
        this.bottom = this.row;
        return "\u001b[J";
      case "X":
      case "@":
      case "P":
        return `\u001b[${n}${final}`;
      default:
        return "";
    }
  }
}

/**
 * SGR state, rebuilt whole on every change: what a sequence sets is parsed into attributes
 * and written back from them, so concealment never reaches the terminal and a foreground equal
 * to the background is dropped (the text shows in its colour on the default background).
 */
class Sgr {
  private attrs = new Map<string, string>();

  render(): string {
    const fg = this.attrs.get("fg");
    const bg = this.attrs.get("bg");
    const out: string[] = [];
    for (const [key, code] of this.attrs) {
      if (key === "bg" && bg !== undefined && colourOf(bg) === colourOf(fg ?? "")) continue;
      out.push(code);
    }
    return out.length > 0 ? `\u001b[0;${out.join(";")}m` : "\u001b[0m";
  }

  apply(params: string): string {
    const ps = params === "" ? ["0"] : params.split(";");
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i] ?? "";
      const head = Number.parseInt(p.split(":")[0] || "0", 10);
      if ((head === 38 || head === 48 || head === 58) && !p.includes(":")) {
        // 38;5;n and 38;2;r;g;b take the parameters after them.
        const take = ps[i + 1] === "5" ? 2 : ps[i + 1] === "2" ? 4 : 0;
        const code = [p, ...ps.slice(i + 1, i + 1 + take)].join(";");
        i += take;
        if (take > 0 && /^[\d;]+$/.test(code)) this.set(head === 38 ? "fg" : head === 48 ? "bg" : "ul", code);
        continue;
      }
      this.one(head, p);
    }
    return this.render();
  }

  private set(key: string, code: string): void {
    this.attrs.set(key, code);
  }

  private one(n: number, p: string): void {
    const a = this.attrs;
    if (n === 0) a.clear();
    else if (n === 1 || n === 2) a.set(`i${n}`, String(n));
    else if (n === 22) {
      a.delete("i1");
      a.delete("i2");
    } else if (n === 3 || n === 4 || n === 5 || n === 6 || n === 7 || n === 9 || n === 21 || n === 53) {
      const key = n === 21 ? "4" : n === 6 ? "5" : String(n);
      a.set(key, /^[\d:]+$/.test(p) ? p : String(n));
    } else if (n === 23 || n === 24 || n === 25 || n === 27 || n === 29 || n === 55) {
      a.delete(n === 55 ? "53" : String(n - 20));
    } else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) a.set("fg", String(n));
    else if (n === 39) a.delete("fg");
    else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) a.set("bg", String(n));
    else if (n === 49) a.delete("bg");
    else if (n === 59) a.delete("ul");
    // 8 (conceal), 28 (reveal) and anything unknown: nothing to keep.
  }
}

/** One name per colour, foreground or background, so `31` and `41` and `38;5;1` compare equal. */
function colourOf(code: string): string {
  const parts = code.split(";").map((x) => Number.parseInt(x, 10));
  const [head = -1, kind, ...rest] = parts;
  if (head >= 30 && head <= 37) return `c${head - 30}`;
  if (head >= 40 && head <= 47) return `c${head - 40}`;
  if (head >= 90 && head <= 97) return `c${head - 90 + 8}`;
  if (head >= 100 && head <= 107) return `c${head - 100 + 8}`;
  if (kind === 5) return `c${rest[0]}`;
  if (kind === 2) return `rgb${rest.join(",")}`;
  return code;
}
