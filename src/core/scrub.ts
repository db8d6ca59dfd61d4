/**
 * Response scrubbing for masked secrets: every real value, in the encodings a host commonly
 * echoes it in, replaced by its stand-in (in the same encoding) in a byte stream cut into
 * arbitrary chunks. Pure: no I/O. Uses Node's global Buffer for its native search.
 */

/** One byte pattern and what replaces it. */
export interface ScrubPattern {
  find: Buffer;
  replace: Buffer;
}

/** A masked secret's real value and the stand-in the agent holds for it. */
export interface ScrubPair {
  real: string;
  standIn: string;
}

/** Shortest base64 run (characters) that is replaced: shorter ones would hit ordinary text. */
const MIN_BASE64_CORE = 8;

/**
 * The characters of base64(k bytes + value) whose 6 bits all come from the value: for each of
 * the 3 alignments a value can have inside a longer base64 text, the part that is the same
 * whatever surrounds it. The 2-4 bits at each end that share a character with a neighbour are
 * not covered (see the limits in docs/isolation.md).
 */
export function base64Cores(value: Buffer): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), value]).toString("base64");
    const first = Math.ceil((8 * k) / 6);
    const end = Math.floor((8 * (k + value.length)) / 6);
    out.push(enc.slice(first, end));
  }
  return out;
}

function hex4(c: string, upper: boolean): string {
  const h = (c.codePointAt(0) as number).toString(16).padStart(4, "0");
  return `\\u${upper ? h.toUpperCase() : h}`;
}

/** The value as JSON encoders write it inside a string: plain, `\/`, \u escapes (PHP, Go). */
function jsonForms(s: string): string[] {
  const base = JSON.stringify(s).slice(1, -1);
  const forms: string[] = [];
  for (const slash of [false, true]) {
    const b = slash ? base.replace(/\//g, "\\/") : base;
    forms.push(b);
    for (const upper of [false, true]) {
      // Non-ASCII as UTF-16 units, and Go's HTML-safe <, >, &.
      let escaped = "";
      for (const ch of b) {
        const code = ch.codePointAt(0) as number;
        if (code > 0xffff) {
          escaped += ch
            .split("")
            .map((u) => hex4(u, upper))
            .join("");
        } else escaped += code > 0x7e || ch === "<" || ch === ">" || ch === "&" ? hex4(ch, upper) : ch;
      }
      forms.push(escaped);
    }
  }
  return forms;
}

/** The value percent-encoded: upper and lower hex, and as a form field (space as +). */
function urlForms(s: string): string[] {
  const upper = encodeURIComponent(s);
  return [
    upper,
    upper.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    new URLSearchParams({ v: s }).toString().slice(2),
  ];
}

/**
 * The patterns for one secret: its value plain, URL-encoded, JSON-escaped, and the cores of its
 * base64 and base64url at each alignment, each replaced by the same encoding of the stand-in.
 */
export function secretVariants({ real, standIn }: ScrubPair): ScrubPattern[] {
  const out: ScrubPattern[] = [];
  const add = (find: string, replace: string) => {
    if (find.length > 0 && find !== replace)
      out.push({ find: Buffer.from(find), replace: Buffer.from(replace) });
  };
  add(real, standIn);
  const textForms = (f: (s: string) => string[]) => {
    const r = f(real);
    const s = f(standIn);
    r.forEach((x, i) => {
      add(x, s[i] as string);
    });
  };
  textForms(urlForms);
  textForms(jsonForms);
  const r64 = base64Cores(Buffer.from(real));
  const s64 = base64Cores(Buffer.from(standIn));
  r64.forEach((core, k) => {
    if (core.length < MIN_BASE64_CORE) return;
    const rep = s64[k] as string;
    add(core, rep);
    add(core.replace(/\+/g, "-").replace(/\//g, "_"), rep.replace(/\+/g, "-").replace(/\//g, "_"));
  });
  return out;
}

/** The patterns of every secret, one per distinct byte string, longest first. */
export function scrubPatterns(pairs: readonly ScrubPair[]): ScrubPattern[] {
  const seen = new Map<string, ScrubPattern>();
  for (const pair of pairs) {
    if (pair.real.length === 0) continue;
    for (const p of secretVariants(pair)) {
      const key = p.find.toString("latin1");
      if (!seen.has(key)) seen.set(key, p);
    }
  }
  return [...seen.values()].sort((a, b) => b.find.length - a.find.length);
}

/** Whether scrubbing can never change a body's length (so a Content-Length may be kept). */
export function lengthPreserving(patterns: readonly ScrubPattern[]): boolean {
  return patterns.every((p) => p.find.length === p.replace.length);
}

/**
 * A stream of bytes with every pattern replaced, wherever chunk boundaries fall. Matching is
 * left to right, the earliest start first and the longest pattern at one start; a replacement is
 * never scanned again. Only a tail that could still grow into a pattern is held back, so a
 * stream (server-sent events) is not delayed when its chunks end in ordinary text.
 */
export class StreamScrubber {
  private carry: Buffer = Buffer.alloc(0);
  private readonly maxLen: number;
  private readonly firstBytes = new Uint8Array(256);

  constructor(private readonly patterns: readonly ScrubPattern[]) {
    this.maxLen = Math.max(0, ...patterns.map((p) => p.find.length));
    for (const p of patterns) this.firstBytes[p.find[0] as number] = 1;
  }

  /** The scrubbed bytes that can be released now. */
  push(chunk: Uint8Array): Buffer {
    if (this.patterns.length === 0) return Buffer.from(chunk);
    // A view, not a copy, when nothing is carried: most chunks hold no pattern at all.
    const view = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const work = this.carry.length > 0 ? Buffer.concat([this.carry, view]) : view;
    const { out, held } = this.scan(work, false);
    this.carry = held;
    return out;
  }

  /** What is left at the end of the stream. */
  end(): Buffer {
    const work = this.carry;
    this.carry = Buffer.alloc(0);
    return this.patterns.length === 0 ? work : this.scan(work, true).out;
  }

  private scan(work: Buffer, final: boolean): { out: Buffer; held: Buffer } {
    const parts: Buffer[] = [];
    const next = this.patterns.map((p) => work.indexOf(p.find));
    let pos = 0;
    for (;;) {
      let best = -1;
      for (let i = 0; i < next.length; i++) {
        const at = next[i] as number;
        if (at < 0) continue;
        const b = best < 0 ? -1 : (next[best] as number);
        // Patterns are sorted longest first, so the first at the earliest start is the longest.
        if (best < 0 || at < b) best = i;
      }
      if (best < 0) break;
      const at = next[best] as number;
      // A pattern starting here or before, cut by the chunk's end, might still complete with the
      // next chunk (and would win, starting first or being longer): wait for it.
      if (!final && work.length - at < this.maxLen) {
        const held = this.heldFrom(work, pos);
        if (held <= at) {
          parts.push(work.subarray(pos, held));
          return { out: Buffer.concat(parts), held: Buffer.from(work.subarray(held)) };
        }
      }
      const p = this.patterns[best] as ScrubPattern;
      parts.push(work.subarray(pos, at), p.replace);
      pos = at + p.find.length;
      for (let i = 0; i < next.length; i++) {
        if ((next[i] as number) >= 0 && (next[i] as number) < pos)
          next[i] = work.indexOf((this.patterns[i] as ScrubPattern).find, pos);
      }
    }
    const hold = final ? work.length : this.heldFrom(work, pos);
    parts.push(work.subarray(pos, hold));
    const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    return { out, held: Buffer.from(work.subarray(hold)) };
  }

  /** The first index from which the rest of `work` is a proper prefix of some pattern (or its length). */
  private heldFrom(work: Buffer, pos: number): number {
    for (let i = Math.max(pos, work.length - (this.maxLen - 1)); i < work.length; i++) {
      if (!this.firstBytes[work[i] as number]) continue;
      const rest = work.length - i;
      if (this.patterns.some((p) => p.find.length > rest && work.compare(p.find, 0, rest, i) === 0)) return i;
    }
    return work.length;
  }
}

/** A whole string (a header value, read as bytes in latin1 as Node gives it) scrubbed. */
export function scrubString(value: string, patterns: readonly ScrubPattern[]): string {
  if (patterns.length === 0) return value;
  return scrubBytes(Buffer.from(value, "latin1"), patterns).toString("latin1");
}

/** Bytes scrubbed in one piece. */
export function scrubBytes(bytes: Uint8Array, patterns: readonly ScrubPattern[]): Buffer {
  const s = new StreamScrubber(patterns);
  return Buffer.concat([s.push(bytes), s.end()]);
}
