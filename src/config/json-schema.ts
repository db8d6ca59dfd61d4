/**
 * The configuration's JSON Schema, generated from the zod schema (the one source of truth), for
 * editors: `init` writes it beside the config and the config's first line points at it
 * (`# yaml-language-server: $schema=./config.schema.json`), so VS Code, Neovim and others
 * validate and complete `.ballador/config.yaml`. The package ships the same file as
 * schemas/config.schema.json; a test keeps it in sync.
 */
import { z } from "zod";
import { ConfigLayerSchema } from "./schema.js";

export const CONFIG_SCHEMA_FILE = "config.schema.json";

/** What editors show on hover: docs/configuration.md's key table, key by key (dotted paths). */
const DESCRIPTIONS: Record<string, string> = {
  base: "Branch, tag or commit new worktrees start from; `merge` moves it (must be a branch). Default: the branch checked out at init.",
  branch_prefix: "Task branch = prefix + task id. Default: ballador/",
  worktree_root:
    "Where task worktrees go; {repo} is the repository's folder name. Default: ../{repo}.ballador",
  specs_dir: "The living specs' folder. Default: specs",
  parts_dir: "The parts' folder. Default: .ballador/parts",
  max_parallel: "Runs at once on this machine (runs on runners count against their max_sessions). Default: 5",
  max_attempts: "Attempts per profile before the fallback, then failed. Default: 3",
  stack: "true: dependents start once their dependencies are in review, from their branches. Default: false",
  merge_strategy: "merge always makes a merge commit; ff fast-forwards when possible. Default: merge",
  vcs: "git or jj (Jujutsu, minimum jj 0.46.0): which tool makes each run's isolated tree, a git worktree or a jj workspace (needs a sandbox; colocated or not, see docs/jujutsu.md; a jj repository that is not colocated takes only jj). Default (null): what the repository uses, jj when it has a .jj folder",
  reviewer:
    "A profile that reads verified work in a read-only sandbox and approves or requests changes. Default: none",
  remote: "Where `ballador pr` pushes. Default: origin",
  verify: "The contract of done: the command every run must pass. Default: ./verify.sh when present",
  bootstrap:
    "Commands run in each new worktree and in each clean verification checkout (inside the sandbox), e.g. npm ci: they install the branch's dependencies.",
  verify_inputs:
    "Globs of the files that decide how tests run (conftest.py, vitest.config.*, ...): a clean verification judges the branch with the base's version, a pipeline gate refuses a change, merge asks for --accept-verify-change. Default (null): the built-in list per ecosystem (README, Verification).",
  copy: "Untracked files copied from the main checkout into each worktree (e.g. .env).",
  hooks: "Shell commands run at points of a task's life.",
  idle_timeout:
    "A run whose terminal shows nothing new for this long, with no report, is stopped and retried. Default: 20m",
  run_timeout: "Longest run; a profile's timeout overrides. Default: 2h",
  tmux_socket: "The tmux -L socket Ballador's sessions live on. Default: ballador",
  agents: "Agent profiles: how each agent CLI is started, with its environment, secrets and hosts.",
  "agents.default": "Profile for parts that name none. Default: claude",
  "agents.profiles": "Profiles by name: { preset } or { command, prompt, env, secrets, allow_hosts, ... }.",
  sandbox: "Isolation of every run (bubblewrap and a network proxy).",
  "sandbox.mode": "bwrap (default) or none (no isolation, loudly).",
  "sandbox.allow_hosts":
    "Hosts every run may reach (wildcards like *.npmjs.org). Default: [registry.npmjs.org]",
  "sandbox.allow_write": "Extra writable paths.",
  "sandbox.deny_read": "Extra unreadable paths, added to the built-in list (~/.ssh, ~/.aws, ...).",
};

type Node = { properties?: Record<string, Node>; description?: string; anyOf?: Node[] };

function describe(node: Node, prefix: string): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const text = DESCRIPTIONS[path];
    if (text) child.description = text;
    describe(child, path);
  }
}

export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ConfigLayerSchema, { target: "draft-2020-12", io: "input" }) as Record<
    string,
    unknown
  >;
  describe(generated as Node, "");
  return {
    $schema: generated.$schema,
    $id: "https://github.com/ballador/ballador/schemas/config.schema.json",
    title: "Ballador configuration (.ballador/config.yaml)",
    description:
      "Every key is optional; defaults and meanings are in the file ballador init writes and in docs/configuration.md.",
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== "$schema")),
  };
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
