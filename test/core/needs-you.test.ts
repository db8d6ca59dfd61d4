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

  it("reports the question above a TUI's footer when the preset's pattern is that footer", () => {
    const copilot = [
      " $ Shell scripted step 1 1 line…",
      " ● Should the greeting be formal or casual?",
      " /tmp/w [⎇ master]",
      "────────",
      "❯",
      "────────",
      " ← open sidebar · Interactive · Allow All · / commands · ? help · tab next tab   claude-sonnet-4.5",
    ].join("\n");
    expect(screenQuestion(copilot, "/ commands · \\? help")).toBe("Should the greeting be formal or casual?");
    const qwen = [
      "  ◆︎ Should the greeting be formal or casual?",
      "────────",
      "* Type your message or @path/to/file",
      "────────",
      "  ➜ tw · git:(master) · claude-sonnet-4-5",
      "  YOLO mode (shift + tab to cycle)",
    ].join("\n");
    expect(screenQuestion(qwen, "^\\s*YOLO mode \\(shift \\+ tab to cycle\\)\\s*$")).toBe(
      "Should the greeting be formal or casual?",
    );
    // Working, the footer reads otherwise: no question.
    expect(
      screenQuestion(`${qwen}\n  Enter to steer · YOLO mode (shift + tab to cycle)`, "^\\s*YOLO mode"),
    ).toBeNull();
    // With no question above, the footer itself is what it shows.
    expect(screenQuestion("done.\n  YOLO mode (shift + tab to cycle)", "YOLO mode")).toBe(
      "YOLO mode (shift + tab to cycle)",
    );
  });

  it("bounds what an agent asked", () => {
    expect(boundAsked(`${"x".repeat(2 * MAX_ASKED)}`)).toHaveLength(MAX_ASKED);
    expect(boundAsked(" a\r\nb ")).toBe("a\nb");
  });
});
