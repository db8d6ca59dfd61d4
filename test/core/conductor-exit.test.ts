/** A failed conductor run is named by its exit and its last output, escaped. */
import { describe, expect, it } from "vitest";
import { conductorExitProblem } from "../../src/core/conductor-exit.js";

describe("conductorExitProblem", () => {
  it("is nothing for a clean exit or a timeout (reported on its own)", () => {
    expect(conductorExitProblem(0, false, "fine\n")).toBeNull();
    expect(conductorExitProblem(null, true, "")).toBeNull();
  });

  it("names the exit code and quotes the last lines, control sequences gone or escaped", () => {
    const log = "starting\nline a\n\x1b[31mAPI error: 401\x1b[0m\n\x1b]52;c;aGk=\x07bye\rBYE\x07\n\n";
    expect(conductorExitProblem(3, false, log)).toBe(
      'the conductor exited with code 3; its last output: "line a / API error: 401 / BYE\\x07"',
    );
  });

  it("says when it printed nothing, or was killed", () => {
    expect(conductorExitProblem(1, false, "")).toBe(
      "the conductor exited with code 1; its last output: (nothing)",
    );
    expect(conductorExitProblem(null, false, "x\n")).toBe(
      'the conductor was killed by a signal; its last output: "x"',
    );
  });

  it("keeps a long output to its end", () => {
    const p = conductorExitProblem(2, false, `${"y".repeat(2000)}END\n`) ?? "";
    expect(p.length).toBeLessThan(500);
    expect(p.endsWith('END"')).toBe(true);
  });
});
