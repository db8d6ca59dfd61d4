import { describe, expect, it } from "vitest";
import { verifiedByNothing } from "../../src/core/unverified.js";

describe("verifiedByNothing: the newest verification Ballador ran had no command", () => {
  it.each([
    ["no verification yet", [], false],
    ["a clean one with no command", [{ kind: "clean", command: null }], true],
    ["a clean one with a command", [{ kind: "clean", command: "npm test" }], false],
    // The agent's own gate never decides: the clean verification after it does.
    [
      "a gate after an unverified clean one",
      [
        { kind: "clean", command: null },
        { kind: "gate", command: "npm test" },
      ],
      true,
    ],
    [
      "verified later (a verify command set, then a retry)",
      [
        { kind: "clean", command: null },
        { kind: "clean", command: "npm test" },
      ],
      false,
    ],
    [
      "merged with --unverified",
      [
        { kind: "clean", command: null },
        { kind: "merge", command: null },
      ],
      true,
    ],
    [
      "merged, verified by the merge",
      [
        { kind: "clean", command: null },
        { kind: "merge", command: "make test" },
      ],
      false,
    ],
    ["only a gate", [{ kind: "gate", command: null }], false],
  ] as const)("%s", (_name, rows, want) => {
    expect(verifiedByNothing(rows)).toBe(want);
  });
});
