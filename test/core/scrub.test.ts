import { describe, expect, it } from "vitest";
import {
  base64Cores,
  lengthPreserving,
  type ScrubPair,
  type ScrubPattern,
  StreamScrubber,
  scrubBytes,
  scrubPatterns,
  scrubString,
} from "../../src/core/scrub.js";

// A value with every character class an encoder treats specially.
const REAL = 'sk-Real/Secret+Value=ü&<x>"q 42_abcdefghijklmnop';
const STAND_IN = "fake_value_0f8e2a54-1c3b-4d7e-9a6f-2b1c3d4e5f60";
const pair: ScrubPair = { real: REAL, standIn: STAND_IN };
const patterns = scrubPatterns([pair]);

/** Every form of the real value the scrubber must remove, by name. */
function encodings(value: string): Record<string, string> {
  return {
    plain: value,
    base64: Buffer.from(value).toString("base64"),
    base64url: Buffer.from(value).toString("base64url"),
    url: encodeURIComponent(value),
    urlLower: encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    form: new URLSearchParams({ v: value }).toString().slice(2),
    json: JSON.stringify(value).slice(1, -1),
    jsonSlash: JSON.stringify(value).slice(1, -1).replace(/\//g, "\\/"),
    jsonAscii: JSON.stringify(value)
      .slice(1, -1)
      .replace(
        /[^\x20-\x7e]|[<>&]/g,
        (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, "0")}`,
      ),
  };
}

/** Whether any form of the real value (or its base64 at any alignment) is in `text`. */
function leaks(text: string): string[] {
  const found = Object.entries(encodings(REAL))
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k);
  // Base64 inside a longer base64 text: decode every run at every alignment.
  for (const run of text.match(/[A-Za-z0-9+/_-]{8,}={0,2}/g) ?? []) {
    for (let skip = 0; skip < 4; skip++) {
      const decoded = Buffer.from(run.slice(skip).replace(/-/g, "+").replace(/_/g, "/"), "base64");
      if (decoded.includes(Buffer.from(REAL.slice(1, -1)))) found.push(`base64 run ${run}`);
    }
  }
  return found;
}

function chunked(input: Buffer, cuts: number[], p: readonly ScrubPattern[] = patterns): Buffer {
  const s = new StreamScrubber(p);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    out.push(s.push(input.subarray(from, cut)));
    from = cut;
  }
  out.push(s.end());
  return Buffer.concat(out);
}

describe("response scrubbing of masked secrets", () => {
  it("replaces each encoding of the value by the same encoding of the stand-in", () => {
    const real = encodings(REAL);
    const fake = encodings(STAND_IN);
    for (const [name, form] of Object.entries(real)) {
      const out = scrubBytes(Buffer.from(`<${form}>`), patterns).toString();
      expect(leaks(out), name).toEqual([]);
      if (!name.startsWith("base64")) expect(out, name).toBe(`<${fake[name]}>`);
    }
  });

  it("removes the value's base64 at every alignment inside a longer base64 text", () => {
    for (let k = 0; k < 6; k++) {
      for (const tail of ["", "x", "yz", "tail-bytes"]) {
        const raw = Buffer.concat([Buffer.from("p".repeat(k)), Buffer.from(REAL), Buffer.from(tail)]);
        for (const enc of ["base64", "base64url"] as const) {
          const text = `{"data":"${raw.toString(enc)}"}`;
          const out = scrubBytes(Buffer.from(text), patterns).toString();
          expect(leaks(out), `${enc} k=${k} tail=${tail}`).toEqual([]);
          // Equal lengths: the decoded text holds the stand-in, bar the bits shared with neighbours.
          const decoded = Buffer.from(out.slice(9, -2), enc).toString("latin1");
          expect(decoded).toContain(STAND_IN.slice(2, -2));
        }
      }
    }
  });

  it("base64Cores gives the characters that depend on the value alone", () => {
    const v = Buffer.from("0123456789abcdef");
    const [k0, k1, k2] = base64Cores(v);
    expect(Buffer.from(`${"A"}${k0}`.slice(1), "base64").toString()).toContain("0123456789abc");
    for (const prefix of ["", "a", "ab", "abc", "zzzz"]) {
      const enc = Buffer.concat([Buffer.from(prefix), v, Buffer.from("!")]).toString("base64");
      expect(
        [k0, k1, k2].some((c) => enc.includes(c as string)),
        prefix,
      ).toBe(true);
    }
  });

  it("finds the value split across chunks at every offset, with the same result as in one piece", () => {
    const body = Buffer.from(
      `start ${REAL} mid ${Object.values(encodings(REAL)).join(" | ")} end ${REAL}${REAL} ${encodings(REAL).base64}`,
    );
    const whole = scrubBytes(body, patterns);
    expect(leaks(whole.toString())).toEqual([]);
    for (let cut = 0; cut <= body.length; cut++) {
      expect(chunked(body, [cut]).equals(whole), `cut at ${cut}`).toBe(true);
    }
    // Two cuts around every position of the first value, and one byte at a time.
    const at = body.indexOf(REAL);
    for (let a = at - 2; a < at + REAL.length + 2; a++) {
      for (let b = a + 1; b < at + REAL.length + 3; b++) {
        expect(chunked(body, [a, b]).equals(whole), `cuts ${a},${b}`).toBe(true);
      }
    }
    const bytes = Array.from({ length: body.length - 1 }, (_, i) => i + 1);
    expect(chunked(body, bytes).equals(whole)).toBe(true);
  });

  it("holds back nothing when a chunk ends in ordinary text (server-sent events stay live)", () => {
    const s = new StreamScrubber(patterns);
    const event = Buffer.from('event: message\ndata: {"text":"hello"}\n\n');
    expect(s.push(event).equals(event)).toBe(true);
    // A chunk ending in the start of the value is held until the rest decides.
    const held = s.push(Buffer.from(`data: ${REAL.slice(0, 10)}`));
    expect(held.toString()).toBe("data: ");
    expect(s.push(Buffer.from(`${REAL.slice(10)}\n\n`)).toString()).toBe(`${STAND_IN}\n\n`);
    // A prefix that never completes is released at the end, unchanged.
    expect(s.push(Buffer.from(REAL.slice(0, 5))).length).toBe(0);
    expect(s.end().toString()).toBe(REAL.slice(0, 5));
  });

  it("scrubs several secrets at once and leaves everything else byte for byte", () => {
    const other: ScrubPair = {
      real: "ghp_0123456789abcdefABCDEF0123456789ab",
      standIn: "fake_value_11111111-2222-3333-4444-555555555555",
    };
    const p = scrubPatterns([pair, other]);
    const binary = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 256));
    const body = Buffer.concat([binary, Buffer.from(other.real), binary, Buffer.from(REAL), binary]);
    const out = scrubBytes(body, p);
    expect(out.includes(Buffer.from(other.real))).toBe(false);
    expect(out.includes(Buffer.from(REAL))).toBe(false);
    expect(out.subarray(0, 2048).equals(binary)).toBe(true);
    expect(scrubBytes(binary, p).equals(binary)).toBe(true);
  });

  it("says when scrubbing keeps lengths (a Content-Length may stay) and when it cannot", () => {
    const same = scrubPatterns([{ real: "A".repeat(20) + "bcdefghijk", standIn: "z".repeat(30) }]);
    expect(lengthPreserving(same)).toBe(true);
    expect(lengthPreserving(patterns)).toBe(false);
    expect(scrubPatterns([])).toEqual([]);
    expect(new StreamScrubber([]).push(Buffer.from("x")).toString()).toBe("x");
  });

  it("scrubs header values read as latin1 bytes", () => {
    const header = Buffer.from(`Bearer ${REAL}`).toString("latin1");
    expect(Buffer.from(scrubString(header, patterns), "latin1").toString()).toBe(`Bearer ${STAND_IN}`);
  });
});
