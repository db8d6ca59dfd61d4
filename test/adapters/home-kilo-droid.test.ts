import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareAgentHome } from "../../src/adapters/agents/home.js";
import { cleanupTempDirs } from "../helpers/cli.js";
import { homeSetting, profileOf, put } from "./home-setting.js";

afterEach(cleanupTempDirs);

const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));

/** Every file under a folder, relative to it, but the identity Ballador writes for every run. */
function files(root: string, rel = ""): string[] {
  if (!existsSync(join(root, rel))) return [];
  return readdirSync(join(root, rel))
    .flatMap((n) => {
      const r = rel ? `${rel}/${n}` : n;
      return lstatSync(join(root, r)).isDirectory() ? files(root, r) : [r];
    })
    .filter((f) => f !== ".gitconfig")
    .sort();
}

describe("prepareAgentHome for Kilo, Droid, Auggie and Amp", () => {
  it("Kilo: its config folder and login, the files it writes at start already there, its traffic and snapshots off", async () => {
    const s = await homeSetting();
    put(join(s.realHome, ".config", "kilo", "kilo.json"), '{"model":"anthropic/x"}');
    put(join(s.realHome, ".local", "share", "kilo", "auth.json"), '{"anthropic":{}}');
    put(join(s.realHome, ".local", "share", "kilo", "kilo.db"), "not for the run");
    put(join(s.realHome, ".claude", ".credentials.json"), "{}");
    const r = await prepareAgentHome(profileOf("kilo"), s.ctx);
    expect(files(s.home)).toEqual([
      ".config/kilo/.bash-permission-migrated",
      ".config/kilo/.gitignore",
      ".config/kilo/kilo.json",
      ".local/share/kilo/auth.json",
    ]);
    expect(r.env).toMatchObject({
      KILO_DISABLE_AUTOUPDATE: "1",
      KILO_DISABLE_MODELS_FETCH: "1",
      KILO_TELEMETRY_LEVEL: "off",
      KILO_CONFIG_CONTENT: '{"snapshot":false}',
    });
  });

  it("Droid: its settings with the only custom model chosen and Droid-Shield off; not its login or sessions", async () => {
    const s = await homeSetting();
    const factory = join(s.realHome, ".factory");
    const model = {
      model: "m",
      displayName: "My Local Model",
      baseUrl: "http://127.0.0.1:9",
      provider: "anthropic",
    };
    put(join(factory, "settings.json"), JSON.stringify({ customModels: [model], theme: "dark" }));
    put(join(factory, "AGENTS.md"), "be brief\n");
    put(join(factory, "droids", "reviewer.md"), "x\n");
    put(join(factory, "auth.json"), '{"token":"secret"}');
    put(join(factory, "sessions", "-other-", "old.jsonl"), "{}\n");
    const r = await prepareAgentHome(profileOf("droid-headless"), s.ctx);
    expect(files(s.home)).toEqual([
      ".factory/AGENTS.md",
      ".factory/bin/ps",
      ".factory/droids/reviewer.md",
      ".factory/settings.json",
    ]);
    // The ps its command watcher asks, answering in the sandbox's inner PID namespace.
    expect(lstatSync(join(s.home, ".factory", "bin", "ps")).mode & 0o777).toBe(0o755);
    expect(json(join(s.home, ".factory", "settings.json"))).toEqual({
      enableDroidShield: false,
      customModels: [model],
      theme: "dark",
      model: "custom:My-Local-Model-0",
      cloudSessionSync: false,
      enableAutoUpdate: false,
    });
    expect(r.env).toMatchObject({ FACTORY_DROID_AUTO_UPDATE_ENABLED: "false", FACTORY_DISABLE_KEYRING: "1" });
  });

  it("Droid: a model the person chose, and their Droid-Shield choice, stay", async () => {
    const s = await homeSetting();
    const settings = {
      model: "custom:Other-1",
      enableDroidShield: true,
      customModels: [{ displayName: "A" }],
    };
    put(join(s.realHome, ".factory", "settings.json"), JSON.stringify(settings));
    await prepareAgentHome(profileOf("droid"), s.ctx);
    expect(json(join(s.home, ".factory", "settings.json"))).toMatchObject({
      model: "custom:Other-1",
      enableDroidShield: true,
    });
  });

  it("Auggie: its login and settings only", async () => {
    const s = await homeSetting();
    put(join(s.realHome, ".augment", "session.json"), '{"accessToken":"t","tenantURL":"https://x"}');
    put(join(s.realHome, ".augment", "settings.json"), "{}");
    put(join(s.realHome, ".augment", "sessions", "old.json"), "{}");
    const r = await prepareAgentHome(profileOf("auggie"), s.ctx);
    expect(files(s.home)).toEqual([".augment/session.json", ".augment/settings.json"]);
    expect(r.env).toMatchObject({ AUGMENT_DISABLE_AUTO_UPDATE: "1" });
  });

  it("Amp: its login and its settings (not its MCP servers' tokens), every command allowed and updates off; nothing else of the person's", async () => {
    const s = await homeSetting();
    const secrets = '{"apiKey@https://ampcode.com/":"sgamp_user_x"}';
    put(join(s.realHome, ".local", "share", "amp", "secrets.json"), secrets);
    put(join(s.realHome, ".local", "share", "amp", "device-id.json"), '{"id":"theirs"}');
    put(
      join(s.realHome, ".config", "amp", "settings.json"),
      '{"amp.showCosts":false,"amp.updates.mode":"auto","amp.mcpServers":{"x":{"env":{"TOKEN":"t"}}}}',
    );
    put(join(s.realHome, ".cache", "amp", "logs", "cli.log"), "their log");
    put(join(s.realHome, ".claude", ".credentials.json"), "{}");
    put(join(s.realHome, ".augment", "session.json"), "{}");
    await prepareAgentHome(profileOf("amp"), s.ctx);
    expect(files(s.home)).toEqual([".config/amp/settings.json", ".local/share/amp/secrets.json"]);
    expect(readFileSync(join(s.home, ".local", "share", "amp", "secrets.json"), "utf8")).toBe(secrets);
    expect(json(join(s.home, ".config", "amp", "settings.json"))).toEqual({
      "amp.showCosts": false,
      "amp.dangerouslyAllowAll": true,
      "amp.updates.mode": "disabled",
    });
  });

  it("Amp without a login of the person's: its settings only, no secrets file made up", async () => {
    const s = await homeSetting();
    await prepareAgentHome(profileOf("amp"), s.ctx);
    expect(files(s.home)).toEqual([".config/amp/settings.json"]);
  });
});
