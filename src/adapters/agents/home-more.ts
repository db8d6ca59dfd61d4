/**
 * Seeding the run's HOME for GitHub Copilot CLI and Qwen Code (home.ts does the other agents):
 * the person's own config and login copied in, then what an unattended run needs. Measured with
 * Copilot CLI 1.0.102 and Qwen Code 0.24.4 under the sandbox (docs/specs/0010-agents.md).
 */
import { join } from "node:path";
import type { HomeFiles } from "../hostile/index.js";
import type { AgentHomeContext } from "./home.js";
import {
  copyIfMissing,
  isObject,
  jsonOf,
  pathsOf,
  readPersonal,
  readPersonalJson,
  withBalladorHooks,
  writeJson,
} from "./home-json.js";

/**
 * Copilot CLI (COPILOT_HOME = ~/.copilot): the person's settings, instructions and config.json
 * (where its login lives when no system keychain is reachable, as inside the sandbox), the
 * worktree in config.json's `trustedFolders` (else the TUI asks first; settings.json's list is
 * not read for that), and no self-update. With a model provider of the person's own
 * (COPILOT_PROVIDER_BASE_URL), offline mode: no GitHub login is needed then, and its GitHub
 * traffic (telemetry, the GitHub MCP server) stays off.
 */
export function seedCopilot(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".copilot");
  home.dir(".copilot");
  copyIfMissing(home, join(personal, "copilot-instructions.md"), ".copilot/copilot-instructions.md");
  const own = home.read(".copilot/config.json");
  const config = copilotConfig(own ?? readPersonal(join(personal, "config.json")));
  if (config) {
    const trusted = Array.isArray(config.trustedFolders)
      ? config.trustedFolders.filter((f): f is string => typeof f === "string")
      : [];
    for (const path of pathsOf(ctx.worktree)) if (!trusted.includes(path)) trusted.push(path);
    home.write(
      ".copilot/config.json",
      `${COPILOT_CONFIG_HEAD}${JSON.stringify({ ...config, trustedFolders: trusted }, null, 2)}\n`,
      0o600,
    );
  } else if (own === null) {
    // Not JSON as Copilot writes it: copied as it is (the login stays; the TUI asks for trust).
    copyIfMissing(home, join(personal, "config.json"), ".copilot/config.json");
  }
  const settings =
    jsonOf(home.read(".copilot/settings.json")) ?? readPersonalJson(join(personal, "settings.json"));
  // Its settings.json takes Claude Code's hook events and shape (PascalCase events get Claude's
  // snake_case input, hook_event_name included): needs you comes from them, as for Claude Code.
  writeJson(home, ".copilot/settings.json", {
    ...(settings ?? {}),
    hooks: withBalladorHooks(settings?.hooks),
  });
  const byok = Boolean(ctx.env.COPILOT_PROVIDER_BASE_URL?.trim());
  return {
    env: {
      COPILOT_AUTO_UPDATE: "false",
      ...(byok && ctx.env.COPILOT_OFFLINE === undefined ? { COPILOT_OFFLINE: "true" } : {}),
    },
  };
}

/** The comment lines Copilot CLI heads its config.json with. */
const COPILOT_CONFIG_HEAD =
  "// User settings belong in settings.json.\n// This file is managed automatically.\n";

/**
 * Copilot CLI's config.json (its state: the login when no keychain is reachable, trusted
 * folders): JSON after comment lines. An empty object when absent; null when it is not that.
 */
function copilotConfig(text: string | null): Record<string, unknown> | null {
  if (text === null) return {};
  const body = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("//"))
    .join("\n");
  return jsonOf(body);
}

/** The auth type Qwen Code needs chosen, from the key passed (its order: OpenAI first, its most used). */
function qwenAuthType(env: AgentHomeContext["env"]): string | null {
  if (env.OPENAI_API_KEY) return "openai";
  if (env.ANTHROPIC_API_KEY) return "anthropic";
  if (env.GEMINI_API_KEY) return "gemini";
  return null;
}

/**
 * Qwen Code (~/.qwen, a Gemini CLI fork): the person's settings and instructions, an auth type
 * chosen from the key passed when theirs names none (else it stops at an auth dialog), the
 * worktree trusted, no auto-update, usage statistics or telemetry (hosts the allowlist denies).
 */
export function seedQwen(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".qwen");
  home.dir(".qwen");
  for (const file of ["QWEN.md", "AGENTS.md", "oauth_creds.json"])
    copyIfMissing(home, join(personal, file), `.qwen/${file}`);
  const settings =
    jsonOf(home.read(".qwen/settings.json")) ?? readPersonalJson(join(personal, "settings.json")) ?? {};
  const general = isObject(settings.general) ? settings.general : {};
  const security = isObject(settings.security) ? settings.security : {};
  const auth = isObject(security.auth) ? security.auth : {};
  const privacy = isObject(settings.privacy) ? settings.privacy : {};
  const telemetry = isObject(settings.telemetry) ? settings.telemetry : {};
  const chosen = auth.selectedType ? null : qwenAuthType(ctx.env);
  writeJson(home, ".qwen/settings.json", {
    ...settings,
    general: { ...general, enableAutoUpdate: false, disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { ...privacy, usageStatisticsEnabled: false },
    telemetry: { ...telemetry, enabled: false },
    security: { ...security, auth: { ...auth, ...(chosen ? { selectedType: chosen } : {}) } },
    // Claude Code's hook events and shape: needs you comes from them, as for Claude Code.
    hooks: withBalladorHooks(settings.hooks),
  });
  const trusted = jsonOf(home.read(".qwen/trustedFolders.json")) ?? {};
  for (const path of pathsOf(ctx.worktree)) trusted[path] = "TRUST_FOLDER";
  writeJson(home, ".qwen/trustedFolders.json", trusted);
  // Its headless --yolo prints a warning about running unsandboxed: Ballador's sandbox is the boundary.
  return { env: ctx.sandboxed ? { QWEN_CODE_SUPPRESS_YOLO_WARNING: "1" } : {} };
}
