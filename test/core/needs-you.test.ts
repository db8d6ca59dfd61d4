import { describe, expect, it } from "vitest";
import { boundAsked, DEFAULT_WAIT_PATTERN, MAX_ASKED, screenQuestion } from "../../src/core/needs-you.js";

describe("screenQuestion", () => {
  it("finds a question or a choice on the last line, and nothing while the agent prints work", () => {
    const q = (screen: string) => screenQuestion(screen, DEFAULT_WAIT_PATTERN);
    expect(q("building...\nOverwrite the config? [y/N] ")).toBe("Overwrite the config? [y/N]");
    expect(q("Which database should I use?\n\n")).toBe("Which database should I use?");
    expect(q("Apply the patch to src/a.ts\n(y/n)")).toBe("Apply the patch to src/a.ts\n(y/n)");
    expect(q("Press Enter to continue")).toBe("Press Enter to continue");
    expect(q("compiling 3 files\nran 12 tests, all passed")).toBeNull();
    expect(q("Is this right? I think so.\nwriting src/a.ts")).toBeNull();
    expect(q("")).toBeNull();
  });

  it("uses a preset's own pattern, and the default when the pattern does not compile", () => {
    expect(screenQuestion("│ > Type your message", "type your message")).toBe("│ > Type your message");
    expect(screenQuestion("Continue?", "([")).toBe("Continue?");
  });

  it("bounds what an agent asked", () => {
    expect(boundAsked(`${"x".repeat(2 * MAX_ASKED)}`)).toHaveLength(MAX_ASKED);
    expect(boundAsked(" a\r\nb ")).toBe("a\nb");
  });
});
