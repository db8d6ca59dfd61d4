import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareAgentHome } from "../../src/adapters/agents/home.js";
import { UsageReader } from "../../src/adapters/agents/usage.js";
import { cleanupTempDirs } from "../helpers/cli.js";
import { homeSetting, profileOf, put } from "./home-setting.js";

afterEach(cleanupTempDirs);

const COPILOT_HEAD = "// User settings belong in settings.json.\n// This file is managed automatically.\n";
const copilotConfig = (path: string) =>
  JSON.parse(
    readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => !l.startsWith("//"))
      .join("\n"),
  );

describe("Copilot CLI's HOME", () => {
  it("carries the person's login and settings, trusts the worktree, and goes offline with a provider of their own", async () => {
    const s = await homeSetting({ COPILOT_PROVIDER_BASE_URL: "http://127.0.0.1:9/" });
    put(
      join(s.realHome, ".copilot", "config.json"),
      `${COPILOT_HEAD}${JSON.stringify({ copilotTokens: { "https://github.com:me": "gho_x" }, trustedFolders: ["/elsewhere"] })}`,
    );
    const theirHook = { hooks: [{ type: "command", command: "my-notifier" }] };
    put(
      join(s.realHome, ".copilot", "settings.json"),
      JSON.stringify({ model: "mine", hooks: { Stop: [theirHook] } }),
    );
    put(join(s.realHome, ".copilot", "mcp-config.json"), JSON.stringify({ mcpServers: { x: {} } }));
    put(join(s.realHome, ".config", "gh", "hosts.json"), "github.com: {oauth_token: gho_other}");
    put(join(s.realHome, ".ssh", "id_ed25519"), "KEY");
    const r = await prepareAgentHome(profileOf("copilot"), s.ctx);
    const config = copilotConfig(join(s.home, ".copilot", "config.json"));
    expect(readFileSync(join(s.home, ".copilot", "config.json"), "utf8").startsWith(COPILOT_HEAD)).toBe(true);
    expect(config.copilotTokens).toEqual({ "https://github.com:me": "gho_x" });
    expect(config.trustedFolders).toEqual(["/elsewhere", s.worktree]);
    // Their hooks stay; ballador hook is added for the events that say it waits or works again.
    const ours = { hooks: [{ type: "command", command: "ballador hook", timeout: 10 }] };
    expect(JSON.parse(readFileSync(join(s.home, ".copilot", "settings.json"), "utf8"))).toEqual({
      model: "mine",
      hooks: { Stop: [theirHook, ours], Notification: [ours], UserPromptSubmit: [ours], PreToolUse: [ours] },
    });
    expect(r.env).toMatchObject({ COPILOT_AUTO_UPDATE: "false", COPILOT_OFFLINE: "true" });
    // Nothing else of the person's: no MCP servers, no other tool's login, no keys.
    for (const other of [".copilot/mcp-config.json", ".config/gh/hosts.json", ".ssh/id_ed25519"])
      expect(() => readFileSync(join(s.home, other)), other).toThrow();
    // With GitHub's own routing (a login, no provider) it stays online.
    const t = await homeSetting({ COPILOT_GITHUB_TOKEN: "gho_y" });
    expect(
      (await prepareAgentHome(profileOf("copilot-headless"), t.ctx)).env.COPILOT_OFFLINE,
    ).toBeUndefined();
  });

  it("replaces a link the agent planted at its config.json instead of writing through it", async () => {
    const s = await homeSetting();
    const outside = join(s.dir, "outside.json");
    writeFileSync(outside, "{}");
    mkdirSync(join(s.home, ".copilot"), { recursive: true });
    symlinkSync(outside, join(s.home, ".copilot", "config.json"));
    await prepareAgentHome(profileOf("copilot"), s.ctx);
    expect(readFileSync(outside, "utf8")).toBe("{}");
    expect(copilotConfig(join(s.home, ".copilot", "config.json")).trustedFolders).toEqual([s.worktree]);
  });
});

describe("Qwen Code's HOME", () => {
  it("chooses the auth type from the key passed unless the person chose one, trusts the worktree, no telemetry", async () => {
    const s = await homeSetting({ ANTHROPIC_API_KEY: "sk-ant" });
    put(join(s.realHome, ".qwen", "QWEN.md"), "be brief");
    await prepareAgentHome(profileOf("qwen"), s.ctx);
    const settings = JSON.parse(readFileSync(join(s.home, ".qwen", "settings.json"), "utf8"));
    expect(settings.security.auth.selectedType).toBe("anthropic");
    expect(settings.privacy.usageStatisticsEnabled).toBe(false);
    expect(settings.telemetry.enabled).toBe(false);
    expect(settings.general.enableAutoUpdate).toBe(false);
    for (const event of ["Stop", "Notification", "UserPromptSubmit", "PreToolUse"])
      expect(settings.hooks[event], event).toEqual([
        { hooks: [{ type: "command", command: "ballador hook", timeout: 10 }] },
      ]);
    expect(JSON.parse(readFileSync(join(s.home, ".qwen", "trustedFolders.json"), "utf8"))).toEqual({
      [s.worktree]: "TRUST_FOLDER",
    });
    expect(readFileSync(join(s.home, ".qwen", "QWEN.md"), "utf8")).toBe("be brief");

    const t = await homeSetting({ OPENAI_API_KEY: "sk-o" });
    put(
      join(t.realHome, ".qwen", "settings.json"),
      JSON.stringify({ security: { auth: { selectedType: "gemini" } } }),
    );
    await prepareAgentHome(profileOf("qwen-headless"), t.ctx);
    const kept = JSON.parse(readFileSync(join(t.home, ".qwen", "settings.json"), "utf8"));
    expect(kept.security.auth.selectedType).toBe("gemini");
  });
});

describe("cost records of Copilot CLI and Qwen Code", () => {
  const SINCE = "2026-12-07T10:00:00.000Z";
  const copilotEvents = (cwd: string, calls: Array<[string, number, number]>) =>
    [
      JSON.stringify({ type: "session.start", data: { context: { cwd } }, timestamp: SINCE }),
      ...calls.map(([id, input, output]) =>
        JSON.stringify({
          type: "session.usage_record",
          data: { usage: { model: "m1", apiCallId: id, inputTokens: input, outputTokens: output } },
          timestamp: "2026-12-07T10:00:05.000Z",
        }),
      ),
      "",
    ].join("\n");

  it("counts the worktree's Copilot sessions only, each call once, and no forged number", async () => {
    const s = await homeSetting();
    const state = join(s.home, ".copilot", "session-state");
    put(
      join(state, "a", "events.jsonl"),
      copilotEvents(s.worktree, [
        ["c1", 10, 20],
        ["c1", 10, 20],
        ["c2", 5, -3],
      ]),
    );
    put(join(state, "b", "events.jsonl"), copilotEvents("/another/worktree", [["c3", 1000, 1000]]));
    // A link to a file elsewhere is not read.
    put(join(s.dir, "elsewhere.jsonl"), copilotEvents(s.worktree, [["c4", 500, 500]]));
    mkdirSync(join(state, "c"), { recursive: true });
    symlinkSync(join(s.dir, "elsewhere.jsonl"), join(state, "c", "events.jsonl"));
    const u = new UsageReader(s.home, s.worktree, SINCE).read();
    expect(u).toMatchObject({ source: "copilot", input: 10, output: 20, messages: 1 });
  });

  it("counts Qwen Code's answers of the worktree, prompt net of the cache, thoughts as output", async () => {
    const s = await homeSetting();
    const folder = s.worktree.replace(/[^A-Za-z0-9]/g, "-");
    const answer = (uuid: string, cwd: string, meta: Record<string, number>) =>
      JSON.stringify({
        uuid,
        cwd,
        type: "assistant",
        model: "qm",
        timestamp: "2026-12-07T10:00:05.000Z",
        usageMetadata: meta,
      });
    const file = join(s.home, ".qwen", "projects", folder, "chats", "s.jsonl");
    put(
      file,
      [
        answer("u1", s.worktree, {
          promptTokenCount: 10,
          cachedContentTokenCount: 4,
          candidatesTokenCount: 5,
          thoughtsTokenCount: 2,
        }),
        answer("u1", s.worktree, {
          promptTokenCount: 10,
          cachedContentTokenCount: 4,
          candidatesTokenCount: 5,
          thoughtsTokenCount: 2,
        }),
        answer("u2", "/another", {
          promptTokenCount: 99,
          cachedContentTokenCount: 0,
          candidatesTokenCount: 99,
        }),
        answer("u3", s.worktree, {
          promptTokenCount: 1,
          cachedContentTokenCount: 7,
          candidatesTokenCount: 1,
        }),
        "",
      ].join("\n"),
    );
    utimesSync(file, new Date(), new Date());
    const u = new UsageReader(s.home, s.worktree, SINCE).read();
    expect(u).toMatchObject({ source: "qwen", input: 6, cacheRead: 4, output: 7, messages: 1 });
  });
});
