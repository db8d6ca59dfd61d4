/**
 * Progress on long steps: the words and the timing (src/core/progress.ts), and the CLI's writer
 * (src/cli/progress.ts) on a stream standing in for stderr, with a clock the test moves.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { progressWriter } from "../../src/cli/progress.js";
import {
  during,
  formatElapsed,
  progressDue,
  progressObject,
  progressText,
  spinnerFrame,
} from "../../src/core/progress.js";

describe("progress: words and timing", () => {
  it("says what it is doing and for how long", () => {
    expect(progressText("verifying the merged result: npm test", 12_400)).toBe(
      "verifying the merged result: npm test (12 s)",
    );
    expect(formatElapsed(0)).toBe("0 s");
    expect(formatElapsed(185_000)).toBe("3 min 05 s");
    expect(progressObject("merge.verify", "verifying", 12_000.4)).toEqual({
      progress: "merge.verify",
      message: "verifying",
      elapsedMs: 12_000,
    });
    expect(progressObject("merge.verify", "verifying", 12_000, true)).toMatchObject({ done: true });
  });

  it("is quiet for two seconds, then a terminal redraws each tick and a pipe gets a line every 10 s", () => {
    for (const mode of ["tty", "pipe", "json"] as const) expect(progressDue(mode, 1999, null)).toBe(false);
    expect(progressDue("pipe", 2000, null)).toBe(true);
    expect(progressDue("pipe", 5000, 2000)).toBe(false);
    expect(progressDue("json", 12_000, 2000)).toBe(true);
    expect(progressDue("tty", 2100, 2000)).toBe(true);
    expect(spinnerFrame(0)).not.toBe(spinnerFrame(100));
  });

  it("during ends the step when the work throws", async () => {
    const ended: string[] = [];
    const progress = (step: string) => ({ update() {}, end: () => ended.push(step) });
    await expect(
      during(progress, "x", "doing x", async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(ended).toEqual(["x"]);
  });
});

/** A stand-in for stderr: what was written, and whether it is a terminal. */
function stream(isTTY: boolean): { written: string[]; s: NodeJS.WriteStream } {
  const written: string[] = [];
  const s = {
    isTTY,
    columns: 80,
    write: (chunk: string) => {
      written.push(chunk);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { written, s };
}

describe("progress: the CLI's writer", () => {
  let now = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
  });
  afterEach(() => vi.useRealTimers());
  const advance = (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      now += 50;
      vi.advanceTimersByTime(50);
    }
  };

  it("a fast step prints nothing, in every mode", () => {
    for (const [json, tty] of [
      [false, false],
      [false, true],
      [true, false],
    ] as const) {
      const { written, s } = stream(tty);
      const step = progressWriter({ json, stream: s, now: () => now }).progress("merge.verify", "verifying");
      advance(1500);
      step.end();
      expect(written).toEqual([]);
    }
  });

  it("in a pipe: a line once past two seconds, then every ten, with the elapsed time", () => {
    const { written, s } = stream(false);
    const step = progressWriter({ json: false, stream: s, now: () => now }).progress(
      "merge.verify",
      "verifying the merged result: npm test",
    );
    advance(2500);
    expect(written).toEqual(["verifying the merged result: npm test (2 s)\n"]);
    step.update("verifying the merged result: npm test, still");
    advance(10_000);
    expect(written).toHaveLength(2);
    expect(written[1]).toBe("verifying the merged result: npm test, still (12 s)\n");
    step.end();
    advance(20_000);
    expect(written).toHaveLength(2);
  });

  it("with --json: NDJSON progress objects, and a done object when a shown step ends", () => {
    const { written, s } = stream(false);
    const step = progressWriter({ json: true, stream: s, now: () => now }).progress(
      "plan",
      "conductor planning",
    );
    advance(3000);
    step.end();
    const objects = written
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(objects[0]).toMatchObject({ progress: "plan", message: "conductor planning" });
    expect(objects[0].elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(objects.at(-1)).toMatchObject({ progress: "plan", done: true });
  });

  it("on a terminal: a spinner line redrawn in place, cleared at the end; untrusted text escaped", () => {
    const { written, s } = stream(true);
    const step = progressWriter({ json: false, stream: s, now: () => now }).progress(
      "update.verify",
      "verifying: evil\x1b[2J",
    );
    advance(2500);
    expect(written.length).toBeGreaterThan(1);
    for (const w of written) {
      expect(w.startsWith("\r\x1b[K")).toBe(true);
      expect(w).not.toContain("\n");
      expect(w).not.toContain("\x1b[2J");
    }
    expect(written.at(-1)).toContain("(2 s)");
    step.end();
    expect(written.at(-1)).toBe("\r\x1b[K");
  });
});
