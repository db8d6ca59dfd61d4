import { describe, expect, it } from "vitest";
import { nowReadyLine } from "../../src/core/now-ready.js";

describe("nowReadyLine", () => {
  it("asks the person to launch only when no watcher conducts", () => {
    expect(nowReadyLine([], false)).toBeNull();
    expect(nowReadyLine(["a", "b"], false)).toBe("Now ready: a, b (ballador launch)");
    expect(nowReadyLine(["a"], true)).toBe("Now ready: a; the running `ballador launch --watch` starts it");
    expect(nowReadyLine(["a", "b"], true)).toBe(
      "Now ready: a, b; the running `ballador launch --watch` starts them",
    );
  });
});
