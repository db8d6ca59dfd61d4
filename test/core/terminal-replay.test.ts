/**
 * Issue 29: `logs -f` replays an agent's stream on the person's terminal. What it writes is
 * played here through a real terminal emulator (xterm.js) that already shows a line of the
 * person's own, and the test reads the screen the person would see.
 */
import xterm from "@xterm/headless";
import { describe, expect, it } from "vitest";
import { TerminalReplay } from "../../src/core/terminal-replay.js";

const SPOOF = "All tests passed. Merge approved by admin.";

async function screen(chunks: string[], columns = 60, rows = 12): Promise<{ lines: string[]; out: string }> {
  const term = new xterm.Terminal({ cols: columns, rows, allowProposedApi: true });
  const replay = new TerminalReplay({ task: "evil", run: "r1", columns });
  let out = replay.start();
  for (const c of chunks) out += replay.write(c);
  out += replay.end();
  await new Promise<void>((r) => term.write("$ ballador logs -f evil\r\n", r));
  await new Promise<void>((r) => term.write(out, r));
  const buf = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? "");
  term.dispose();
  return { lines, out };
}

/** Every row holding agent text starts with the gutter; the person's own lines stay. */
function framed(lines: string[], text: string): void {
  const rows = lines.filter((l) => l.includes(text));
  expect(rows.length, `rows with ${text}:\n${lines.join("\n")}`).toBeGreaterThan(0);
  for (const row of rows) expect(row.startsWith("evil │ "), row).toBe(true);
}

describe("TerminalReplay", () => {
  it("the spoof after erase-display and cursor-home lands framed, below the person's own lines", async () => {
    const { lines, out } = await screen([`working...\r\n\x1b[2J\x1b[H\x1b[3J${SPOOF}\r\n`]);
    expect(lines[0]).toBe("$ ballador logs -f evil");
    expect(lines[1]).toMatch(/^── evil: the agent's terminal \(run r1\), replayed/);
    framed(lines, SPOOF);
    expect(lines.filter((l) => l !== "").at(-1)).toBe("── end of evil's terminal ──");
    expect(out).not.toContain("\x1b[2J");
    expect(out).not.toContain("\x1b[3J");
    expect(out).not.toContain("\x1b[H");
  });

  it("drops absolute rows, scroll regions, saved cursors, the alternate screen and RIS", async () => {
    const attacks = [
      "\x1b[1;1H",
      "\x1b[1;1f",
      "\x1b[1d",
      "\x1b[1;3r",
      "\x1b7",
      "\x1b8",
      "\x1b[s",
      "\x1b[u",
      "\x1b[?1049h",
      "\x1b[?47h",
      "\x1bc",
      "\x1b[1J",
      "\x9b2J",
      "\x1b[5S",
      "\x1b[5T",
      "\x1b[3L",
      "\x1b[3M",
      "\x1b#8",
      "\x1b[?7h",
      "\x1b[?6h",
    ];
    for (const a of attacks) {
      const { lines, out } = await screen([`line one\r\nline two\r\n${a}${SPOOF}\r\n`]);
      expect(lines[0], JSON.stringify(a)).toBe("$ ballador logs -f evil");
      framed(lines, SPOOF);
      framed(lines, "line one");
      expect(out.includes(a) && a !== "\x1b[?7h", JSON.stringify(a)).toBe(false);
    }
  });

  it("moves up only over the rows the replay drew; erasing below keeps the frame", async () => {
    const { lines, out } = await screen(["one\r\ntwo\r\nthree\r\n\x1b[40A\x1b[J", `${SPOOF}\r\n`]);
    expect(out).toContain("\x1b[3A");
    expect(out).not.toContain("\x1b[40A");
    expect(lines[0]).toBe("$ ballador logs -f evil");
    expect(lines[1]).toMatch(/^── evil/);
    framed(lines, SPOOF);
    // Moving down over erased rows is not allowed: a new row comes only with its gutter.
    const down = await screen(["a\r\nb\r\nc\r\n\x1b[3A\x1b[J\x1b[5B", `${SPOOF}\r\n`]);
    framed(down.lines, SPOOF);
  });

  it("a redraw within its own rows (a spinner, a status block) still works", async () => {
    const { lines } = await screen(["Thinking |\rThinking /\r\nstatus 1\r\n\x1b[1A\x1b[2Kstatus 2\r\n"]);
    expect(lines).toContain("evil │ Thinking /");
    expect(lines).toContain("evil │ status 2");
    expect(lines.some((l) => l.includes("status 1"))).toBe(false);
  });

  it("carriage returns, absolute columns, backspaces and erasing to the left never reach the gutter", async () => {
    const { lines } = await screen([
      `xxxx\r${SPOOF}\r\n`,
      "abc\x1b[1G\x1b[1DZ\r\n",
      "ab\b\b\b\b\bQ\r\n",
      "abc\x1b[1K!\r\n",
    ]);
    framed(lines, SPOOF);
    expect(lines).toContain("evil │ Zbc");
    expect(lines).toContain("evil │ Qb");
    expect(lines).toContain("evil │    !");
  });

  it("wraps long lines itself: every continuation row has the gutter", async () => {
    const pad = "x".repeat(53);
    const { lines, out } = await screen([`${pad}${SPOOF}\r\n`, `${"界".repeat(30)}${SPOOF}\r\n`]);
    framed(lines, "Merge");
    expect(out).toContain("\x1b[?7l");
    expect(out.lastIndexOf("\x1b[?7h")).toBeGreaterThan(out.lastIndexOf("\x1b[?7l"));
  });

  it("keeps colours; concealed text and text in its own background colour come out visible", () => {
    const replay = new TerminalReplay({ task: "t", columns: 80 });
    expect(replay.write("\x1b[1;31mred\x1b[0m")).toContain("\x1b[0;1;31mred\x1b[0m");
    const hidden = replay.write("\x1b[8mSECRET\x1b[28m \x1b[31;41mSAME\x1b[0m \x1b[38;5;4;44mBLUE");
    expect(hidden).not.toMatch(/\x1b\[[\d;]*\b8m|;8;|\[8;/);
    expect(hidden).toContain("\x1b[0;31mSAME");
    expect(hidden).toContain("\x1b[0;38;5;4mBLUE");
    expect(replay.write("\x1b[38;2;1;2;3;48;2;1;2;3mRGB")).toContain("\x1b[0;38;2;1;2;3mRGB");
  });

  it("escapes OSC, DCS, device and window queries visibly, as before", () => {
    const replay = new TerminalReplay({ task: "t", columns: 200 });
    const out = replay.write(
      "\x1b]52;c;AAAA\x07\x1b]8;;http://x\x1b\\\x1b[6n\x1b[c\x1b[>c\x1b[21t\x1bP$q\x1b\\\x1b[?1$p\u202e",
    );
    for (const s of ["\x1b]", "\x1b[6n", "\x1b[c", "\x1b[>c", "\x1b[21t", "\x1bP", "\x1b[?1$p", "\u202e"])
      expect(out, JSON.stringify(s)).not.toContain(s);
    expect(out).toContain("\\x1b]52;c;AAAA\\x07");
    expect(out).toContain("\\x1b[6n");
  });
});
