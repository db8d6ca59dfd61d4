import { describe, expect, it } from "vitest";
import {
  attemptPrompt,
  changesOutside,
  conductorArgv,
  conductorBaseEnv,
  conductorRunId,
  shownCommand,
} from "../../src/core/conductor-session.js";

describe("the headless conductor session", () => {
  it("names a run by kind, label, time and random letters", () => {
    expect(conductorRunId("plan", "0001-x", new Date("2024-05-06T07:08:09.123Z"), "ab12")).toBe(
      "plan-0001-x-20240506-070809-ab12",
    );
  });

  it("passes only the basics of the person's environment", () => {
    const env = conductorBaseEnv(
      { PATH: "/bin", TERM: "dumb", USER: "me", TZ: "", SECRET: "x", BALLADOR_STATE_DIR: "/s" },
      "/h",
      "/t",
    );
    expect(env).toEqual({
      PATH: "/bin",
      HOME: "/h",
      TMPDIR: "/t",
      TERM: "xterm-256color",
      LANG: "C.UTF-8",
      USER: "me",
    });
    expect(conductorBaseEnv({}, "/h", "/t").PATH).toBe("/usr/local/bin:/usr/bin:/bin");
  });

  it("fills the command's placeholders, and never shows the prompt in the record", () => {
    const command = ["agent", "-p", "{prompt}", "--file", "{prompt_file}", "--cwd", "{worktree}", "{task}"];
    const fill = { prompt: "do it", promptFile: "/t/p.md", root: "/r", id: "plan-1" };
    expect(conductorArgv(command, { ...fill, promptBy: "arg" })).toEqual([
      "agent",
      "-p",
      "do it",
      "--file",
      "/t/p.md",
      "--cwd",
      "/r",
      "plan-1",
    ]);
    expect(conductorArgv(command, { ...fill, promptBy: "stdin" })[2]).toBe("");
    expect(shownCommand(["/usr/bin/agent", "-p", "{prompt}"])).toBe("/usr/bin/agent -p <prompt>");
  });

  it("sends the problems back; an agent that cannot resume gets the first prompt again", () => {
    expect(attemptPrompt(1, 3, "FIRST", [], "parts/x", true)).toBe("FIRST");
    const resumed = attemptPrompt(2, 3, "FIRST", ["bad"], "parts/x", true);
    expect(resumed).toContain("attempt 2 of 3");
    expect(resumed).toContain("- bad");
    expect(resumed.startsWith("FIRST")).toBe(false);
    expect(attemptPrompt(2, 3, "FIRST", ["bad"], "parts/x", false)).toBe(`FIRST\n${resumed}`);
  });

  it("keeps the changes outside the writable place and Ballador's state", () => {
    const porcelain = " M src/a.ts\n?? parts/x/a.md\n?? parts/x\n?? parts/xy.md\n?? .ballador/state/runs/1\n";
    expect([...changesOutside(porcelain, "parts/x", ".ballador/state")]).toEqual([
      " M src/a.ts",
      "?? parts/xy.md",
    ]);
    expect([...changesOutside("?? a\n", "out", "")]).toEqual(["?? a"]);
  });
});
