import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareAgentHome } from "../../src/adapters/agents/home.js";
import { cleanupTempDirs } from "../helpers/cli.js";
import { homeSetting, profileOf, put } from "./home-setting.js";

afterEach(cleanupTempDirs);

const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));

/** Every file under a folder, relative to it. */
function files(root: string, rel = ""): string[] {
  if (!existsSync(join(root, rel))) return [];
  return readdirSync(join(root, rel)).flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    return lstatSync(join(root, r)).isDirectory() ? files(root, r) : [r];
  });
}

describe("prepareAgentHome for Pi", () => {
  it("copies its settings, models, login and AGENTS.md only; the base URL becomes the provider's baseUrl; no start-up traffic", async () => {
    const s = await homeSetting({
      ANTHROPIC_BASE_URL: "http://127.0.0.1:9999",
      OPENAI_BASE_URL: "http://127.0.0.1:8888/v1",
    });
    const agent = join(s.realHome, ".pi", "agent");
    put(
      join(agent, "settings.json"),
      JSON.stringify({ defaultProvider: "anthropic", enableInstallTelemetry: true }),
    );
    put(
      join(agent, "models.json"),
      JSON.stringify({
        providers: { anthropic: { headers: { x: "y" } }, ollama: { baseUrl: "http://h:1/v1" } },
      }),
    );
    put(join(agent, "auth.json"), '{"anthropic":{"type":"api_key","key":"k"}}');
    put(join(agent, "AGENTS.md"), "be brief\n");
    put(join(agent, "sessions", "--other-project--", "old.jsonl"), "{}\n");
    put(join(agent, "extensions", "x.ts"), "export default 1;\n");
    put(join(s.realHome, ".claude", ".credentials.json"), "{}");
    const before = readFileSync(join(agent, "models.json"), "utf8");

    const r = await prepareAgentHome(profileOf("pi"), s.ctx);
    expect(r.env).toMatchObject({ PI_OFFLINE: "1", PI_SKIP_VERSION_CHECK: "1", PI_TELEMETRY: "0" });
    // Nothing else of the person's HOME (their sessions, extensions, other agents' logins).
    expect(
      files(s.home)
        .filter((f) => f !== ".gitconfig")
        .sort(),
    ).toEqual([
      ".pi/agent/AGENTS.md",
      ".pi/agent/auth.json",
      ".pi/agent/models.json",
      ".pi/agent/settings.json",
    ]);
    expect(json(join(s.home, ".pi/agent/settings.json"))).toEqual({
      defaultProvider: "anthropic",
      enableInstallTelemetry: false,
    });
    expect(json(join(s.home, ".pi/agent/models.json"))).toEqual({
      providers: {
        anthropic: { headers: { x: "y" }, baseUrl: "http://127.0.0.1:9999" },
        openai: { baseUrl: "http://127.0.0.1:8888/v1" },
        ollama: { baseUrl: "http://h:1/v1" },
      },
    });
    // The person's own files are read, never written.
    expect(readFileSync(join(agent, "models.json"), "utf8")).toBe(before);
  });

  it("without config of the person's or a base URL it writes no models.json; a planted link is replaced, not followed", async () => {
    const s = await homeSetting();
    const outside = join(s.dir, "outside.json");
    writeFileSync(outside, '{"keep":true}');
    mkdirSync(join(s.home, ".pi", "agent"), { recursive: true });
    symlinkSync(outside, join(s.home, ".pi", "agent", "settings.json"));
    await prepareAgentHome(profileOf("pi-headless"), s.ctx);
    expect(existsSync(join(s.home, ".pi/agent/models.json"))).toBe(false);
    expect(lstatSync(join(s.home, ".pi/agent/settings.json")).isSymbolicLink()).toBe(false);
    expect(json(join(s.home, ".pi/agent/settings.json"))).toEqual({ enableInstallTelemetry: false });
    expect(readFileSync(outside, "utf8")).toBe('{"keep":true}');
  });
});

describe("prepareAgentHome for Cline's CLI", () => {
  it("copies only its provider settings; telemetry and self-update off; sessions in-process, no hub daemon", async () => {
    const s = await homeSetting();
    const settings = join(s.realHome, ".cline", "data", "settings");
    const providers = JSON.stringify({ version: 1, lastUsedProvider: "anthropic", providers: {} });
    put(join(settings, "providers.json"), providers);
    put(
      join(settings, "global-settings.json"),
      JSON.stringify({ telemetryOptOut: false, compactionEnabled: true }),
    );
    put(join(settings, "cline_mcp_settings.json"), "{}");
    put(join(s.realHome, ".cline", "data", "sessions", "1_a", "1_a.messages.json"), "{}");
    put(join(s.realHome, ".cline", "data", "db", "sessions.db"), "x");
    put(join(s.realHome, ".codex", "auth.json"), "{}");

    const r = await prepareAgentHome(profileOf("cline"), s.ctx);
    expect(r.env).toMatchObject({
      CLINE_SESSION_BACKEND_MODE: "local",
      CLINE_NO_AUTO_UPDATE: "1",
      CLINE_TELEMETRY_DISABLED: "1",
      CLINE_DISABLE_CLINE_PASS_NOTICE: "1",
    });
    expect(files(join(s.home, ".cline")).sort()).toEqual([
      "data/settings/global-settings.json",
      "data/settings/providers.json",
    ]);
    expect(existsSync(join(s.home, ".codex"))).toBe(false);
    expect(readFileSync(join(s.home, ".cline/data/settings/providers.json"), "utf8")).toBe(providers);
    expect(json(join(s.home, ".cline/data/settings/global-settings.json"))).toEqual({
      telemetryOptOut: true,
      compactionEnabled: true,
      autoUpdateEnabled: false,
    });
  });
});
