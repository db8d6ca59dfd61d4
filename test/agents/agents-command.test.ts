import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentListed as Listed } from "../helpers/agent-clis.js";
import { cleanupTempDirs, parseJson, repoWithStandInAgent } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

describe("ballador agents", () => {
  it("lists every preset with its binary, version, mode, credentials, tested or not, and the line to add it", async () => {
    const { repo, env: found, bin } = await repoWithStandInAgent("codex", "codex-cli 9.8.7");
    await repo.write(
      ".ballador/config.yaml",
      "agents:\n  default: mine\n  profiles:\n    mine: { preset: codex }\n",
    );
    const env: NodeJS.ProcessEnv = { ...found, OPENAI_API_KEY: "sk-x" };

    const r = await repo.run(["agents", "--json"], { env });
    const listed = parseJson<{ agents: Listed[] }>(r).agents;
    const by = Object.fromEntries(listed.map((a) => [a.preset, a]));
    // Every built-in preset but the scripted agent of the demo and the tests.
    expect(Object.keys(by).sort()).toEqual([
      "aider",
      "amp",
      "amp-headless",
      "auggie",
      "auggie-headless",
      "claude",
      "claude-headless",
      "cline",
      "cline-headless",
      "codex",
      "codex-headless",
      "copilot",
      "copilot-headless",
      "cursor-agent",
      "cursor-agent-headless",
      "droid",
      "droid-headless",
      "gemini",
      "gemini-headless",
      "kilo",
      "kilo-headless",
      "opencode",
      "opencode-headless",
      "pi",
      "pi-headless",
      "qwen",
      "qwen-headless",
    ]);
    expect(by.codex).toMatchObject({
      binary: "codex",
      mode: "interactive",
      path: join(bin, "codex"),
      version: "codex-cli 9.8.7",
      credentials: ["OPENAI_API_KEY"],
      profiles: ["mine"],
      profileLines: ["agents:", "  profiles:", "    codex: { preset: codex }"],
    });
    expect(by["codex-headless"]?.mode).toBe("headless");
    expect(by.aider).toMatchObject({ path: null, tested: null });
    expect(by["cursor-agent"]).toMatchObject({ path: null, tested: null });
    expect(by.opencode?.tested).toMatch(/^OpenCode 1\.18\.33 .*its TUI in tmux/);
    for (const name of [
      "claude",
      "claude-headless",
      "codex",
      "codex-headless",
      "gemini",
      "opencode-headless",
      "copilot",
      "copilot-headless",
      "qwen",
      "qwen-headless",
      "droid-headless",
    ]) {
      expect(by[name]?.tested, name).toMatch(/real binary|test\/agents/);
    }
    // The key's value never appears.
    expect(r.stdout).not.toContain("sk-x");

    const human = await repo.run(["agents"], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/aider\s+headless\s+aider: not on PATH\s+OPENAI_API_KEY\s+untested/);
    expect(human.stdout).toMatch(
      /codex\s+interactive\s+codex codex-cli 9\.8\.7\s+OPENAI_API_KEY\s+tested\s+mine/,
    );
    expect(human.stdout).toContain("Install aider: pipx install aider-chat");
  });
});
