/**
 * The built-in presets of Kilo Code's CLI, Factory's Droid, Augment's Auggie and Amp (issue 36), beside
 * presets.ts's: how each starts unattended, what it needs, and what was proven here with its real
 * binary (docs/specs/0010-agents.md has the measurements).
 */
import type { Preset } from "./presets.js";

const KILO = {
  env: [
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "OPENROUTER_API_KEY",
    "KILO_API_KEY",
    "KILO_CONFIG",
  ],
  // api.kilo.ai: its own gateway (the default provider with a Kilo login). Its model catalog,
  // session ingest and update check are turned off by the seeding (KILO_DISABLE_*).
  allowHosts: ["api.anthropic.com", "api.openai.com", "api.kilo.ai"],
  writable: [
    "~/.local/share/kilo",
    "~/.cache/kilo",
    "~/.local/state/kilo",
    "~/.local/state/kilo-sandbox-policy",
  ],
  // An OpenCode fork: read-only for the same reason as OpenCode's (no plugin install from npm).
  readOnlyHome: ["~/.config/kilo"],
  resume: ["--continue"],
  binary: "kilo",
  sessionState: ["~/.local/share/kilo"],
  firstRun:
    "~/.config/kilo and ~/.local/share/kilo/auth.json seeded from yours; the headless run passes --auto; no auto-update, model catalog fetch, LSP download, sharing or session ingest (KILO_DISABLE_*)",
  credentials: {
    env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "KILO_API_KEY"],
    files: ["~/.local/share/kilo/auth.json"],
  },
  versionArgs: ["--version"],
  install: "npm install -g @kilocode/cli",
} satisfies Partial<Preset>;

const DROID = {
  env: ["FACTORY_API_KEY"],
  // Factory's own model routing and login (its documentation); with a model of your own
  // (customModels in ~/.factory/settings.json) it needs only that model's host.
  allowHosts: ["api.factory.ai", "app.factory.ai"],
  writable: ["~/.factory"],
  binary: "droid",
  sessionState: ["~/.factory/sessions"],
  firstRun:
    "~/.factory seeded from yours (settings.json with your customModels, AGENTS.md, droids/, commands/; not your login unless FACTORY_API_KEY is passed) with cloud session sync, Droid-Shield and auto-update off; when settings.json names no model and has one custom model, that one is chosen; sandboxed, a ~/.factory/bin/ps that answers its command watcher in the sandbox's own PID namespace (else it kills every command still running at its first check)",
  credentials: {
    env: ["FACTORY_API_KEY"],
    files: ["~/.factory/settings.json"],
    otherwise:
      "add a model of your own to ~/.factory/settings.json (customModels: model, baseUrl, apiKey, provider anthropic or openai) and name it as `model`: no Factory login then",
  },
  versionArgs: ["--version"],
  install: "npm install -g @factory/cli",
} satisfies Partial<Preset>;

const AUGGIE = {
  env: ["AUGMENT_SESSION_AUTH", "AUGMENT_API_TOKEN", "AUGMENT_API_URL"],
  // Augment's backend is per tenant (the tenantURL of its session, *.api.augmentcode.com), so no
  // fixed host covers it: the profile must add the tenant's host. Not measured (no login here).
  allowHosts: ["auth.augmentcode.com"],
  writable: ["~/.augment"],
  resume: ["--continue"],
  binary: "auggie",
  sessionState: ["~/.augment/sessions"],
  firstRun: "~/.augment seeded from yours (session.json: its login, settings.json); auto-update off",
  credentials: {
    env: ["AUGMENT_SESSION_AUTH"],
    files: ["~/.augment/session.json"],
    otherwise:
      "run `auggie login` (it has no provider of your own: every request goes to Augment's service; add your tenant's host to sandbox.allow_hosts)",
  },
  versionArgs: ["--version"],
  install: "npm install -g @augmentcode/auggie",
} satisfies Partial<Preset>;

const AMP = {
  env: ["AMP_API_KEY", "AMP_URL"],
  // Every request (threads are kept server-side, the model runs there) goes to Amp's service.
  allowHosts: ["ampcode.com"],
  writable: ["~/.config/amp", "~/.local/share/amp", "~/.cache/amp"],
  // `threads continue --last`: the last thread of this checkout (a subcommand, so the retry of
  // the interactive preset runs headless: its prompt would be read as a thread id there).
  resume: ["threads", "continue", "--last"],
  binary: "amp",
  sessionState: ["~/.local/share/amp"],
  firstRun:
    "~/.config/amp/settings.json seeded from yours (all commands allowed, update checks off) and ~/.local/share/amp/secrets.json (its login)",
  credentials: {
    env: ["AMP_API_KEY"],
    files: ["~/.local/share/amp/secrets.json"],
    otherwise: "run `amp login` (it has no provider of your own: every request goes to ampcode.com)",
  },
  versionArgs: ["--version"],
  install: "npm install -g @ampcode/cli",
} satisfies Partial<Preset>;

export const KILO_DROID_AUGGIE: Readonly<Record<string, Preset>> = {
  kilo: {
    ...KILO,
    // --auto: its TUI asks before each shell command otherwise (measured; OpenCode's does not).
    command: ["kilo", "--auto", "--prompt", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    // Like OpenCode's, its TUI's `--continue --prompt P` is not relied on: the retry runs headless.
    resumeAs: "kilo-headless",
    // Its TUI's last line, below the prompt box ("ctrl+t variants  30 (0%) · $0.00  ctrl+p
    // commands  • Kilo 7.7.7"); a question it ends its turn with sits above the box.
    waitPattern: "ctrl\\+p commands",
    description: "Kilo Code's CLI, interactive TUI with the prompt submitted",
    tested:
      "Kilo CLI 7.7.7 (pinned in test/agent-clis), its TUI (--auto) in tmux, sandboxed, its anthropic provider against a local fake Messages API; the retry runs headless with --continue (test/agents/kilo.e2e.test.ts)",
  },
  "kilo-headless": {
    ...KILO,
    command: ["kilo", "run", "--auto", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    resumeAt: 2,
    description: "Kilo Code's CLI, one headless run (kilo run --auto)",
    tested:
      "Kilo CLI 7.7.7 (pinned in test/agent-clis), headless (run --auto) and sandboxed, its anthropic provider against a local fake Messages API; retry resumes with --continue (test/agents/kilo.e2e.test.ts)",
  },
  droid: {
    ...DROID,
    command: ["droid", "--auto", "high", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    description:
      "Factory's Droid, its TUI with the prompt submitted, high autonomy (needs a Factory login: with only a model of your own its TUI stops at its login screen)",
  },
  "droid-headless": {
    ...DROID,
    command: ["droid", "exec", "--skip-permissions-unsafe", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    // `--fork <id>`: the earlier session's conversation in a new session, whose token totals are
    // its own (`-s <id>` would add to the earlier session's totals: counted twice).
    resume: ["--fork", "{session}"],
    resumeAt: 2,
    resumeSession: "droid",
    description: "Factory's Droid, one headless run (droid exec), every permission skipped",
    tested:
      "Droid 0.225.2 (pinned in test/agent-clis), headless (droid exec) and sandboxed, a custom anthropic model against a local fake Messages API; a retry continues the conversation with --fork <its session> (test/agents/droid.e2e.test.ts)",
  },
  auggie: {
    ...AUGGIE,
    command: ["auggie", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    description: "Augment's Auggie, interactive with the prompt submitted (needs an Augment login)",
  },
  "auggie-headless": {
    ...AUGGIE,
    command: ["auggie", "--print", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    description: "Augment's Auggie, one headless run (--print; needs an Augment login)",
  },
  amp: {
    ...AMP,
    // --dangerously-allow-all: hidden from its --help in this version, but parsed (an unknown
    // option is refused); the seeded amp.dangerouslyAllowAll says the same.
    command: ["amp", "--dangerously-allow-all", "{prompt}"],
    prompt: "arg",
    mode: "interactive",
    resumeAs: "amp-headless",
    description: "Amp, interactive with the prompt submitted (needs an Amp login)",
  },
  "amp-headless": {
    ...AMP,
    command: ["amp", "--dangerously-allow-all", "-x", "{prompt}"],
    prompt: "arg",
    mode: "headless",
    description: "Amp, one headless run (-x; needs an Amp login)",
  },
};
