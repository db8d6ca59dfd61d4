/**
 * Preparing an agent's per-run HOME before it starts: agents keep their config there, and
 * first-run dialogs (onboarding, trust prompts, sign-in screens) must not stop an unattended
 * run. The person's own config is read to seed it, never written.
 *
 * The run's HOME belongs to a sandboxed agent, and so does the previous attempt's: every file
 * here is read and written through HomeFiles (no symbolic link is ever followed), and what a
 * resumed run inherits from the previous HOME is carried by carryInto (regular files and
 * folders only, bounded).
 *
 * What each agent gets is listed in docs/agents.md's agent table; the seeding of Claude Code,
 * Codex, Gemini CLI and OpenCode (headless) is proven with their real binaries (test/agents/*.e2e.test.ts).
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { type CarryReport, carryInto, HomeFiles } from "../hostile/index.js";
import {
  copyIfMissing,
  copyTreeIfMissing,
  isObject,
  jsonOf,
  pathsOf,
  readPersonal,
  readPersonalJson,
  stringList,
  withBalladorHooks,
  writeJson,
} from "./home-json.js";
import { seedAmp, seedAuggie, seedDroid, seedKilo, seedOpencodeLike } from "./home-kilo-droid.js";
import { seedCopilot, seedQwen } from "./home-more.js";
import { seedCline, seedPi } from "./home-pi-cline.js";
import { PRESETS, type Preset, presetBinary } from "./presets.js";
import type { ResolvedProfile } from "./profiles.js";

export { isObject, jsonOf, readPersonalJson };

const exec = promisify(execFile);

type Toml = typeof import("smol-toml");
let toml: Toml | null = null;

/**
 * smol-toml is loaded when Codex's home is seeded, not when this module is: every supervisor
 * loads this module, most for agents that have no TOML (spec 0017). Its CommonJS build,
 * required synchronously.
 */
function tomlNow(): Toml {
  toml ??= createRequire(import.meta.url)("smol-toml") as Toml;
  return toml;
}

export interface AgentHomeContext {
  /** The run's HOME (inside the run folder when sandboxed; the real HOME when not). */
  home: string;
  /** The person's real HOME, to seed from. */
  realHome: string;
  worktree: string;
  /** True when the run is sandboxed (the agent may then be told it is). */
  sandboxed: boolean;
  /** The variables the agent will receive (names and values known to the launcher). */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * The HOME of the task's previous run, when this run continues its conversation (resume):
   * the preset's `sessionState` folders are carried from it (hostile: written by an agent).
   */
  previousHome?: string | null;
  /**
   * Claude Code's MCP servers for this run (the profile's `mcp_servers`), and the names the
   * base's `.mcp.json` defines (loaded from the run's own copy, never from the worktree's file).
   * Absent: a HOME seeded before keeps what it has; a fresh one gets none of the person's.
   */
  mcp?: { servers: Record<string, Record<string, unknown>>; projectNames: string[] };
}

/** Extra variables for the agent, e.g. IS_SANDBOX=1 for Claude Code inside the sandbox. */
export interface AgentHomeResult {
  env: Record<string, string>;
  /** What carrying the previous HOME left out (links, special files, over the size budget). */
  carried?: CarryReport;
}

export async function prepareAgentHome(
  profile: ResolvedProfile,
  ctx: AgentHomeContext,
): Promise<AgentHomeResult> {
  // The person's own HOME is only ever read: an unsandboxed run keeps it as it is.
  if (resolve(ctx.home) === resolve(ctx.realHome)) return { env: {} };
  const home = new HomeFiles(ctx.home);
  const identity = await seedGitIdentity(home, ctx);
  const preset = profile.preset ? PRESETS[profile.preset] : undefined;
  let carried: CarryReport | undefined;
  if (preset && ctx.previousHome && resolve(ctx.previousHome) !== resolve(ctx.home)) {
    carried = { files: 0, bytes: 0, skipped: [], truncated: false };
    for (const path of preset.sessionState ?? []) carryInto(ctx.previousHome, path, home, carried);
  }
  const seeded = seedAgent(profile, preset, home, ctx);
  return { env: { ...identity, ...seeded.env }, ...(carried ? { carried } : {}) };
}

function seedAgent(
  profile: ResolvedProfile,
  preset: Preset | undefined,
  home: HomeFiles,
  ctx: AgentHomeContext,
): { env: Record<string, string> } {
  // A command profile that starts a known agent gets the same seeding as its preset.
  const agent = preset ? presetBinary(preset) : basename(profile.command[0] ?? "");
  switch (agent) {
    case "claude":
      return seedClaude(home, ctx);
    case "codex":
      return seedCodex(home, ctx);
    case "gemini":
      return seedGemini(home, ctx);
    case "aider":
      return seedAider(home, ctx);
    case "opencode":
      return seedOpencode(home, ctx);
    case "copilot":
      return seedCopilot(home, ctx);
    case "qwen":
      return seedQwen(home, ctx);
    case "cursor-agent":
    case "agent":
      return seedCursor(home, ctx);
    case "pi":
      return seedPi(home, ctx);
    case "cline":
      return seedCline(home, ctx);
    case "kilo":
      return seedKilo(home, ctx);
    case "droid":
      return seedDroid(home, ctx);
    case "auggie":
      return seedAuggie(home, ctx);
    case "amp":
      return seedAmp(home, ctx);
    default:
      return { env: {} };
  }
}

/**
 * Claude Code keeps its state in ~/.claude.json and ~/.claude/. Seeded so the interactive TUI
 * starts straight into the prompt: onboarding done, the worktree trusted, the bypass-permissions
 * warning accepted, the API key approved (by its last 20 characters, as Claude Code records it).
 */
function seedClaude(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".claude");
  home.dir(".claude");

  const own = jsonOf(home.read(".claude.json"));
  const state = own ?? readPersonalJson(join(ctx.realHome, ".claude.json")) ?? {};
  // Other projects' histories and settings are the person's business, not this run's.
  const projects: Record<string, unknown> = own && isObject(state.projects) ? state.projects : {};
  for (const path of pathsOf(ctx.worktree)) {
    projects[path] = {
      allowedTools: [],
      mcpContextUris: [],
      mcpServers: {},
      enabledMcpjsonServers: [],
      disabledMcpjsonServers: [],
      ...(isObject(projects[path]) ? projects[path] : {}),
      hasTrustDialogAccepted: true,
      hasCompletedProjectOnboarding: true,
      // The worktree's .mcp.json is the agent's to edit: its servers are neither asked about
      // nor loaded; the ones passed come from the base, in the user scope below.
      ...(ctx.mcp ? { enabledMcpjsonServers: [], disabledMcpjsonServers: ctx.mcp.projectNames } : {}),
      enableAllProjectMcpServers: false,
    };
  }
  // Only the servers the profile names reach the run: the person's others stay theirs.
  const mcpServers = ctx.mcp ? ctx.mcp.servers : own && isObject(state.mcpServers) ? state.mcpServers : {};
  const responses = isObject(state.customApiKeyResponses) ? state.customApiKeyResponses : {};
  const approved = stringList(responses.approved);
  let rejected = stringList(responses.rejected);
  const key = ctx.env.ANTHROPIC_API_KEY?.trim();
  if (key) {
    const tail = key.slice(-20);
    if (!approved.includes(tail)) approved.push(tail);
    rejected = rejected.filter((k) => k !== tail);
  }
  writeJson(home, ".claude.json", {
    ...state,
    hasCompletedOnboarding: true,
    theme: typeof state.theme === "string" ? state.theme : "dark",
    projects,
    mcpServers,
    customApiKeyResponses: { approved, rejected },
  });

  const settings =
    jsonOf(home.read(".claude/settings.json")) ?? readPersonalJson(join(personal, "settings.json")) ?? {};
  writeJson(home, ".claude/settings.json", {
    ...settings,
    skipDangerousModePermissionPrompt: true,
    hooks: withBalladorHooks(settings.hooks),
  });
  copyIfMissing(home, join(personal, ".credentials.json"), ".claude/.credentials.json");
  copyIfMissing(home, join(personal, "CLAUDE.md"), ".claude/CLAUDE.md");
  return {
    env: {
      // Ballador's bubblewrap is the sandbox: as root, Claude Code accepts
      // --dangerously-skip-permissions only when told so.
      ...(ctx.sandboxed ? { IS_SANDBOX: "1" } : {}),
      // No self-update (its installation is read-only inside), no telemetry, release notes or
      // plugin downloads: traffic the task does not need, which the allowlist would deny.
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1",
    },
  };
}

/**
 * Codex (CODEX_HOME = ~/.codex): the person's config.toml and AGENTS.md, then what an unattended
 * run needs (measured with codex 0.169.0, see docs/specs/0010-agents.md):
 * - allow_login_shell = false: it runs commands as `bash -lc`, and Debian's /etc/profile resets
 *   PATH, which loses the `ballador` shim;
 * - openai_base_url from OPENAI_BASE_URL: the variable itself is ignored;
 * - analytics, the update check and the plugin sync off: traffic the task does not need;
 * - the worktree trusted;
 * - a login made from OPENAI_API_KEY (or CODEX_API_KEY), in the form `codex login
 *   --with-api-key` writes: without it the TUI stops at a ChatGPT sign-in screen.
 */
function seedCodex(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".codex");
  home.dir(".codex");
  const key = (ctx.env.OPENAI_API_KEY ?? ctx.env.CODEX_API_KEY)?.trim();
  if (key) {
    writeJson(home, ".codex/auth.json", { auth_mode: "apikey", OPENAI_API_KEY: key });
  } else {
    copyIfMissing(home, join(personal, "auth.json"), ".codex/auth.json");
  }
  copyIfMissing(home, join(personal, "AGENTS.md"), ".codex/AGENTS.md");

  const ownText = home.read(".codex/config.toml");
  const source = ownText !== null ? "the run's ~/.codex/config.toml" : join(personal, "config.toml");
  const text = ownText ?? readPersonal(join(personal, "config.toml")) ?? "";
  let config: Record<string, unknown>;
  try {
    config = tomlNow().parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(
      `${source} is not valid TOML (${(err as Error).message.split("\n")[0]}): fix it (Codex would refuse it too) or move it away`,
    );
  }
  config.allow_login_shell = false;
  config.check_for_update_on_startup = false;
  const baseUrl = ctx.env.OPENAI_BASE_URL?.trim();
  if (baseUrl) config.openai_base_url = baseUrl;
  config.analytics = { ...(isObject(config.analytics) ? config.analytics : {}), enabled: false };
  // Its plugin sync asks github.com, api.github.com and chatgpt.com at every start (measured);
  // off unless the person turned plugins on themselves (then they allowlist those hosts).
  const features = isObject(config.features) ? config.features : {};
  if (features.plugins === undefined) features.plugins = false;
  config.features = features;
  // The TUI's tips come from raw.githubusercontent.com; its animations would keep an idle
  // session printing (and its log growing).
  const tui = isObject(config.tui) ? config.tui : {};
  if (tui.show_tooltips === undefined) tui.show_tooltips = false;
  if (tui.animations === undefined) tui.animations = false;
  config.tui = tui;
  const projects = isObject(config.projects) ? config.projects : {};
  for (const path of pathsOf(ctx.worktree)) {
    projects[path] = { ...(isObject(projects[path]) ? projects[path] : {}), trust_level: "trusted" };
  }
  config.projects = projects;
  home.write(".codex/config.toml", `${tomlNow().stringify(config)}\n`);
  return { env: {} };
}

/** Gemini CLI (~/.gemini): the person's settings and login, auth chosen, no auto-update or usage statistics. */
function seedGemini(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".gemini");
  home.dir(".gemini");
  for (const file of ["oauth_creds.json", "google_accounts.json", "GEMINI.md"]) {
    copyIfMissing(home, join(personal, file), `.gemini/${file}`);
  }
  const settings =
    jsonOf(home.read(".gemini/settings.json")) ?? readPersonalJson(join(personal, "settings.json")) ?? {};
  const general = isObject(settings.general) ? settings.general : {};
  const security = isObject(settings.security) ? settings.security : {};
  const auth = isObject(security.auth) ? security.auth : {};
  const privacy = isObject(settings.privacy) ? settings.privacy : {};
  const hasKey = Boolean(ctx.env.GEMINI_API_KEY || ctx.env.GOOGLE_API_KEY);
  writeJson(home, ".gemini/settings.json", {
    ...settings,
    general: { ...general, enableAutoUpdate: false, enableAutoUpdateNotification: false },
    // Usage statistics go to play.googleapis.com, which the allowlist would deny.
    privacy: { ...privacy, usageStatisticsEnabled: false },
    security: {
      ...security,
      auth: { ...auth, ...(hasKey && !auth.selectedType ? { selectedType: "gemini-api-key" } : {}) },
    },
  });
  const trusted = jsonOf(home.read(".gemini/trustedFolders.json")) ?? {};
  for (const path of pathsOf(ctx.worktree)) trusted[path] = "TRUST_FOLDER";
  writeJson(home, ".gemini/trustedFolders.json", trusted);
  return { env: {} };
}

/**
 * Aider writes its histories beside the code and offers to edit .gitignore; both would leave
 * the worktree dirty. Its files go to HOME instead, and git there ignores what remains.
 */
function seedAider(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const dir = home.dir(".aider");
  if (!home.isFile(".config/git/ignore")) home.write(".config/git/ignore", ".aider*\n", 0o644);
  copyIfMissing(home, join(ctx.realHome, ".aider.conf.yml"), ".aider.conf.yml");
  return {
    env: {
      AIDER_CHECK_UPDATE: "false",
      AIDER_SHOW_RELEASE_NOTES: "false",
      AIDER_ANALYTICS_DISABLE: "true",
      AIDER_GITIGNORE: "false",
      AIDER_CHAT_HISTORY_FILE: join(dir, "chat.history.md"),
      AIDER_INPUT_HISTORY_FILE: join(dir, "input.history"),
    },
  };
}

/**
 * OpenCode: the person's config folder and provider logins; none of the traffic the task does
 * not need (self-update, the model catalog from models.opencode.ai: its bundled one is used,
 * language-server downloads, sharing, default plugins installed from npm).
 */
function seedOpencode(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const ignore = ["node_modules", "package.json", "package-lock.json", "bun.lock", ".gitignore"];
  return {
    env: {
      ...seedOpencodeLike(home, ctx, "opencode", ignore),
      // Should it still run an npm install (a writable config folder of the project's own,
      // .opencode/), npm's retries against a denied registry delay it by tens of seconds.
      npm_config_fetch_retries: "0",
    },
  };
}

/** Cursor's agent: the person's CLI config and login. */
function seedCursor(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  copyIfMissing(home, join(ctx.realHome, ".cursor", "cli-config.json"), ".cursor/cli-config.json");
  copyTreeIfMissing(home, join(ctx.realHome, ".config", "cursor"), ".config/cursor");
  return { env: {} };
}

/**
 * The run's HOME has no ~/.gitconfig, so an agent's commit would have no author. The identity
 * the person's git would use in this worktree (config, or GIT_AUTHOR_* of the launcher) goes
 * into a ~/.gitconfig there (nothing else of their git config) and into GIT_AUTHOR_* and
 * GIT_COMMITTER_* for the agent: some agents (Gemini CLI) run git with GIT_CONFIG_GLOBAL=/dev/null.
 * Written by Ballador rather than `git config --file`, which would write through a link.
 */
async function seedGitIdentity(home: HomeFiles, ctx: AgentHomeContext): Promise<Record<string, string>> {
  const ident = await gitIdentity(ctx.worktree);
  const name = oneLine(ident.get("user.name") || process.env.GIT_AUTHOR_NAME);
  const email = oneLine(ident.get("user.email") || process.env.GIT_AUTHOR_EMAIL);
  if (!home.isFile(".gitconfig") && (name || email)) {
    const lines = ["[user]"];
    if (name) lines.push(`\tname = ${gitQuote(name)}`);
    if (email) lines.push(`\temail = ${gitQuote(email)}`);
    home.write(".gitconfig", `${lines.join("\n")}\n`, 0o644);
  }
  const env: Record<string, string> = {};
  if (name) {
    env.GIT_AUTHOR_NAME = name;
    env.GIT_COMMITTER_NAME = process.env.GIT_COMMITTER_NAME ?? name;
  }
  if (email) {
    env.GIT_AUTHOR_EMAIL = email;
    env.GIT_COMMITTER_EMAIL = process.env.GIT_COMMITTER_EMAIL ?? email;
  }
  return env;
}

function oneLine(v: string | undefined): string | undefined {
  const s = v?.replace(/[\r\n]+/g, " ").trim();
  return s || undefined;
}

/** A git config value in double quotes (backslash and quote escaped). */
function gitQuote(v: string): string {
  return `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * user.name and user.email as the person's git would read them in this worktree, in one git
 * process (issue 35); the last value of a key wins, as with `git config --get`.
 */
async function gitIdentity(cwd: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  try {
    const args = ["config", "--null", "--get-regexp", "^user\\.(name|email)$"];
    const { stdout } = await exec("git", args, { cwd, timeout: 10_000 });
    for (const entry of stdout.split("\0")) {
      const nl = entry.indexOf("\n");
      const value = nl < 0 ? "" : entry.slice(nl + 1).trim();
      if (nl > 0) found.set(entry.slice(0, nl), value);
    }
  } catch {
    // No identity configured (exit 1) or no git: the launcher's GIT_AUTHOR_* stand in.
  }
  return found;
}
