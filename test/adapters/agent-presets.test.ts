/**
 * The built-in agent presets as data, the resume command they describe, and what
 * prepareAgentHome seeds into a run's HOME for each agent (the person's own files are read,
 * never written).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentHomeContext, prepareAgentHome } from "../../src/adapters/agents/home.js";
import { AGENTS, PRESETS, presetBinary, withResume } from "../../src/adapters/agents/presets.js";
import { type ResolvedProfile, resolveProfile } from "../../src/adapters/agents/profiles.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { cleanupTempDirs, GIT_IDENTITY, makeTempDir, PACKAGE_ROOT } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

function profileOf(preset: string | null, command?: string[]): ResolvedProfile {
  const config = structuredClone(DEFAULT_CONFIG);
  config.agents.profiles = { p: preset ? { preset, ...(command ? { command } : {}) } : { command } };
  return resolveProfile(config, "p");
}

/** A person's HOME, a run's HOME and a worktree (a git repository with an identity). */
async function setting(env: Record<string, string> = {}) {
  const dir = await makeTempDir("bl-home-");
  const realHome = join(dir, "real");
  const home = join(dir, "run", "home");
  const worktree = join(dir, "worktree");
  mkdirSync(realHome, { recursive: true });
  mkdirSync(worktree, { recursive: true });
  execFileSync("git", ["init", "-q", worktree]);
  execFileSync("git", ["-C", worktree, "config", "user.name", "Person Name"]);
  execFileSync("git", ["-C", worktree, "config", "user.email", "person@example.invalid"]);
  const ctx: AgentHomeContext = { home, realHome, worktree, sandboxed: true, env };
  return { dir, realHome, home, worktree, ctx };
}

const read = (path: string) => readFileSync(path, "utf8");
/** What git itself reads from a config file. */
const gitGet = (file: string, key: string) =>
  execFileSync("git", ["config", "--file", file, "--get", key], { encoding: "utf8" }).trim();
const readJson = (path: string) => JSON.parse(read(path));

/** The hooks Ballador seeds into a Claude run's settings (needs you, issue 15). */
const balladorHook = { hooks: [{ type: "command", command: "ballador hook", timeout: 10 }] };
const SEEDED_HOOKS = {
  Notification: [balladorHook],
  Stop: [balladorHook],
  UserPromptSubmit: [balladorHook],
  PreToolUse: [balladorHook],
};

describe("presets", () => {
  it("describe every built-in agent completely, with a headless variant where the agent has one", () => {
    for (const name of AGENTS) {
      const p = PRESETS[name];
      expect(p, name).toBeDefined();
      if (!p) continue;
      expect(p.mode, name).toBe(name === "aider" ? "headless" : "interactive");
      expect(p.credentials?.env.length, name).toBeGreaterThan(0);
      expect(p.allowHosts.length, name).toBeGreaterThan(0);
      expect(p.install, name).toBeTruthy();
      expect(p.firstRun, name).toBeTruthy();
      // Cline's CLI cannot continue a conversation with a new prompt (its `--id` drops it);
      // Droid's exec continues only a session named by id, and its TUI's resume was not tried.
      if (name === "cline" || name === "droid") expect(p.resume, name).toBeUndefined();
      else expect(p.resume, name).toBeDefined();
      expect(p.versionArgs, name).toEqual(["--version"]);
      // The prompt reaches the command the way the preset says.
      const placeholder = p.prompt === "file" ? "{prompt_file}" : "{prompt}";
      expect(
        p.command.some((a) => a.includes(placeholder)),
        name,
      ).toBe(true);
      if (name !== "aider") {
        const headless = PRESETS[`${name}-headless`];
        expect(headless?.mode, `${name}-headless`).toBe("headless");
        expect(presetBinary(headless as NonNullable<typeof headless>)).toBe(presetBinary(p));
      }
    }
    expect(presetBinary(PRESETS.aider as NonNullable<(typeof PRESETS)["aider"]>)).toBe("aider");
    // Each tested preset names its e2e file; Aider and Cursor's agent (not installable here)
    // claim nothing.
    const tested = Object.entries(PRESETS).filter(([, p]) => p.tested);
    expect(tested.map(([n]) => n)).toEqual([
      "claude",
      "claude-headless",
      "codex",
      "codex-headless",
      "gemini",
      "gemini-headless",
      "opencode",
      "opencode-headless",
      "copilot",
      "copilot-headless",
      "qwen",
      "qwen-headless",
      "pi",
      "pi-headless",
      "cline",
      "cline-headless",
      "kilo",
      "kilo-headless",
      "droid-headless",
    ]);
    for (const [name, p] of tested) {
      expect(
        existsSync(join(PACKAGE_ROOT, (p.tested?.match(/test\/agents\/[a-z]+\.e2e\.test\.ts/) ?? [""])[0])),
        name,
      ).toBe(true);
    }
  });

  it("resume: the arguments go right after the program, or after the subcommand they belong to", () => {
    const argv = (name: string) => (PRESETS[name] as NonNullable<(typeof PRESETS)[string]>).command;
    const resumed = (name: string, a = argv(name)) =>
      withResume(a, PRESETS[name] as NonNullable<(typeof PRESETS)[string]>);
    expect(resumed("claude")).toEqual(["claude", "--continue", "--dangerously-skip-permissions", "{prompt}"]);
    expect(
      resumed("claude-headless", ["/usr/bin/claude", "-p", "--dangerously-skip-permissions", "do it"]),
    ).toEqual(["/usr/bin/claude", "--continue", "-p", "--dangerously-skip-permissions", "do it"]);
    expect(resumed("codex")?.slice(0, 3)).toEqual(["codex", "resume", "--last"]);
    expect(resumed("codex-headless")?.slice(0, 4)).toEqual(["codex", "exec", "resume", "--last"]);
    expect(resumed("opencode-headless")?.slice(0, 3)).toEqual(["opencode", "run", "--continue"]);
    expect(resumed("gemini-headless")?.slice(1, 3)).toEqual(["--resume", "latest"]);
    // Interactive Gemini CLI and OpenCode resume headless (their own resume loses the prompt).
    expect(resumed("gemini", ["/bin/gemini", "--yolo", "--skip-trust", "--prompt-interactive", "P"])).toEqual(
      ["/bin/gemini", "--resume", "latest", "--yolo", "--skip-trust", "--prompt", "P"],
    );
    expect(resumed("opencode", ["/bin/opencode", "--prompt", "P"])).toEqual([
      "/bin/opencode",
      "run",
      "--continue",
      "--auto",
      "P",
    ]);
    expect(
      resumed("codex", ["/bin/codex", "--no-daemon", "--dangerously-bypass-approvals-and-sandbox", "P"]),
    ).toEqual([
      "/bin/codex",
      "resume",
      "--last",
      "--no-daemon",
      "--dangerously-bypass-approvals-and-sandbox",
      "P",
    ]);
    expect(resumed("opencode", ["/bin/opencode", "--model", "x", "P"])).toBeNull();
    // A command that no longer has the subcommand cannot be resumed safely.
    expect(resumed("codex-headless", ["codex", "--model", "x", "{prompt}"])).toBeNull();
    expect(withResume(["x"], PRESETS.scripted as NonNullable<(typeof PRESETS)["scripted"]>)).toBeNull();
  });
});

describe("prepareAgentHome", () => {
  it("claude: seeds onboarding, trust, the key's last 20 characters and the permission prompt, from the person's files", async () => {
    const key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";
    const s = await setting({ ANTHROPIC_API_KEY: key });
    mkdirSync(join(s.realHome, ".claude"));
    const state = { numStartups: 3, oauthAccount: { emailAddress: "p@x" }, projects: { "/x": { a: 1 } } };
    writeFileSync(join(s.realHome, ".claude.json"), JSON.stringify(state));
    const ownHook = { matcher: "Bash", hooks: [{ type: "command", command: "my-audit" }] };
    writeFileSync(
      join(s.realHome, ".claude", "settings.json"),
      JSON.stringify({ model: "opus", hooks: { PreToolUse: [ownHook] } }),
    );
    writeFileSync(join(s.realHome, ".claude", ".credentials.json"), '{"claudeAiOauth":{}}');
    const before = [".claude.json", ".claude/settings.json", ".claude/.credentials.json"].map((f) =>
      read(join(s.realHome, f)),
    );

    const r = await prepareAgentHome(profileOf("claude"), s.ctx);
    expect(r.env).toMatchObject({ IS_SANDBOX: "1", DISABLE_AUTOUPDATER: "1" });
    const seeded = readJson(join(s.home, ".claude.json"));
    expect(seeded).toMatchObject({
      numStartups: 3,
      oauthAccount: { emailAddress: "p@x" },
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
    });
    expect(Object.keys(seeded.projects)).toEqual([s.worktree]);
    expect(seeded.projects[s.worktree]).toMatchObject({ hasTrustDialogAccepted: true });
    // The person's own hooks stay; Ballador's are added.
    const withOwn = { ...SEEDED_HOOKS, PreToolUse: [ownHook, balladorHook] };
    expect(readJson(join(s.home, ".claude", "settings.json"))).toEqual({
      model: "opus",
      skipDangerousModePermissionPrompt: true,
      hooks: withOwn,
    });
    expect(read(join(s.home, ".claude", ".credentials.json"))).toBe('{"claudeAiOauth":{}}');
    expect(statSync(join(s.home, ".claude.json")).mode & 0o777).toBe(0o600);
    // The person's files are exactly as they were.
    expect(
      [".claude.json", ".claude/settings.json", ".claude/.credentials.json"].map((f) =>
        read(join(s.realHome, f)),
      ),
    ).toEqual(before);
    // The run's git identity is the person's.
    expect(gitGet(join(s.home, ".gitconfig"), "user.name")).toBe("Person Name");
    expect(gitGet(join(s.home, ".gitconfig"), "user.email")).toBe("person@example.invalid");

    // Seeding again (a second launch into the same HOME) keeps what the run has written.
    const again = { ...readJson(join(s.home, ".claude.json")), lastSessionId: "abc" };
    writeFileSync(join(s.home, ".claude.json"), JSON.stringify(again));
    await prepareAgentHome(profileOf("claude-headless"), s.ctx);
    expect(readJson(join(s.home, ".claude.json"))).toMatchObject({
      lastSessionId: "abc",
      customApiKeyResponses: { approved: [key.slice(-20)] },
    });
    // ... and adds Ballador's hooks once, however often it seeds.
    expect(readJson(join(s.home, ".claude", "settings.json")).hooks).toEqual(withOwn);
  });

  it("claude without any config of the person's, and a command profile that runs claude", async () => {
    const s = await setting();
    await prepareAgentHome(profileOf(null, ["claude", "--model", "opus", "{prompt}"]), s.ctx);
    const seeded = readJson(join(s.home, ".claude.json"));
    expect(seeded).toMatchObject({ hasCompletedOnboarding: true, customApiKeyResponses: { approved: [] } });
    expect(readJson(join(s.home, ".claude", "settings.json"))).toEqual({
      skipDangerousModePermissionPrompt: true,
      hooks: SEEDED_HOOKS,
    });
  });

  it("never writes into the person's HOME (an unsandboxed run uses it as it is)", async () => {
    const s = await setting({ ANTHROPIC_API_KEY: "k" });
    const r = await prepareAgentHome(profileOf("claude"), { ...s.ctx, home: s.realHome, sandboxed: false });
    expect(r.env).toEqual({});
    expect(() => statSync(join(s.realHome, ".claude.json"))).toThrow();
  });

  it("resume: the previous run's conversations are carried into the new HOME", async () => {
    const s = await setting();
    const previous = join(s.dir, "previous-home");
    mkdirSync(join(previous, ".claude", "projects", "-wt"), { recursive: true });
    writeFileSync(join(previous, ".claude", "projects", "-wt", "session.jsonl"), "{}\n");
    await prepareAgentHome(profileOf("claude"), { ...s.ctx, previousHome: previous });
    expect(read(join(s.home, ".claude", "projects", "-wt", "session.jsonl"))).toBe("{}\n");
  });

  it("codex: the person's config and login, the worktree trusted, no login shell, no update check or analytics", async () => {
    const s = await setting();
    mkdirSync(join(s.realHome, ".codex"));
    writeFileSync(
      join(s.realHome, ".codex", "config.toml"),
      'model = "o3"\nallow_login_shell = true\n[analytics]\nenabled = true\n[tui]\nnotifications = true\n',
    );
    writeFileSync(join(s.realHome, ".codex", "auth.json"), "{}");
    await prepareAgentHome(profileOf("codex"), s.ctx);
    const text = read(join(s.home, ".codex", "config.toml"));
    expect(parseToml(text)).toEqual({
      model: "o3",
      allow_login_shell: false,
      check_for_update_on_startup: false,
      analytics: { enabled: false },
      features: { plugins: false },
      tui: { notifications: true, show_tooltips: false, animations: false },
      projects: { [s.worktree]: { trust_level: "trusted" } },
    });
    // Without a key, the person's login is what the run has.
    expect(read(join(s.home, ".codex", "auth.json"))).toBe("{}");
    expect(read(join(s.realHome, ".codex", "config.toml"))).toContain("allow_login_shell = true");
    // Idempotent.
    await prepareAgentHome(profileOf("codex-headless"), s.ctx);
    expect(read(join(s.home, ".codex", "config.toml"))).toBe(text);
  });

  it("codex: a key becomes the login `codex login --with-api-key` writes; OPENAI_BASE_URL becomes openai_base_url", async () => {
    const s = await setting({ OPENAI_API_KEY: "sk-test-key", OPENAI_BASE_URL: "http://127.0.0.1:9/v1" });
    mkdirSync(join(s.realHome, ".codex"));
    writeFileSync(join(s.realHome, ".codex", "auth.json"), '{"tokens":"chatgpt"}');
    writeFileSync(join(s.realHome, ".codex", "config.toml"), 'openai_base_url = "https://elsewhere/v1"\n');
    await prepareAgentHome(profileOf("codex"), s.ctx);
    expect(readJson(join(s.home, ".codex", "auth.json"))).toEqual({
      auth_mode: "apikey",
      OPENAI_API_KEY: "sk-test-key",
    });
    expect(statSync(join(s.home, ".codex", "auth.json")).mode & 0o777).toBe(0o600);
    expect(parseToml(read(join(s.home, ".codex", "config.toml")))).toMatchObject({
      openai_base_url: "http://127.0.0.1:9/v1",
    });
  });

  it("codex: a person's config.toml that is not TOML is named, with the fix", async () => {
    const s = await setting();
    mkdirSync(join(s.realHome, ".codex"));
    writeFileSync(join(s.realHome, ".codex", "config.toml"), "model = \n[[[");
    await expect(prepareAgentHome(profileOf("codex"), s.ctx)).rejects.toThrow(
      /\.codex\/config\.toml is not valid TOML .*fix it/,
    );
  });

  it("gemini: auth type from the key present, auto-update off, the worktree trusted", async () => {
    const s = await setting({ GEMINI_API_KEY: "g" });
    mkdirSync(join(s.realHome, ".gemini"));
    writeFileSync(join(s.realHome, ".gemini", "settings.json"), JSON.stringify({ ui: { theme: "Dracula" } }));
    await prepareAgentHome(profileOf("gemini"), s.ctx);
    expect(readJson(join(s.home, ".gemini", "settings.json"))).toEqual({
      ui: { theme: "Dracula" },
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      privacy: { usageStatisticsEnabled: false },
      security: { auth: { selectedType: "gemini-api-key" } },
    });
    expect(readJson(join(s.home, ".gemini", "trustedFolders.json"))).toEqual({
      [s.worktree]: "TRUST_FOLDER",
    });
  });

  it("aider: its histories in HOME and ignored by git, no update check or analytics prompt", async () => {
    const s = await setting();
    const r = await prepareAgentHome(profileOf("aider"), s.ctx);
    expect(r.env).toMatchObject({
      AIDER_CHECK_UPDATE: "false",
      AIDER_ANALYTICS_DISABLE: "true",
      AIDER_GITIGNORE: "false",
      AIDER_CHAT_HISTORY_FILE: join(s.home, ".aider", "chat.history.md"),
    });
    // git in the run (HOME = the run's) ignores what aider leaves in the worktree.
    writeFileSync(join(s.worktree, ".aider.tags.cache.v4"), "x");
    const status = execFileSync("git", ["-C", s.worktree, "status", "--porcelain"], {
      env: { ...process.env, ...GIT_IDENTITY, HOME: s.home, XDG_CONFIG_HOME: "" },
      encoding: "utf8",
    });
    expect(status).toBe("");
  });

  it("the launcher's GIT_AUTHOR_* is the identity when git config has none", async () => {
    const s = await setting();
    execFileSync("git", ["-C", s.worktree, "config", "--unset", "user.name"]);
    execFileSync("git", ["-C", s.worktree, "config", "--unset", "user.email"]);
    const saved = { name: process.env.GIT_AUTHOR_NAME, email: process.env.GIT_AUTHOR_EMAIL };
    const savedHome = process.env.HOME;
    process.env.GIT_AUTHOR_NAME = "Env Name";
    process.env.GIT_AUTHOR_EMAIL = "env@example.invalid";
    process.env.HOME = s.realHome; // no ~/.gitconfig of the test machine's
    try {
      await prepareAgentHome(profileOf("scripted"), s.ctx);
    } finally {
      process.env.GIT_AUTHOR_NAME = saved.name;
      process.env.GIT_AUTHOR_EMAIL = saved.email;
      process.env.HOME = savedHome;
      if (saved.name === undefined) delete process.env.GIT_AUTHOR_NAME;
      if (saved.email === undefined) delete process.env.GIT_AUTHOR_EMAIL;
    }
    expect(gitGet(join(s.home, ".gitconfig"), "user.name")).toBe("Env Name");
  });
});
