import { describe, expect, it } from "vitest";
import { PRESETS } from "../../src/adapters/agents/presets.js";
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

  it("reads Pi's and Cline's screens (captured from their TUIs) by their presets' footers", () => {
    const pi = PRESETS.pi?.waitPattern ?? "";
    const piScreen = (above: string[]) =>
      [
        " $ printf 'hello\\n' > hello.txt && git add hello.txt",
        ...above,
        "────────",
        "────────",
        "/tmp/w/asks-pi (ballador/asks-pi)",
        "↑20 ↓40 $0.001 0.0%/1.0M (auto)                              claude-opus-4-7 • medium",
      ].join("\n");
    expect(screenQuestion(piScreen([" Took 0.1s", " Should the greeting be formal or casual?"]), pi)).toBe(
      "Should the greeting be formal or casual?",
    );
    // Working, the footer is the same: only its spinner, which keeps the screen from going quiet,
    // tells working from waiting (the e2e test shows a waiting Pi read so).
    expect(screenQuestion(piScreen([" Elapsed 13.0s", " ⠹ Working..."]), pi)).toBe(
      "↑20 ↓40 $0.001 0.0%/1.0M (auto)                              claude-opus-4-7 • medium",
    );
    expect(
      screenQuestion("/tmp/w (main)\n↑1.2k ↓300 $0.020 12.5%/200k   claude-sonnet-4-5", pi),
    ).not.toBeNull();
    expect(screenQuestion("Is it done?\nran 12 tests, all passed", pi)).toBeNull();
    const cline = PRESETS.cline?.waitPattern ?? "";
    const clineScreen = [
      " * run_commands(printf 'hello\\n' > hello.txt)",
      "   ⎿",
      " * Should the greeting be formal or casual?",
      "────────",
      "❯ Ask anything...",
      "────────",
      " Claude Sonnet 4.5 (latest) ██████ (10) $0.00                       ○ Plan ● Act (Tab)",
      " asks-cline (ballador/asks-cline)",
      " ⏵⏵ Auto-approve all enabled (Shift+Tab)",
    ].join("\n");
    expect(screenQuestion(clineScreen, cline)).toBe("Should the greeting be formal or casual?");
    expect(screenQuestion(`${clineScreen}\n Plan mode`, cline)).toBeNull();
  });

  it("bounds what an agent asked", () => {
    expect(boundAsked(`${"x".repeat(2 * MAX_ASKED)}`)).toHaveLength(MAX_ASKED);
    expect(boundAsked(" a\r\nb ")).toBe("a\nb");
  });
});
