/**
 * Preparing an agent's per-run HOME before it starts: agents keep their config there, and
 * first-run dialogs (onboarding, trust prompts) must not stop an unattended run. The person's
 * own config is read to seed it, never written.
 *
 * What each agent gets is listed in docs/agents.md; only Claude Code's seeding is proven with
 * the real binary here (test/agents/claude.e2e.test.ts).
 */
import { execFile } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { PRESETS, type Preset, presetBinary } from "./presets.js";
import type { ResolvedProfile } from "./profiles.js";

const exec = promisify(execFile);

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
   * the preset's `sessionState` folders are copied from it.
   */
  previousHome?: string | null;
}

/** Extra variables for the agent, e.g. IS_SANDBOX=1 for Claude Code inside the sandbox. */
export interface AgentHomeResult {
  env: Record<string, string>;
}

export async function prepareAgentHome(
  profile: ResolvedProfile,
  ctx: AgentHomeContext,
): Promise<AgentHomeResult> {
  // The person's own HOME is only ever read: an unsandboxed run keeps it as it is.
  if (resolve(ctx.home) === resolve(ctx.realHome)) return { env: {} };
  mkdirSync(ctx.home, { recursive: true });
  const identity = await seedGitIdentity(ctx);
  const preset = profile.preset ? PRESETS[profile.preset] : undefined;
  if (preset && ctx.previousHome) carrySessionState(preset, ctx.previousHome, ctx.home);
  const seeded = seedAgent(profile, preset, ctx);
  return { env: { ...identity, ...seeded.env } };
}

function seedAgent(
  profile: ResolvedProfile,
  preset: Preset | undefined,
  ctx: AgentHomeContext,
): AgentHomeResult {
  // A command profile that starts a known agent gets the same seeding as its preset.
  const agent = preset ? presetBinary(preset) : basename(profile.command[0] ?? "");
  switch (agent) {
    case "claude":
      return seedClaude(ctx);
    case "codex":
      return seedCodex(ctx);
    case "gemini":
      return seedGemini(ctx);
    case "aider":
      return seedAider(ctx);
    case "opencode":
      return seedOpencode(ctx);
    case "cursor-agent":
    case "agent":
      return seedCursor(ctx);
    default:
      return { env: {} };
  }
}

/**
 * Claude Code keeps its state in ~/.claude.json and ~/.claude/. Seeded so the interactive TUI
 * starts straight into the prompt: onboarding done, the worktree trusted, the bypass-permissions
 * warning accepted, the API key approved (by its last 20 characters, as Claude Code records it).
 */
function seedClaude(ctx: AgentHomeContext): AgentHomeResult {
  const dir = join(ctx.home, ".claude");
  const personal = join(ctx.realHome, ".claude");
  mkdirSync(dir, { recursive: true });

  const state =
    readJson(join(ctx.home, ".claude.json")) ?? readJson(join(ctx.realHome, ".claude.json")) ?? {};
  // Other projects' histories and settings are the person's business, not this run's.
  const projects: Record<string, unknown> =
    existsSync(join(ctx.home, ".claude.json")) && isObject(state.projects) ? state.projects : {};
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
    };
  }
  const responses = isObject(state.customApiKeyResponses) ? state.customApiKeyResponses : {};
  const approved = stringList(responses.approved);
  let rejected = stringList(responses.rejected);
  const key = ctx.env.ANTHROPIC_API_KEY?.trim();
  if (key) {
    const tail = key.slice(-20);
    if (!approved.includes(tail)) approved.push(tail);
    rejected = rejected.filter((k) => k !== tail);
  }
  writePrivate(
    join(ctx.home, ".claude.json"),
    JSON.stringify(
      {
        ...state,
        hasCompletedOnboarding: true,
        theme: typeof state.theme === "string" ? state.theme : "dark",
        projects,
        customApiKeyResponses: { approved, rejected },
      },
      null,
      2,
    ),
  );

  const settings = readJson(join(dir, "settings.json")) ?? readJson(join(personal, "settings.json")) ?? {};
  writePrivate(
    join(dir, "settings.json"),
    JSON.stringify({ ...settings, skipDangerousModePermissionPrompt: true }, null, 2),
  );
  copyIfMissing(join(personal, ".credentials.json"), join(dir, ".credentials.json"));
  copyIfMissing(join(personal, "CLAUDE.md"), join(dir, "CLAUDE.md"));
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

/** Codex (CODEX_HOME = ~/.codex): the person's config and login, and the worktree trusted. */
function seedCodex(ctx: AgentHomeContext): AgentHomeResult {
  const dir = join(ctx.home, ".codex");
  const personal = join(ctx.realHome, ".codex");
  mkdirSync(dir, { recursive: true });
  copyIfMissing(join(personal, "auth.json"), join(dir, "auth.json"));
  copyIfMissing(join(personal, "AGENTS.md"), join(dir, "AGENTS.md"));
  const configPath = join(dir, "config.toml");
  let config = existsSync(configPath)
    ? readFileSync(configPath, "utf8")
    : existsSync(join(personal, "config.toml"))
      ? readFileSync(join(personal, "config.toml"), "utf8")
      : "";
  for (const path of pathsOf(ctx.worktree)) {
    const table = `[projects.${JSON.stringify(path)}]`;
    if (!config.includes(table)) {
      config += `${config && !config.endsWith("\n") ? "\n" : ""}\n${table}\ntrust_level = "trusted"\n`;
    }
  }
  writePrivate(configPath, config);
  return { env: {} };
}

/** Gemini CLI (~/.gemini): the person's settings and login, auth chosen, no auto-update or usage statistics. */
function seedGemini(ctx: AgentHomeContext): AgentHomeResult {
  const dir = join(ctx.home, ".gemini");
  const personal = join(ctx.realHome, ".gemini");
  mkdirSync(dir, { recursive: true });
  for (const file of ["oauth_creds.json", "google_accounts.json", "GEMINI.md"]) {
    copyIfMissing(join(personal, file), join(dir, file));
  }
  const settings = readJson(join(dir, "settings.json")) ?? readJson(join(personal, "settings.json")) ?? {};
  const general = isObject(settings.general) ? settings.general : {};
  const security = isObject(settings.security) ? settings.security : {};
  const auth = isObject(security.auth) ? security.auth : {};
  const privacy = isObject(settings.privacy) ? settings.privacy : {};
  const hasKey = Boolean(ctx.env.GEMINI_API_KEY || ctx.env.GOOGLE_API_KEY);
  writePrivate(
    join(dir, "settings.json"),
    JSON.stringify(
      {
        ...settings,
        general: { ...general, enableAutoUpdate: false, enableAutoUpdateNotification: false },
        // Usage statistics go to play.googleapis.com, which the allowlist would deny.
        privacy: { ...privacy, usageStatisticsEnabled: false },
        security: {
          ...security,
          auth: { ...auth, ...(hasKey && !auth.selectedType ? { selectedType: "gemini-api-key" } : {}) },
        },
      },
      null,
      2,
    ),
  );
  const trustedPath = join(dir, "trustedFolders.json");
  const trusted = readJson(trustedPath) ?? {};
  for (const path of pathsOf(ctx.worktree)) trusted[path] = "TRUST_FOLDER";
  writePrivate(trustedPath, JSON.stringify(trusted, null, 2));
  return { env: {} };
}

/**
 * Aider writes its histories beside the code and offers to edit .gitignore; both would leave
 * the worktree dirty. Its files go to HOME instead, and git there ignores what remains.
 */
function seedAider(ctx: AgentHomeContext): AgentHomeResult {
  const dir = join(ctx.home, ".aider");
  mkdirSync(dir, { recursive: true });
  const ignore = join(ctx.home, ".config", "git", "ignore");
  if (!existsSync(ignore)) {
    mkdirSync(dirname(ignore), { recursive: true });
    writeFileSync(ignore, ".aider*\n");
  }
  copyIfMissing(join(ctx.realHome, ".aider.conf.yml"), join(ctx.home, ".aider.conf.yml"));
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

/** OpenCode: the person's config folder and provider logins. */
function seedOpencode(ctx: AgentHomeContext): AgentHomeResult {
  copyTreeIfMissing(join(ctx.realHome, ".config", "opencode"), join(ctx.home, ".config", "opencode"));
  copyIfMissing(
    join(ctx.realHome, ".local", "share", "opencode", "auth.json"),
    join(ctx.home, ".local", "share", "opencode", "auth.json"),
  );
  return { env: {} };
}

/** Cursor's agent: the person's CLI config and login. */
function seedCursor(ctx: AgentHomeContext): AgentHomeResult {
  copyIfMissing(
    join(ctx.realHome, ".cursor", "cli-config.json"),
    join(ctx.home, ".cursor", "cli-config.json"),
  );
  copyTreeIfMissing(join(ctx.realHome, ".config", "cursor"), join(ctx.home, ".config", "cursor"));
  return { env: {} };
}

/**
 * The run's HOME has no ~/.gitconfig, so an agent's commit would have no author. The identity
 * the person's git would use in this worktree (config, or GIT_AUTHOR_* of the launcher) goes
 * into a ~/.gitconfig there (nothing else of their git config) and into GIT_AUTHOR_* and
 * GIT_COMMITTER_* for the agent: some agents (Gemini CLI) run git with GIT_CONFIG_GLOBAL=/dev/null.
 */
async function seedGitIdentity(ctx: AgentHomeContext): Promise<Record<string, string>> {
  const name = (await gitConfig(ctx.worktree, "user.name")) ?? process.env.GIT_AUTHOR_NAME;
  const email = (await gitConfig(ctx.worktree, "user.email")) ?? process.env.GIT_AUTHOR_EMAIL;
  const file = join(ctx.home, ".gitconfig");
  if (!existsSync(file)) {
    if (name) await exec("git", ["config", "--file", file, "user.name", name]);
    if (email) await exec("git", ["config", "--file", file, "user.email", email]);
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

async function gitConfig(cwd: string, key: string): Promise<string | undefined> {
  try {
    const { stdout } = await exec("git", ["config", "--get", key], { cwd, timeout: 10_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

function carrySessionState(preset: Preset, from: string, to: string): void {
  for (const path of preset.sessionState ?? []) {
    const rel = path.replace(/^~\//, "");
    const src = join(from, rel);
    if (existsSync(src)) cpSync(src, join(to, rel), { recursive: true, force: true });
  }
}

/** The worktree as given and as the agent will see it (symlinks resolved). */
function pathsOf(worktree: string): string[] {
  const out = [resolve(worktree)];
  try {
    const real = realpathSync(worktree);
    if (!out.includes(real)) out.push(real);
  } catch {
    // not created yet: the given path is all there is
  }
  return out;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** A JSON object from a file; null when absent or unreadable (a broken file is not copied). */
function readJson(path: string): Json | null {
  try {
    const value: unknown = JSON.parse(readFileSync(path, "utf8"));
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text.endsWith("\n") ? text : `${text}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function copyIfMissing(from: string, to: string): void {
  if (!existsSync(from) || existsSync(to)) return;
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { dereference: true });
  chmodSync(to, 0o600);
}

function copyTreeIfMissing(from: string, to: string): void {
  if (!existsSync(from) || existsSync(to)) return;
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, dereference: true });
}
