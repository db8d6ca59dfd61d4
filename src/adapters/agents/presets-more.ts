/**
 * The built-in presets of GitHub Copilot CLI and Qwen Code (issue 36), beside presets.ts's: how
 * each starts unattended, what it needs, and what was proven here with its real binary.
 */
import type { Preset } from "./presets.js";

const COPILOT = {
  env: [
    "COPILOT_GITHUB_TOKEN",
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "COPILOT_PROVIDER_BASE_URL",
    "COPILOT_PROVIDER_TYPE",
    "COPILOT_PROVIDER_API_KEY",
    "COPILOT_PROVIDER_WIRE_API",
    "COPILOT_MODEL",
  ],
  // Its GitHub login and Copilot's model routing (GitHub's documentation; a run against a model
  // provider of the person's own, COPILOT_PROVIDER_BASE_URL, goes offline and needs none).
  allowHosts: [
    "github.com",
    "api.github.com",
    "api.githubcopilot.com",
    "api.individual.githubcopilot.com",
    "api.business.githubcopilot.com",
    "api.enterprise.githubcopilot.com",
  ],
  // ~/.cache/copilot: its executable unpacks its own package there (about 235 MB) at first start.
  writable: ["~/.copilot", "~/.cache/copilot"],
  resume: ["--continue"],
  binary: "copilot",
  // Its TUI's footer when it waits at its prompt (working, it reads "Working · … interrupt"); a
  // question it ends its turn with sits above the prompt box, never on the last line.
  waitPattern: "/ commands · \\? help",
  sessionState: ["~/.copilot/session-state"],
  firstRun:
    "~/.copilot seeded from yours (settings.json, config.json: where its login lives without a keychain, copilot-instructions.md) with the worktree in trustedFolders and ballador hook for Claude Code's hook events in settings.json (needs you from them); no auto-update (COPILOT_AUTO_UPDATE=false, --no-auto-update); COPILOT_OFFLINE=true when COPILOT_PROVIDER_BASE_URL (a model provider of your own) is passed",
  credentials: {
    env: ["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN", "COPILOT_PROVIDER_BASE_URL"],
    // Its `copilot login` keeps the token in a system keychain, which a sandboxed run cannot
    // reach (without one, in ~/.copilot/config.json, which is carried): a file says nothing.
    files: [],
    otherwise:
      "point it at a model provider of your own (COPILOT_PROVIDER_BASE_URL, COPILOT_PROVIDER_TYPE, COPILOT_PROVIDER_API_KEY, COPILOT_MODEL; no GitHub login then)",
  },
  versionArgs: ["--version"],
  install: "npm install -g @github/copilot",
} satisfies Partial<Preset>;

const QWEN = {
  env: [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "GEMINI_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "DASHSCOPE_API_KEY",
  ],
  // Its default providers: Alibaba Cloud Model Studio (DashScope, China and international),
  // and OpenAI, Anthropic and Gemini APIs for those auth types.
  allowHosts: [
    "dashscope.aliyuncs.com",
    "dashscope-intl.aliyuncs.com",
    "api.openai.com",
    "api.anthropic.com",
    "generativelanguage.googleapis.com",
  ],
  writable: ["~/.qwen"],
  resume: ["--continue"],
  binary: "qwen",
  // Its TUI's footer at its prompt in yolo mode; working, it reads "Enter to steer · … · YOLO mode".
  waitPattern: "^\\s*YOLO mode \\(shift \\+ tab to cycle\\)\\s*$",
  sessionState: ["~/.qwen/projects"],
  firstRun:
    "~/.qwen seeded from yours (settings.json, QWEN.md, AGENTS.md) with the auth type chosen from the key passed (openai, anthropic or gemini) when yours names none, the worktree trusted, ballador hook for Claude Code's hook events (needs you from them), auto-update, usage statistics and telemetry off",
  credentials: {
    env: ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "DASHSCOPE_API_KEY"],
    // Its Qwen OAuth sign-in (`qwen auth`) is removed in 0.24: a key it is.
    files: [],
    otherwise:
      "set ANTHROPIC_API_KEY or GEMINI_API_KEY instead (for a gateway of your own, also OPENAI_BASE_URL or ANTHROPIC_BASE_URL)",
  },
  versionArgs: ["--version"],
  install: "npm install -g @qwen-code/qwen-code",
} satisfies Partial<Preset>;

export const COPILOT_AND_QWEN: Readonly<Record<string, Preset>> = {
  copilot: {
    ...COPILOT,
    command: ["copilot", "--yolo", "--no-auto-update", "--disable-client-telemetry", "-i", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    description:
      "GitHub Copilot CLI, interactive with the prompt run (-i), every permission granted (--yolo)",
    tested:
      "Copilot CLI 1.0.102 (pinned in test/agent-clis), interactive in tmux and sandboxed, its anthropic BYOK provider against a local fake Messages API; retry resumes with --continue (test/agents/copilot.e2e.test.ts)",
  },
  "copilot-headless": {
    ...COPILOT,
    command: [
      "copilot",
      "--yolo",
      "--no-auto-update",
      "--disable-client-telemetry",
      "--no-ask-user",
      "-p",
      "{prompt}",
    ],
    prompt: "arg",
    mode: "headless",
    description: "GitHub Copilot CLI, one headless run (-p), every permission granted (--yolo)",
    tested:
      "Copilot CLI 1.0.102 (pinned in test/agent-clis), headless (-p) and sandboxed, its anthropic BYOK provider against a local fake Messages API; retry resumes with --continue (test/agents/copilot.e2e.test.ts)",
  },
  qwen: {
    ...QWEN,
    command: ["qwen", "--yolo", "--prompt-interactive", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    description: "Qwen Code, interactive with the prompt run (--prompt-interactive), in yolo mode",
    tested:
      "Qwen Code 0.24.4 (pinned in test/agent-clis), interactive in tmux and sandboxed, its anthropic auth type against a local fake Messages API; retry resumes with --continue (test/agents/qwen.e2e.test.ts)",
  },
  "qwen-headless": {
    ...QWEN,
    command: ["qwen", "--yolo", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    description: "Qwen Code, one headless run (the prompt as its argument), in yolo mode",
    tested:
      "Qwen Code 0.24.4 (pinned in test/agent-clis), headless and sandboxed, its anthropic auth type against a local fake Messages API; retry resumes with --continue (test/agents/qwen.e2e.test.ts)",
  },
};
