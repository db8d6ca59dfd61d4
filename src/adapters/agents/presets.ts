/**
 * Built-in agent profiles: how each agent CLI is started unattended. A configured profile
 * names a preset and may override any field.
 *
 * Each agent has its default preset (interactive in tmux where the agent has a TUI that takes
 * a first prompt) and, where it has one, a headless variant (`<agent>-headless`: runs the
 * prompt and exits) that a person may choose instead. Everything here is data, so the
 * agent table in docs/agents.md and `ballador doctor` read the same facts.
 */
import type { PROMPT_DELIVERIES } from "../../config/schema.js";
import { KILO_DROID_AUGGIE } from "./presets-kilo-droid.js";
import { COPILOT_AND_QWEN } from "./presets-more.js";

export type PromptDelivery = (typeof PROMPT_DELIVERIES)[number];

export type AgentMode = "interactive" | "headless";

export interface Preset {
  command: string[];
  prompt: PromptDelivery;
  /** Host variables the agent needs (passed by name only). */
  env: string[];
  /** API hosts its network allowlist needs. */
  allowHosts: string[];
  /** Folders (under $HOME) the agent writes its own config and cache into. */
  writable: string[];
  /**
   * Folders of the run's HOME the agent may read but never write (mounted read-only), each made
   * by the seeding before the agent starts: for an agent that skips work it does not need
   * when it finds them so (OpenCode installs its plugin package from npm into every writable
   * config folder, and waits for that before it sends the first prompt).
   */
  readOnlyHome?: string[];
  /**
   * Arguments that continue the previous conversation (after a failed verify), when the agent
   * has them: inserted into the expanded command at `resumeAt` (default 1, right after the
   * program); use `withResume`. The conversation lives in the agent's HOME, so the previous
   * run's `sessionState` must be carried into the new HOME (prepareAgentHome's previousHome).
   * `{session}` in it stands for the id of the conversation to continue, found in the agent's
   * records (`resumeSession`).
   */
  resume?: string[];
  /** Whose records name the session `{session}` stands for (droid-session.ts). */
  resumeSession?: "droid";
  /** Where `resume` goes in the command when not right after the program (e.g. after a subcommand). */
  resumeAt?: number;
  /**
   * The preset whose command (and resume) a resumed attempt runs instead, with the same prompt:
   * for an interactive agent whose own resume loses the new prompt (measured: Gemini CLI's
   * `--resume latest --prompt-interactive P` drops P once the old history is swapped in;
   * OpenCode's `--continue --prompt P` never sends P), the retry runs headless, which resumes
   * correctly. The tmux pane still shows it; it exits when done.
   */
  resumeAs?: string;
  description: string;
  /** The agent's own program (what doctor and init look for); the command may wrap it. */
  binary?: string;
  /** interactive: a TUI in the tmux pane that stays open; headless: runs the prompt and exits. */
  mode?: AgentMode;
  /**
   * The question pattern (regular expression source, case-insensitive) that, on the last line
   * of its screen after needs_you.quiet of silence, means it waits for a person; default
   * DEFAULT_WAIT_PATTERN (src/core/needs-you.ts).
   */
  waitPattern?: string;
  /** Paths under HOME holding the agent's conversations, carried to a resumed run's HOME. */
  sessionState?: string[];
  /** How first-run dialogs (onboarding, trust, permission warnings) are kept away. */
  firstRun?: string;
  /**
   * What makes it usable unattended: any one of these variables set (and passed by the
   * profile), or one of these files in the person's HOME (a login that is copied into the run).
   */
  credentials?: {
    env: string[];
    files: string[];
    /** Another way to make it usable, added to doctor's fix when there are no credentials. */
    otherwise?: string;
  };
  /** Arguments that print the version without touching the network. */
  versionArgs?: string[];
  /** How to install it. */
  install?: string;
  /** What was proven here with the real binary; absent: not tested with a real binary. */
  tested?: string;
}

const CLAUDE_ENV = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "ANTHROPIC_BASE_URL",
  "ANTHROPIC_MODEL",
  "CLAUDE_CODE_OAUTH_TOKEN",
];
const CLAUDE = {
  env: CLAUDE_ENV,
  // platform.claude.com: refreshing a subscription login's token; downloads.claude.ai: the
  // model catalog.
  allowHosts: ["api.anthropic.com", "platform.claude.com", "downloads.claude.ai"],
  writable: ["~/.claude", "~/.claude.json"],
  resume: ["--continue"],
  binary: "claude",
  sessionState: ["~/.claude/projects"],
  firstRun:
    "~/.claude.json seeded: onboarding done, the worktree trusted, the API key pre-approved; ~/.claude/settings.json: skipDangerousModePermissionPrompt; IS_SANDBOX=1",
  credentials: {
    env: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"],
    files: ["~/.claude/.credentials.json"],
  },
  versionArgs: ["--version"],
  install: "npm install -g @anthropic-ai/claude-code",
} satisfies Partial<Preset>;

const CODEX = {
  env: ["OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL"],
  // chatgpt.com and auth.openai.com: a ChatGPT login and its token refresh.
  allowHosts: ["api.openai.com", "chatgpt.com", "auth.openai.com"],
  writable: ["~/.codex"],
  binary: "codex",
  sessionState: ["~/.codex/sessions"],
  firstRun:
    "~/.codex seeded from yours (config.toml, AGENTS.md) with: the worktree trusted, allow_login_shell = false (Debian's login profile would reset PATH and lose the ballador shim), openai_base_url from OPENAI_BASE_URL (Codex ignores the variable), update check, analytics and plugin sync off; a login made from OPENAI_API_KEY or CODEX_API_KEY (as `codex login --with-api-key` writes it) so the TUI does not stop at sign-in, else your auth.json; the interactive preset runs with --no-daemon (needed inside bubblewrap)",
  credentials: { env: ["OPENAI_API_KEY", "CODEX_API_KEY"], files: ["~/.codex/auth.json"] },
  versionArgs: ["--version"],
  install: "npm install -g @openai/codex",
} satisfies Partial<Preset>;

const GEMINI = {
  env: ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_CLOUD_PROJECT"],
  allowHosts: ["generativelanguage.googleapis.com", "oauth2.googleapis.com", "cloudcode-pa.googleapis.com"],
  writable: ["~/.gemini"],
  resume: ["--resume", "latest"],
  binary: "gemini",
  sessionState: ["~/.gemini/tmp"],
  firstRun:
    "--skip-trust; ~/.gemini seeded from yours (settings.json, oauth_creds.json) with the auth type chosen from the key present, auto-update and usage statistics off",
  credentials: { env: ["GEMINI_API_KEY", "GOOGLE_API_KEY"], files: ["~/.gemini/oauth_creds.json"] },
  versionArgs: ["--version"],
  install: "npm install -g @google/gemini-cli",
} satisfies Partial<Preset>;

const OPENCODE = {
  env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "OPENCODE_CONFIG"],
  // Its model catalog (models.opencode.ai) is not fetched: OPENCODE_DISABLE_MODELS_FETCH.
  allowHosts: ["api.anthropic.com", "api.openai.com"],
  writable: ["~/.local/share/opencode", "~/.cache/opencode", "~/.local/state/opencode"],
  // Read-only, so it installs nothing there: writable, its TUI waited 40-100 s for an npm
  // install (of @opencode-ai/plugin) that the allowlist denies, before sending the prompt.
  readOnlyHome: ["~/.config/opencode"],
  resume: ["--continue"],
  binary: "opencode",
  sessionState: ["~/.local/share/opencode"],
  firstRun:
    "~/.config/opencode and ~/.local/share/opencode/auth.json seeded from yours; the headless run passes --auto; no auto-update, model catalog fetch, LSP download or sharing (OPENCODE_DISABLE_*)",
  credentials: {
    env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"],
    files: ["~/.local/share/opencode/auth.json"],
  },
  versionArgs: ["--version"],
  install: "npm install -g opencode-ai",
} satisfies Partial<Preset>;

const CURSOR = {
  env: ["CURSOR_API_KEY"],
  allowHosts: ["api2.cursor.sh", "api2direct.cursor.sh", "api.cursor.com"],
  writable: ["~/.cursor", "~/.config/cursor"],
  resume: ["--continue"],
  binary: "cursor-agent",
  sessionState: ["~/.cursor/chats"],
  firstRun:
    "--trust (workspace trust) and --force (commands allowed); ~/.cursor/cli-config.json seeded from yours",
  credentials: { env: ["CURSOR_API_KEY"], files: ["~/.config/cursor/auth.json"] },
  versionArgs: ["--version"],
  install: "curl https://cursor.com/install -fsS | bash",
} satisfies Partial<Preset>;

const PI = {
  env: ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY"],
  // PI_OFFLINE: no version check, package check or install ping (pi.dev), which the task does
  // not need.
  allowHosts: ["api.anthropic.com", "api.openai.com", "generativelanguage.googleapis.com"],
  writable: ["~/.pi"],
  resume: ["--continue"],
  binary: "pi",
  // Its TUI's footer (the context gauge, "↑20 ↓40 $0.001 0.0%/1.0M (auto) … model • medium"): the
  // same while it works, when a "⠹ Working..." spinner above the prompt box keeps the screen
  // moving, so only quiet with it last means waiting; the question sits above the prompt box.
  waitPattern: "\\d%/\\d[\\d.]*[kM]?\\b",
  sessionState: ["~/.pi/agent/sessions"],
  firstRun:
    "~/.pi/agent seeded from yours (settings.json, models.json, auth.json, AGENTS.md) with the install ping off, and the anthropic and openai providers' baseUrl from ANTHROPIC_BASE_URL and OPENAI_BASE_URL (Pi ignores the variables); PI_OFFLINE=1 (no start-up network calls)",
  credentials: {
    env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"],
    files: ["~/.pi/agent/auth.json"],
  },
  versionArgs: ["--version"],
  install: "npm install -g @mariozechner/pi-coding-agent",
} satisfies Partial<Preset>;

const CLINE = {
  env: ["CLINE_API_KEY"],
  // api.cline.bot: its own provider (the default) and sign-in.
  allowHosts: ["api.anthropic.com", "api.openai.com", "api.cline.bot"],
  writable: ["~/.cline"],
  binary: "cline",
  // Its TUI's last line with every tool auto-approved: the same while it works, when the spinner
  // on the running tool or request keeps the screen moving, so only quiet with it last means
  // waiting; the question sits above the prompt box ("❯ Ask anything...").
  waitPattern: "^\\s*⏵⏵ Auto-approve all enabled \\(Shift\\+Tab\\)\\s*$",
  sessionState: ["~/.cline/data/sessions"],
  firstRun:
    "~/.cline/data/settings/providers.json copied from yours (the provider, model, key and base URL `cline auth` wrote; nothing else of ~/.cline); sessions run in-process, not in its shared hub daemon (CLINE_SESSION_BACKEND_MODE=local), no self-update, telemetry or ClinePass notice",
  credentials: { env: ["CLINE_API_KEY"], files: ["~/.cline/data/settings/providers.json"] },
  versionArgs: ["--version"],
  install: "npm install -g cline",
} satisfies Partial<Preset>;

/**
 * Aider never runs shell commands under --yes-always, so it cannot call `ballador done`
 * itself: the wrapper reports done when aider exits 0, and verification decides.
 */
const AIDER_WRAPPER =
  'aider "$@" && exec ballador done --summary "aider finished its run (reported by the preset)"';

export const PRESETS: Readonly<Record<string, Preset>> = {
  claude: {
    ...CLAUDE,
    command: ["claude", "--dangerously-skip-permissions", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    description: "Claude Code, interactive in tmux, permissions skipped",
    tested:
      "Claude Code 2.1.337 (pinned in test/agent-clis), interactive in tmux and sandboxed, against a local fake Messages API; retry resumes with --continue (test/agents/claude.e2e.test.ts)",
  },
  "claude-headless": {
    ...CLAUDE,
    command: ["claude", "-p", "--dangerously-skip-permissions", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    description: "Claude Code, one headless run (-p), permissions skipped",
    tested:
      "Claude Code 2.1.337 (pinned in test/agent-clis), headless (-p) and sandboxed, against a local fake Messages API; retry resumes with --continue (test/agents/claude.e2e.test.ts)",
  },
  codex: {
    ...CODEX,
    // --no-daemon: inside bubblewrap the TUI cannot record its pid-managed app-server and exits
    // at once; the flag is valid after `resume --last` too.
    command: ["codex", "--no-daemon", "--dangerously-bypass-approvals-and-sandbox", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    resume: ["resume", "--last"],
    description: "OpenAI Codex CLI, interactive, approvals bypassed (Ballador's sandbox is the boundary)",
    tested:
      "Codex 0.171.0 (pinned in test/agent-clis), interactive in tmux and sandboxed, against a local fake Responses API; retry resumes with resume --last (test/agents/codex.e2e.test.ts)",
  },
  "codex-headless": {
    ...CODEX,
    command: ["codex", "exec", "--dangerously-bypass-approvals-and-sandbox", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    resume: ["resume", "--last"],
    resumeAt: 2,
    description: "OpenAI Codex CLI, one headless run (codex exec), approvals bypassed",
    tested:
      "Codex 0.171.0 (pinned in test/agent-clis), headless (codex exec) and sandboxed, against a local fake Responses API; retry resumes with exec resume --last (test/agents/codex.e2e.test.ts)",
  },
  gemini: {
    ...GEMINI,
    command: ["gemini", "--yolo", "--skip-trust", "--prompt-interactive", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    resumeAs: "gemini-headless",
    description: "Gemini CLI, interactive in yolo mode",
    tested:
      "Gemini CLI 0.61.0 (pinned in test/agent-clis), interactive in tmux and sandboxed, against a local fake Gemini API; retry resumes headless (test/agents/gemini.e2e.test.ts)",
  },
  "gemini-headless": {
    ...GEMINI,
    command: ["gemini", "--yolo", "--skip-trust", "--prompt", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    description: "Gemini CLI, one headless run (--prompt) in yolo mode",
    tested:
      "Gemini CLI 0.61.0 (pinned in test/agent-clis), headless and sandboxed, against a local fake Gemini API; retry resumes with --resume latest (test/agents/gemini.e2e.test.ts)",
  },
  aider: {
    command: [
      "sh",
      "-c",
      AIDER_WRAPPER,
      "aider",
      "--yes-always",
      "--restore-chat-history",
      "--message-file",
      "{prompt_file}",
    ],
    prompt: "file",
    env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "AIDER_MODEL"],
    allowHosts: ["api.anthropic.com", "api.openai.com"],
    writable: ["~/.aider"],
    // --restore-chat-history is always on: the history file lives in HOME and only a resumed
    // run (whose HOME received the previous one's) has one.
    resume: [],
    binary: "aider",
    mode: "headless",
    sessionState: ["~/.aider"],
    firstRun:
      "AIDER_* variables: no update check, no analytics prompt, no .gitignore edit; chat history kept in HOME, not the worktree",
    credentials: {
      env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"],
      files: [],
    },
    versionArgs: ["--version"],
    install: "pipx install aider-chat",
    description:
      "Aider, one headless run with every confirmation answered yes; done is reported when it exits 0",
  },
  opencode: {
    ...OPENCODE,
    command: ["opencode", "--prompt", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    resumeAs: "opencode-headless",
    description: "OpenCode, interactive TUI with the prompt submitted",
    tested:
      "OpenCode 1.18.33 (pinned in test/agent-clis), its TUI in tmux, sandboxed, its anthropic provider against a local fake Messages API; the retry runs headless with --continue (test/agents/opencode.e2e.test.ts)",
  },
  "opencode-headless": {
    ...OPENCODE,
    command: ["opencode", "run", "--auto", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    resumeAt: 2,
    description: "OpenCode, one headless run (opencode run --auto)",
    tested:
      "OpenCode 1.18.33 (pinned in test/agent-clis), headless (run --auto) and sandboxed, its anthropic provider against a local fake Messages API; retry resumes with --continue (test/agents/opencode.e2e.test.ts)",
  },
  ...COPILOT_AND_QWEN,
  pi: {
    ...PI,
    command: ["pi", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    description: "Pi, its TUI with the prompt submitted (tools run without asking)",
    tested:
      "Pi 0.73.1 (pinned in test/agent-clis), its TUI in tmux, sandboxed, its anthropic provider against a local fake Messages API; retry resumes with --continue (test/agents/pi.e2e.test.ts)",
  },
  "pi-headless": {
    ...PI,
    command: ["pi", "-p", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    description: "Pi, one headless run (-p)",
    tested:
      "Pi 0.73.1 (pinned in test/agent-clis), headless (-p) and sandboxed, its anthropic provider against a local fake Messages API; retry resumes with --continue (test/agents/pi.e2e.test.ts)",
  },
  cline: {
    ...CLINE,
    command: ["cline", "--tui", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    description: "Cline's CLI, its TUI with the prompt submitted, every tool auto-approved",
    tested:
      "Cline CLI 3.0.65 (pinned in test/agent-clis), its TUI in tmux, sandboxed, its anthropic provider against a local fake Messages API; no resume: a retry starts a new conversation (test/agents/cline.e2e.test.ts)",
  },
  "cline-headless": {
    ...CLINE,
    command: ["cline", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    description: "Cline's CLI, one headless run, every tool auto-approved",
    tested:
      "Cline CLI 3.0.65 (pinned in test/agent-clis), headless and sandboxed, its anthropic provider against a local fake Messages API; no resume: a retry starts a new conversation (test/agents/cline.e2e.test.ts)",
  },
  ...KILO_DROID_AUGGIE,
  "cursor-agent": {
    ...CURSOR,
    command: ["cursor-agent", "--force", "--trust", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    description: "Cursor's agent CLI, interactive, commands allowed",
  },
  "cursor-agent-headless": {
    ...CURSOR,
    command: ["cursor-agent", "-p", "--force", "--trust", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    description: "Cursor's agent CLI, one headless run (-p), commands allowed",
  },
  scripted: {
    command: ["ballador-scripted-agent", "{prompt_file}"],
    prompt: "file",
    env: [],
    allowHosts: [],
    writable: [],
    mode: "headless",
    description: "Ballador's scripted agent: follows the ballador-script block in its prompt (tests, demo)",
  },
};

/** The agents Ballador knows (one default preset each), in the order init lists them. */
export const AGENTS = [
  "claude",
  "codex",
  "gemini",
  "aider",
  "opencode",
  "cursor-agent",
  "copilot",
  "qwen",
  "pi",
  "cline",
  "kilo",
  "droid",
  "auggie",
  "amp",
] as const;

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** The program a preset's agent is (what to look for on PATH). */
export function presetBinary(preset: Preset): string {
  return preset.binary ?? (preset.command[0] as string);
}

/** The default preset of the agent a command starts (`opencode` for ["opencode", ...]), if any. */
export function presetOfProgram(program: string | undefined): Preset | undefined {
  const name = program?.split("/").pop();
  return AGENTS.find((a) => a === name) ? PRESETS[name as string] : undefined;
}

/**
 * The command that continues the previous conversation: `resume` inserted at `resumeAt`, or
 * null when the preset cannot resume or the command no longer has the preset's shape there.
 * `session` replaces `{session}` in `resume`; without one such a preset cannot resume.
 */
export function withResume(argv: readonly string[], preset: Preset, session?: string): string[] | null {
  const other = preset.resumeAs ? PRESETS[preset.resumeAs] : undefined;
  if (other) {
    // Only a command still of the preset's shape: its placeholders' values carry over.
    if (argv.length !== preset.command.length) return null;
    const values = new Map<string, string>();
    for (let i = 1; i < argv.length; i++) {
      const word = preset.command[i] as string;
      if (/^\{[a-z_]+\}$/.test(word)) values.set(word, argv[i] as string);
      else if (argv[i] !== word) return null;
    }
    const expanded = [argv[0] as string, ...other.command.slice(1).map((w) => values.get(w) ?? w)];
    return withResume(expanded, other, session);
  }
  if (!preset.resume) return null;
  const resume = preset.resume.map((w) => (w === "{session}" ? session : w));
  if (resume.some((w) => w === undefined)) return null;
  const at = preset.resumeAt ?? 1;
  if (argv.length < at) return null;
  // The words before the insertion point (subcommands) must be the preset's; the program
  // itself may have been resolved to a full path.
  for (let i = 1; i < at; i++) if (argv[i] !== preset.command[i]) return null;
  return [...argv.slice(0, at), ...(resume as string[]), ...argv.slice(at)];
}
