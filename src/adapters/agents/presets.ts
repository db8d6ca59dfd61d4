/**
 * Built-in agent profiles: how each agent CLI is started unattended. A configured profile
 * names a preset and may override any field.
 */
import type { PROMPT_DELIVERIES } from "../../config/schema.js";

export type PromptDelivery = (typeof PROMPT_DELIVERIES)[number];

export interface Preset {
  command: string[];
  prompt: PromptDelivery;
  /** Host variables the agent needs (passed by name only). */
  env: string[];
  /** API hosts its network allowlist needs. */
  allowHosts: string[];
  /** Folders (under $HOME) the agent writes its own config and cache into. */
  writable: string[];
  description: string;
}

export const PRESETS: Readonly<Record<string, Preset>> = {
  claude: {
    command: ["claude", "--dangerously-skip-permissions", "{prompt}"],
    prompt: "arg",
    env: ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "CLAUDE_CODE_OAUTH_TOKEN"],
    allowHosts: ["api.anthropic.com", "statsig.anthropic.com"],
    writable: ["~/.claude", "~/.claude.json"],
    description: "Claude Code, interactive in tmux, permissions skipped",
  },
  codex: {
    command: ["codex", "--dangerously-bypass-approvals-and-sandbox", "{prompt}"],
    prompt: "arg",
    env: ["OPENAI_API_KEY", "OPENAI_BASE_URL"],
    allowHosts: ["api.openai.com"],
    writable: ["~/.codex"],
    description: "OpenAI Codex CLI, approvals bypassed (Ballador's sandbox is the boundary)",
  },
  gemini: {
    command: ["gemini", "--yolo", "--prompt-interactive", "{prompt}"],
    prompt: "arg",
    env: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    allowHosts: ["generativelanguage.googleapis.com"],
    writable: ["~/.gemini"],
    description: "Gemini CLI in yolo mode",
  },
  aider: {
    command: ["aider", "--yes-always", "--message-file", "{prompt_file}"],
    prompt: "file",
    env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"],
    allowHosts: ["api.anthropic.com", "api.openai.com"],
    writable: ["~/.aider"],
    description: "Aider with every confirmation answered yes",
  },
  opencode: {
    command: ["opencode", "run", "{prompt}"],
    prompt: "arg",
    env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"],
    allowHosts: ["api.anthropic.com", "api.openai.com"],
    writable: ["~/.local/share/opencode", "~/.config/opencode"],
    description: "OpenCode, one non-interactive run",
  },
  "cursor-agent": {
    command: ["cursor-agent", "--force", "{prompt}"],
    prompt: "arg",
    env: ["CURSOR_API_KEY"],
    allowHosts: ["api.cursor.com", "api2.cursor.sh"],
    writable: ["~/.cursor"],
    description: "Cursor's agent CLI with commands allowed",
  },
  scripted: {
    command: ["ballador-scripted-agent", "{prompt_file}"],
    prompt: "file",
    env: [],
    allowHosts: [],
    writable: [],
    description: "Ballador's scripted agent: follows the ballador-script block in its prompt (tests, demo)",
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}
