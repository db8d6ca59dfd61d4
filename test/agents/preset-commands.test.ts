/**
 * The command line of every built-in preset, as `ballador agents --json` shows it: one row per
 * preset (its mode and the words it runs, `{prompt}` where the prompt goes), so a change to how
 * an agent is started shows here. One entry per preset, each agent's two modes side by side.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo, parseJson } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

const COMMANDS: Record<string, { mode: string; command: string[] }> = {
  claude: { mode: "interactive", command: ["claude", "--dangerously-skip-permissions", "{prompt}"] },
  "claude-headless": {
    mode: "headless",
    command: ["claude", "-p", "--dangerously-skip-permissions", "{prompt}"],
  },
  codex: {
    mode: "interactive",
    command: ["codex", "--no-daemon", "--dangerously-bypass-approvals-and-sandbox", "{prompt}"],
  },
  "codex-headless": {
    mode: "headless",
    command: ["codex", "exec", "--dangerously-bypass-approvals-and-sandbox", "{prompt}"],
  },
  gemini: {
    mode: "interactive",
    command: ["gemini", "--yolo", "--skip-trust", "--prompt-interactive", "{prompt}"],
  },
  "gemini-headless": {
    mode: "headless",
    command: ["gemini", "--yolo", "--skip-trust", "--prompt", "{prompt}"],
  },
  opencode: { mode: "interactive", command: ["opencode", "--prompt", "{prompt}"] },
  "opencode-headless": { mode: "headless", command: ["opencode", "run", "--auto", "{prompt}"] },
  copilot: {
    mode: "interactive",
    command: ["copilot", "--yolo", "--no-auto-update", "--disable-client-telemetry", "-i", "{prompt}"],
  },
  "copilot-headless": {
    mode: "headless",
    command: [
      "copilot",
      "--yolo",
      "--no-auto-update",
      "--disable-client-telemetry",
      "--no-ask-user",
      "-p",
      "{prompt}",
    ],
  },
  qwen: { mode: "interactive", command: ["qwen", "--yolo", "--prompt-interactive", "{prompt}"] },
  "qwen-headless": { mode: "headless", command: ["qwen", "--yolo", "{prompt}"] },
  pi: { mode: "interactive", command: ["pi", "{prompt}"] },
  "pi-headless": { mode: "headless", command: ["pi", "-p", "{prompt}"] },
  cline: { mode: "interactive", command: ["cline", "--tui", "{prompt}"] },
  "cline-headless": { mode: "headless", command: ["cline", "{prompt}"] },
  kilo: { mode: "interactive", command: ["kilo", "--auto", "--prompt", "{prompt}"] },
  "kilo-headless": { mode: "headless", command: ["kilo", "run", "--auto", "{prompt}"] },
  droid: { mode: "interactive", command: ["droid", "--auto", "high", "{prompt}"] },
  "droid-headless": { mode: "headless", command: ["droid", "exec", "--skip-permissions-unsafe", "{prompt}"] },
  auggie: { mode: "interactive", command: ["auggie", "{prompt}"] },
  "auggie-headless": { mode: "headless", command: ["auggie", "--print", "{prompt}"] },
  amp: { mode: "interactive", command: ["amp", "--dangerously-allow-all", "{prompt}"] },
  "amp-headless": { mode: "headless", command: ["amp", "--dangerously-allow-all", "-x", "{prompt}"] },
  "cursor-agent": { mode: "interactive", command: ["cursor-agent", "--force", "--trust", "{prompt}"] },
  "cursor-agent-headless": {
    mode: "headless",
    command: ["cursor-agent", "-p", "--force", "--trust", "{prompt}"],
  },
};

describe("each preset's command line", () => {
  it("ballador agents --json shows, for both modes of every agent, the command the preset runs", async () => {
    const repo = await makeGitRepo();
    const r = await repo.run(["agents", "--json"], { env: { PATH: "/usr/bin:/bin", HOME: repo.parent } });
    const listed = parseJson<{ agents: Array<{ preset: string; mode: string; command: string[] }> }>(
      r,
    ).agents;
    const shown = Object.fromEntries(listed.map((a) => [a.preset, { mode: a.mode, command: a.command }]));
    for (const [preset, want] of Object.entries(COMMANDS)) expect(shown[preset], preset).toEqual(want);
    // Aider is wrapped (`sh -c`: done is reported when it exits 0); its own words follow.
    expect(shown.aider?.mode).toBe("headless");
    expect(shown.aider?.command.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(shown.aider?.command.slice(3)).toEqual([
      "aider",
      "--yes-always",
      "--restore-chat-history",
      "--message-file",
      "{prompt_file}",
    ]);
    // Every preset listed has its row here.
    expect(Object.keys(shown).sort()).toEqual([...Object.keys(COMMANDS), "aider"].sort());
  });
});
