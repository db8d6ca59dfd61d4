import { describe, expect, it } from "vitest";
import { tamperedNote } from "../../src/core/tampered-note.js";

describe("tamperedNote", () => {
  it("agrees with one file or several", () => {
    expect(tamperedNote([])).toBe("");
    expect(tamperedNote(["package.json"])).toBe(
      "\n\nNote: package.json differs from the base; verification always uses the base's version.",
    );
    expect(tamperedNote(["package.json", "verify.sh"])).toContain(
      "package.json, verify.sh differ from the base",
    );
  });
});
