/**
 * The configuration contract. Every key a person or script may write is declared here, strict:
 * unknown keys are errors that name the file and the key path.
 */
import { z } from "zod";
import { parseDuration } from "../core/duration.js";
import { verifyInputProblem } from "../core/verify-inputs.js";
import { type RunnerConfig, RunnersRemoteSchema, RunnersSchema } from "./runners-schema.js";
import { type SourceConfig, SourcesSchema } from "./source-schema.js";

const Command = z.string().min(1, { message: "an empty command; remove the key or give a command" });

export const PROMPT_DELIVERIES = ["arg", "file", "stdin"] as const;

/**
 * How a secret reaches the agent: `mask` (the agent holds a per-run stand-in; the sandbox's proxy
 * puts the real value into requests to `hosts` only) or `pass` (the real value in its
 * environment). Mask is the default where `hosts` are declared.
 */
const SecretDelivery = {
  mode: z
    .enum(["mask", "pass"])
    .optional()
    .describe(
      "mask: the agent holds a stand-in, the proxy adds the real value to requests to `hosts`; pass: the real value in its environment. Default: mask when hosts are given, else pass",
    ),
  hosts: z
    .array(z.string().min(1))
    .min(1, { message: "an empty list; name the hosts whose requests get the real value, or remove it" })
    .optional()
    .describe(
      "The only hosts whose requests get the real value of a masked secret (wildcards like *.example.com)",
    ),
  at: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Give a masked secret as a file in the run's HOME (e.g. ~/.config/tool/token.json) instead of a variable: the file holds the stand-in",
    ),
  extract: z
    .string()
    .min(1)
    .optional()
    .describe(
      'With at: a regular expression whose group 1 is the credential inside the value (e.g. "token": *"([^"]+)"); only those spans are masked, the rest of the file stays as it is',
    ),
  header: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { message: "a header name such as x-api-key" })
    .optional()
    .describe(
      "The one request header a masked secret's real value goes into (e.g. x-api-key); default Authorization. Anywhere else in a request, the host gets the stand-in",
    ),
  in_body: z
    .boolean()
    .optional()
    .describe(
      "Also put a masked secret's real value into request bodies to its hosts (form posts, JSON logins); default false: a body carries the stand-in",
    ),
};

const SecretSource = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), ...SecretDelivery }),
  z.strictObject({ file: z.string().min(1), ...SecretDelivery }),
  z.strictObject({ command: z.array(z.string()).min(1), ...SecretDelivery }),
]);

const Duration = (example: string) =>
  z.string().regex(/^\d+(ms|s|m|h)$/, { message: `a duration such as ${example}` });

/** A duration where zero makes no sense (a timeout, a quiet period): "0s" is refused, with the fix. */
const PositiveDuration = (example: string) =>
  Duration(example).refine((d) => !/^0+(ms|s|m|h)$/.test(d), {
    message: `must be more than zero (a duration such as ${example}); remove the key for the default`,
  });

/** What Ballador does when an agent waits for a person (issue 15); a profile may override keys. */
export const NeedsYouSchema = z.strictObject({
  quiet: PositiveDuration('"30s" or "2m"').optional(),
  nudge_after: Duration('"2m"; "0s" never nudges').optional(),
  nudge: z.string().min(1).max(2000).optional(),
});

export const BudgetSchema = z.strictObject({
  tokens: z.number().int().min(1).optional(),
  usd: z.number().positive().optional(),
});

/** The config's budget: per task, and `launch:` for everything one downbeat starts. */
export const TaskBudgetSchema = BudgetSchema.extend({ launch: BudgetSchema.optional() });

export const PriceSchema = z.strictObject({
  input: z.number().min(0),
  output: z.number().min(0),
  cache_read: z.number().min(0).optional(),
  cache_write: z.number().min(0).optional(),
});

export const ProfileSchema = z.strictObject({
  preset: z.string().min(1).optional(),
  command: z.array(z.string()).min(1, { message: "a command needs at least the program" }).optional(),
  prompt: z.enum(PROMPT_DELIVERIES).optional(),
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "an environment variable name" }))
    .optional(),
  secrets: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), SecretSource).optional(),
  allow_hosts: z.array(z.string().min(1)).optional(),
  writable: z.array(z.string().min(1)).optional(),
  /** Claude Code MCP servers (by name, from any scope, or "all") that reach this profile's sandboxed runs. */
  mcp_servers: z
    .union([
      z.literal("all"),
      z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, { message: "an MCP server name" })),
    ])
    .optional(),
  max_sessions: z.number().int().positive().optional(),
  fallback: z.string().min(1).optional(),
  enabled: z.boolean().optional(),
  timeout: PositiveDuration('"90s", "45m" or "2h"').optional(),
  needs_you: NeedsYouSchema.optional(),
  budget: BudgetSchema.optional(),
});
export type ProfileConfig = z.infer<typeof ProfileSchema>;

export const NotifySchema = z.strictObject({
  events: z
    .array(z.enum(["needs_you", "review", "failed", "blocked", "conflict_predicted", "all_done"]))
    .optional(),
  bell: z.boolean().optional(),
  desktop: z.boolean().optional(),
  command: z.string().optional(),
  webhook: z
    .string()
    .regex(/^https?:\/\/\S+$/, { message: "an http:// or https:// URL (empty: no webhook)" })
    .or(z.literal(""))
    .optional(),
  coalesce: Duration('"2s"').optional(),
});

export const SyncSchema = z.strictObject({
  every: Duration('"5m"; "0s" never').optional(),
});

const Hooks = z.strictObject({
  before_launch: z.string().optional(),
  after_run: z.string().optional(),
  on_review: z.string().optional(),
  on_fail: z.string().optional(),
});

const RoleName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, { message: "a role name such as test-author (a-z, 0-9, _ and -)" });

/** A role (issue 16): who plays it, what it is told on top of its built-in prompt, what it may change. */
export const RoleSchema = z.strictObject({
  like: z
    .enum(["test-author", "implementer", "refactorer", "security-auditor"])
    .optional()
    .describe("For a role of your own: the built-in role whose prompt and gate it takes"),
  profile: z.string().min(1).optional().describe("The agent profile that plays this role"),
  prompt: z.string().min(1).max(20_000).optional().describe("Extra prompt text for this role"),
  paths: z
    .array(z.string().min(1))
    .min(1, { message: "an empty list; name the paths this role may change, or remove the key" })
    .optional()
    .describe("Globs of the paths this role may change; its gate refuses changes elsewhere"),
});
export type RoleConfig = z.infer<typeof RoleSchema>;

/** A named pipeline: its stages (roles, in order) and the stages after which a person checks. */
export const PipelineSchema = z.union([
  z.array(RoleName).min(1, { message: "a pipeline needs at least one role" }),
  z.strictObject({
    stages: z.array(RoleName).min(1, { message: "a pipeline needs at least one role" }),
    pause_after: z.union([RoleName, z.array(RoleName)]).optional(),
  }),
]);
export type PipelineConfig = z.infer<typeof PipelineSchema>;

/** One layer as written in a file: every key optional, nothing unknown. */
export const ConfigLayerSchema = z.strictObject({
  base: z
    .string()
    .regex(/^(?!-)[A-Za-z0-9._/@{}^~-]+$/, {
      message: 'a branch (or commit) name such as main; it cannot start with "-" or hold spaces',
    })
    .optional(),
  branch_prefix: z
    .string()
    .regex(/^[A-Za-z0-9._/-]*$/, { message: "letters, digits and . _ / - only" })
    .optional(),
  worktree_root: z.string().min(1).optional(),
  specs_dir: z.string().min(1).optional(),
  parts_dir: z.string().min(1).optional(),
  max_parallel: z.number().int().min(1).max(500).optional(),
  max_attempts: z.number().int().min(1).max(50).optional(),
  stack: z.boolean().optional(),
  merge_strategy: z.enum(["merge", "ff"]).optional(),
  vcs: z.enum(["git", "jj"]).nullable().optional(),
  reviewer: z.string().min(1).nullable().optional(),
  conductor: z.string().min(1).nullable().optional(),
  remote: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, { message: "a git remote name such as origin" })
    .optional(),
  verify: z.string().nullable().optional(),
  bootstrap: z.array(Command).optional(),
  verify_inputs: z
    .array(
      z.string().superRefine((g, ctx) => {
        const problem = verifyInputProblem(g);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    )
    .nullable()
    .optional(),
  copy: z.array(z.string().min(1)).optional(),
  hooks: Hooks.optional(),
  idle_timeout: PositiveDuration('"90s", "20m" or "1h"').optional(),
  run_timeout: PositiveDuration('"90s", "45m" or "2h"').optional(),
  refused_idle: PositiveDuration('"30s" or "2m"').optional(),
  needs_you: NeedsYouSchema.optional(),
  notify: NotifySchema.optional(),
  sync: SyncSchema.optional(),
  sources: SourcesSchema.optional(),
  budget: TaskBudgetSchema.optional(),
  prices: z.record(z.string().min(1), PriceSchema).optional(),
  tests: z
    .array(z.string().min(1))
    .optional()
    .describe('What counts as test code (globs), for the pipelines\' gates: ["test/**", "**/*.test.ts"]'),
  roles: z.record(RoleName, RoleSchema).optional(),
  pipelines: z
    .record(RoleName, z.union([RoleName, PipelineSchema]))
    .optional()
    .describe(
      "Named pipelines (a list of roles, or { stages, pause_after }); default: the pipeline of parts that name none",
    ),
  tmux_socket: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "letters, digits, _ and - only" })
    .optional(),
  runners: RunnersSchema.optional().describe(
    "Other machines that run agents, reached over SSH: [{ name, ssh, max_sessions, root, trusted_verify, secrets_at }]; `ballador runner add` writes them",
  ),
  runners_remote: RunnersRemoteSchema.nullable()
    .optional()
    .describe("The bare git repository over SSH that home and every runner reach; code travels through it"),
  agents: z
    .strictObject({
      default: z.string().min(1).optional(),
      profiles: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), ProfileSchema).optional(),
    })
    .optional(),
  runtime: z
    .strictObject({
      node: z
        .string()
        .min(1)
        .nullable()
        .optional()
        .describe(
          "The Node.js (20 or newer) that runs each run's supervisor: an absolute path or ~/..., e.g. a Node 22 installed beside Node 20 (it starts faster); only in your own config file (~/.config/ballador/config.yaml), never the repository's; default: the Node that runs ballador",
        ),
    })
    .optional(),
  sandbox: z
    .strictObject({
      mode: z.enum(["bwrap", "none"]).optional(),
      allow_hosts: z.array(z.string().min(1)).optional(),
      allow_write: z.array(z.string().min(1)).optional(),
      deny_read: z.array(z.string().min(1)).optional(),
      i_know_this_disables_the_sandbox: z
        .boolean()
        .optional()
        .describe(
          'Allow settings that switch most of the sandbox off: allow_write covering /, your HOME or a credentials folder, allow_hosts ["*"]; status and doctor then say so as loudly as mode: none',
        ),
      tls_passthrough: z
        .array(z.string().min(1))
        .optional()
        .describe(
          "Hosts whose HTTPS the proxy never terminates (they pin certificates, or need the client's own certificate); no masked secret can be for them",
        ),
      upstream_ca: z
        .array(z.string().min(1))
        .optional()
        .describe(
          "PEM files of extra CAs (a company's internal CA, a test server's) the host-side proxy trusts, beside Node's roots and NODE_EXTRA_CA_CERTS, when it verifies the real hosts of masked secrets; also trusted inside the sandbox. Absolute, ~/..., or relative to the repository",
        ),
    })
    .optional(),
});
export type ConfigLayer = z.infer<typeof ConfigLayerSchema>;

export interface Config {
  base: string;
  branch_prefix: string;
  worktree_root: string;
  specs_dir: string;
  parts_dir: string;
  max_parallel: number;
  max_attempts: number;
  stack: boolean;
  merge_strategy: "merge" | "ff";
  /** The tool that makes the isolated trees; null: what the repository uses (`.jj` present: jj). */
  vcs: "git" | "jj" | null;
  reviewer: string | null;
  /** The profile `plan` and `spec draft` run (headless); null: agents.default. */
  conductor: string | null;
  remote: string;
  verify: string | null;
  bootstrap: string[];
  /** Globs of the files that decide how tests run, judged by the base's (null: the defaults). */
  verify_inputs: string[] | null;
  copy: string[];
  hooks: { before_launch: string; after_run: string; on_review: string; on_fail: string };
  run_timeout: string;
  idle_timeout: string;
  refused_idle: string;
  /**
   * An agent waiting for a person: after `quiet` with a question on its screen (or at once when
   * its own hook says so) the task shows "needs you"; after `nudge_after` more Ballador types
   * `nudge` into its terminal; idle_timeout still ends the attempt and retries.
   */
  needs_you: { quiet: string; nudge_after: string; nudge: string };
  /** Where events go while `launch --watch` conducts; events within `coalesce` are one message. */
  notify: {
    events: Array<"needs_you" | "review" | "failed" | "blocked" | "conflict_predicted" | "all_done">;
    bell: boolean;
    desktop: boolean;
    command: string;
    webhook: string;
    coalesce: string;
  };
  /** `launch --watch` runs `sync` (pull request state through gh) this often; "0s": never. */
  sync: { every: string };
  /** Trackers whose issues become parts (issue 33); `launch --watch` syncs them every `every`. */
  sources: { every: string; instance: string | null; trackers: Record<string, SourceConfig> };
  /**
   * Per task (every attempt since a person last started it): a run that passes it is stopped
   * and the task blocked with reason "budget". A profile's `budget` overrides it for its tasks.
   */
  budget: {
    tokens?: number;
    usd?: number;
    /** Everything one downbeat starts, its automatic retries included: passing it stops them all. */
    launch?: { tokens?: number; usd?: number };
  };
  /** USD per million tokens, per model name or glob, for the cost of a run's recorded usage. */
  prices: Record<string, { input: number; output: number; cache_read?: number; cache_write?: number }>;
  tmux_socket: string;
  /** What counts as test code (globs): the test author may change only these (issue 16). */
  tests: string[];
  /** Roles configured on top of (or beside) the built-in ones. */
  roles: Record<string, RoleConfig>;
  /** Named pipelines; `default` (a name) is the pipeline of parts that name none. */
  pipelines: Record<string, string | PipelineConfig>;
  agents: { default: string; profiles: Record<string, ProfileConfig> };
  /** Other machines that run agents (loading fills every runner's defaults). Optional for hand-built configs. */
  runners?: RunnerConfig[];
  /** The bare repository over SSH both home and the runners reach; null: none. */
  runners_remote?: string | null;
  /**
   * The Node that runs the supervisors (an absolute path once loaded; null: this process's).
   * `from` is the file that set it, for messages. Optional for hand-built configs.
   */
  runtime?: { node: string | null; from?: string };
  sandbox: {
    mode: "bwrap" | "none";
    allow_hosts: string[];
    allow_write: string[];
    deny_read: string[];
    i_know_this_disables_the_sandbox?: boolean;
    /** Optional only for hand-built configs (tests); loading fills it. */
    tls_passthrough?: string[];
    /** Absolute paths once loaded (checked to hold PEM certificates). Optional as tls_passthrough. */
    upstream_ca?: string[];
  };
}

export const DEFAULT_CONFIG: Config = {
  base: "main",
  branch_prefix: "ballador/",
  worktree_root: "../{repo}.ballador",
  specs_dir: "specs",
  parts_dir: ".ballador/parts",
  max_parallel: 5,
  max_attempts: 3,
  stack: false,
  merge_strategy: "merge",
  vcs: null,
  reviewer: null,
  conductor: null,
  remote: "origin",
  verify: null,
  bootstrap: [],
  verify_inputs: null,
  copy: [],
  hooks: { before_launch: "", after_run: "", on_review: "", on_fail: "" },
  run_timeout: "2h",
  idle_timeout: "20m",
  refused_idle: "1m",
  needs_you: {
    quiet: "30s",
    nudge_after: "2m",
    nudge:
      'Nobody is watching this session: no person will answer. Do not wait for input. Decide and continue the task; if you truly cannot go on, run: ballador blocked "why"',
  },
  notify: {
    events: ["needs_you", "review", "failed", "blocked", "conflict_predicted", "all_done"],
    bell: true,
    desktop: true,
    command: "",
    webhook: "",
    coalesce: "2s",
  },
  sync: { every: "0s" },
  sources: { every: "5m", instance: null, trackers: {} },
  budget: {},
  prices: {},
  tmux_socket: "ballador",
  tests: ["test/**", "tests/**", "**/*.test.*", "**/*.spec.*", "**/test_*.py", "**/*_test.go"],
  roles: {},
  pipelines: {},
  agents: { default: "claude", profiles: { claude: { preset: "claude" } } },
  runners: [],
  runners_remote: null,
  runtime: { node: null },
  sandbox: {
    mode: "bwrap",
    allow_hosts: ["registry.npmjs.org"],
    allow_write: [],
    deny_read: ["~/.ssh", "~/.aws"],
    tls_passthrough: [],
    upstream_ca: [],
  },
};

export type { SourceConfig } from "./source-schema.js";
// Here for the config's own users; the runtime imports it from core, without zod.
export { parseDuration };
