/** The commented configuration that `ballador init` writes: every key with its default and meaning. */

export interface TemplateInput {
  base: string;
  detectedAgents: string[];
  verify: string | null;
  /** Suggested bootstrap commands (detected with verify); default none. */
  bootstrap?: readonly string[];
}

export function renderDefaultConfig(input: TemplateInput): string {
  const agents = input.detectedAgents.length > 0 ? input.detectedAgents : ["claude"];
  const defaultAgent = agents[0] as string;
  const profiles = agents.map((name) => `    ${name}: { preset: ${name} }`).join("\n");
  return [
    whereSection(input.base),
    runsSection(input.verify),
    TIMEOUTS,
    NOTIFY,
    BUDGET,
    setupSection(input.bootstrap),
    agentsSection(defaultAgent, profiles),
    SANDBOX,
  ].join("");
}

// The template's sections, in order; each ends with its newline (and the blank line after it).

/** The header, the base and where branches, worktrees, specs and parts go. */
function whereSection(base: string): string {
  return `# yaml-language-server: $schema=./config.schema.json
# Ballador configuration. Every key is optional; the values shown are the defaults.
# Layers, lowest first: built-in defaults, $XDG_CONFIG_HOME/ballador/config.yaml,
# BALLADOR_* environment variables, then this file (this file wins).

# Branch, tag or commit that new task worktrees start from.
base: ${base}
# Task branch = <branch_prefix><task-id>
branch_prefix: ballador/
# Where task worktrees are created; {repo} is this repository's folder name.
worktree_root: ../{repo}.ballador
# Living specs and the parts cut from them.
specs_dir: specs
parts_dir: .ballador/parts

`;
}

/** How many run, how often, how work is delivered and verified, and who reviews and conducts. */
function runsSection(verify: string | null): string {
  return `# How many agents run at once, and how often a task is tried before it fails.
max_parallel: 5
max_attempts: 3
# true: a task may start once its dependencies are in review, from their branches.
stack: false
# ballador merge: "merge" always makes a merge commit; "ff" fast-forwards when it can.
merge_strategy: merge
# ballador pr pushes task branches to this remote.
remote: origin
# The contract of done: a command run in the task's worktree; exit 0 means verified. Without one,
# tasks reach review "unverified" and ballador merge asks for --unverified.
verify: ${verify === null ? "null   # e.g. ./verify.sh or npm test" : JSON.stringify(verify)}
# A profile that reads verified work (read-only) and approves or requests changes; null: none.
reviewer: null
# The profile that drafts specs and cuts them into parts (ballador spec draft, ballador plan),
# run headless in the sandbox with only its output folder writable; null: agents.default.
conductor: null
`;
}

/** How long a run may take or stay quiet, and when an agent that waits for a person is nudged. */
const TIMEOUTS = `# How long one run may take before it is stopped and failed (reason: timeout).
run_timeout: 2h
# A run whose terminal shows nothing new for this long, without reporting, is stopped and retried
# (an interactive agent that ended its turn without "ballador done").
idle_timeout: 20m
# After "ballador done" was refused (verify failed), the refusal is typed into an interactive
# agent's input at once; a run whose terminal then shows nothing new for this long starts its
# next attempt, with the failure in its prompt.
refused_idle: 1m
# An agent that waits for a person (its hook says so, or a question stays on its screen for
# "quiet") shows "needs you" in status and next; after "nudge_after" more Ballador types "nudge"
# into its terminal; idle_timeout still ends the attempt. A profile may override these keys.
needs_you:
  quiet: 30s
  nudge_after: 2m
`;

/** Notifications and the watcher's sync. */
const NOTIFY = `# Events (needs_you, review, failed, blocked, conflict_predicted, all_done) ring the terminal
# bell of "ballador launch --watch", show on the desktop (notify-send, where installed), run a
# command (the events as JSON on stdin) and POST to a webhook; events within "coalesce" are one.
# Without a watcher, each run's supervisor sends review, failed and blocked itself.
notify:
  bell: true
  desktop: true
  command: ""
  webhook: ""
  coalesce: 2s
# "ballador launch --watch" runs "ballador sync" this often (pull request state through gh: a
# merge on the forge marks the task merged); 0s never.
sync:
  every: 0s
# Task sources: a tracker's issues labelled "ballador" and assigned to you become parts
# ("ballador source sync"; launch --watch syncs every sources.every). See docs/sources.md.
# sources:
#   every: 5m
#   trackers:
#     github: { type: github }                                  # the remote's issues, through gh
#     linear: { type: linear, api_key: { env: LINEAR_API_KEY } }
#     jira: { type: shell, command: "node scripts/jira-source.mjs" }
`;

/** Budgets and the prices that turn tokens into USD. */
const BUDGET = `# A task's budget (every attempt since a person last started it; a profile's budget overrides):
# a run that passes it is stopped and the task blocked with reason "budget". tokens counts every
# kind (input, output, cache reads and writes) from the agent's own records; usd needs prices.
# launch: the same for everything one downbeat starts (a launch, or launch --watch with all its
# waves; automatic retries included): passing it stops those runs and no new work starts.
#   budget: { tokens: 2000000, launch: { usd: 20 } }
budget: {}
# USD per million tokens, per model name or glob, e.g.
#   "claude-sonnet-*": { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }
prices: {}

`;

/** What each new worktree gets before the agent starts: bootstrap, verify inputs, copies and hooks. */
function setupSection(bootstrap: readonly string[] | undefined): string {
  return `# Commands run in each new worktree before the agent starts, and in each clean verification
# checkout before verify (e.g. npm ci): they install the branch's own dependencies.
bootstrap: ${JSON.stringify(bootstrap ?? [])}
# Files that decide how tests run, judged by the base's version (globs). null: the defaults
# (conftest.py, pytest.ini, tox.ini, setup.cfg, jest/vitest/vite configs, .mocharc*,
# tsconfig*.json, .npmrc, .cargo/config.toml; Makefile when verify runs make). From
# package.json only the scripts verify reaches are pinned, never the dependencies.
verify_inputs: null
# Untracked files copied from this checkout into each new worktree (e.g. .env).
copy: []
# Shell commands run at each step; they get BALLADOR_TASK_ID, BALLADOR_RUN_ID,
# BALLADOR_WORKTREE, BALLADOR_BRANCH and BALLADOR_ATTEMPT in their environment.
hooks:
  before_launch: ""
  after_run: ""
  on_review: ""
  on_fail: ""

`;
}

/** The agent profiles (the detected agents' presets) and how to write one. */
function agentsSection(defaultAgent: string, profiles: string): string {
  return `agents:
  # Profile used by parts that name no agent.
  default: ${defaultAgent}
  profiles:
${profiles}
    # A profile is a preset or a command (an argument list, never a shell line):
    # script:
    #   command: ["./tools/agent.sh", "{prompt_file}"]   # {prompt} {prompt_file} {task} {worktree}
    #   prompt: file            # arg | file | stdin
    #   env: [FOO]              # host variables passed through (everything else is withheld)
    #   secrets:                # resolved on the host: { env: VAR } | { file: PATH } | { command: [argv] }
    #     API_TOKEN: { env: API_TOKEN, hosts: [api.example.com] }   # masked: the agent sees a stand-in
    #     # the real value goes into Authorization only; header: x-api-key for another, in_body: true for bodies
    #   max_sessions: 2         # at most this many runs of this profile at once
    #   fallback: claude        # profile that takes over after max_attempts

`;
}

/** The sandbox. */
const SANDBOX = `sandbox:
  # bwrap: every run inside bubblewrap with a network allowlist. none: no isolation (loud).
  mode: bwrap
  allow_hosts: ["registry.npmjs.org"]
  # Not "/", your HOME or a credentials folder (~/.ssh, ~/.aws, ...); allow_hosts not "*":
  # those switch most of the sandbox off and are refused unless you say so below.
  allow_write: []
  deny_read: ["~/.ssh", "~/.aws"]
  # i_know_this_disables_the_sandbox: true   # status, doctor and the dashboard then say so in red
  # Masked secrets' hosts signed by a CA of your own (a company's internal CA): its PEM file,
  # trusted by the proxy that adds the real values (beside NODE_EXTRA_CA_CERTS) and inside.
  # upstream_ca: ["~/certs/corp-ca.pem"]
`;
