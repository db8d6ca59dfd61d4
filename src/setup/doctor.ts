/** `ballador doctor`: every problem named with its fix. Observed facts only; nothing is changed. */
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startsClaude } from "../adapters/agents/claude-mcp.js";
import { findProgram, type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import { agentReadiness, VERSION_TIMEOUT_MS } from "../adapters/agents/readiness.js";
import { git } from "../adapters/git/index.js";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { REPO_CONFIG_PATH } from "../config/sources.js";
import { describeSecrets, hostCovered, secretMode } from "../core/secrets.js";
import {
  findRoot,
  RUNNER_HOLDS_SECRETS,
  readRunnerRecord,
  sandboxWeakenedLine,
  stateDirFor,
  supervisorNode,
  usableRunner,
} from "../project/index.js";
import { mcpSelection, modelEndpointProblems } from "../run/index.js";
import { detectProjectVerify } from "../verify/index.js";
import { jjRootAbove, vcsCheck } from "./doctor-vcs.js";

const run = promisify(execFile);

export interface Check {
  name: string;
  ok: boolean;
  /** ok but worth a person's attention (e.g. sandbox off). */
  warn?: boolean;
  detail: string;
  fix?: string;
}

async function versionOf(program: string, args: string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await run(program, args, { timeout: 10_000 });
    return (stdout || stderr).trim().split("\n")[0] ?? "";
  } catch {
    return null;
  }
}

/** What the checks have found so far: the repository and its config, once found. */
interface DoctorContext {
  cwd: string;
  root: string | null;
  config: Config | null;
}

/** A project's root and config, for the checks that need both. */
type ProjectContext = DoctorContext & { root: string; config: Config };

/** One check (or a family of them, e.g. one per agent profile): what it observed. */
type DoctorCheck = (ctx: DoctorContext) => Promise<Check[]>;

/** A check that applies only once a project with a valid config was found. */
function inProject(check: (ctx: ProjectContext) => Promise<Check[]>): DoctorCheck {
  return async (ctx) => (ctx.root && ctx.config ? check(ctx as ProjectContext) : []);
}

/** A check of the sandbox's programs and powers: none when the sandbox is off. */
function sandboxed(check: (ctx: ProjectContext) => Promise<Check[]>): DoctorCheck {
  return inProject(async (ctx) => (ctx.config.sandbox.mode === "none" ? [] : check(ctx)));
}

/** `doctor`'s checks, in the order they are shown; each one sees what the earlier ones found. */
const CHECKS: readonly DoctorCheck[] = [
  gitCheck,
  nodeCheck,
  tmuxCheck,
  repositoryCheck,
  configCheck,
  inProject(supervisorNodeCheck),
  inProject(vcsCheck),
  stateCheck,
  inProject(async ({ config, root }) => [await verifyCheck(config, root)]),
  // Side by side: a version query may take seconds (Node-based CLIs on a busy machine).
  inProject(async ({ config, root }) =>
    Promise.all(Object.keys(config.agents.profiles).map((name) => agentCheck(config, name, root))),
  ),
  inProject(({ config, root }) => mcpChecks(config, Object.keys(config.agents.profiles), root)),
  inProject(sandboxModeCheck),
  sandboxed(sandboxProgramChecks),
  sandboxed(namespacesCheck),
  sandboxed(ripgrepCheck),
  inProject(async ({ config, root }) => runnerChecks(config, root)),
];

export async function doctor(cwd: string): Promise<{ root: string | null; checks: Check[]; ok: boolean }> {
  const ctx: DoctorContext = { cwd, root: null, config: null };
  const checks: Check[] = [];
  for (const check of CHECKS) checks.push(...(await check(ctx)));
  return { root: ctx.root, checks, ok: checks.every((c) => c.ok) };
}

/** Found: ok, saying what was found; else not, with why and the fix. */
function presence(name: string, found: string | null, absent: { detail: string; fix: string }): Check {
  return found ? { name, ok: true, detail: found } : { name, ok: false, ...absent };
}

async function gitCheck(): Promise<Check[]> {
  const version = await versionOf("git", ["--version"]);
  return [presence("git", version, { detail: "git not found on PATH", fix: "apt-get install git" })];
}

async function nodeCheck(): Promise<Check[]> {
  const major = Number(process.versions.node.split(".")[0]);
  return [
    major >= 20
      ? { name: "node", ok: true, detail: `Node.js ${process.versions.node} (${process.execPath})` }
      : {
          name: "node",
          ok: false,
          detail: `Node.js ${process.versions.node} is too old`,
          fix: "install Node.js 20 or newer",
        },
  ];
}

/** Which Node runs each run's supervisor: runtime.node when set (checked as a launch checks it). */
async function supervisorNodeCheck({ config }: ProjectContext): Promise<Check[]> {
  try {
    const node = await supervisorNode(config);
    const where = node.from
      ? `runtime.node in ${node.from}`
      : "the Node running ballador; runtime.node not set";
    return [
      { name: "supervisor node", ok: true, detail: `Node.js ${node.version} (${node.path}), ${where}` },
    ];
  } catch (err) {
    const message = (err as Error).message;
    return [
      {
        name: "supervisor node",
        ok: false,
        detail: message,
        fix: message.slice(message.lastIndexOf("; ") + 2),
      },
    ];
  }
}

async function tmuxCheck(): Promise<Check[]> {
  const version = await versionOf("tmux", ["-V"]);
  return [
    presence("tmux", version, {
      detail: "tmux not found on PATH (agents run in tmux sessions)",
      fix: "apt-get install tmux",
    }),
  ];
}

async function repositoryCheck(ctx: DoctorContext): Promise<Check[]> {
  try {
    ctx.root = await findRoot(ctx.cwd);
    return [{ name: "repository", ok: true, detail: ctx.root }];
  } catch (err) {
    const jjRoot = jjRootAbove(ctx.cwd);
    const fix = jjRoot
      ? `${jjRoot} is a Jujutsu repository whose git store is elsewhere (\`jj git init --git-repo <path>\`); Ballador knows a colocated .git or jj's own .jj/repo/store/git: use a clone made by \`jj git init --colocate\` or plain \`jj git init\` (docs/jujutsu.md)`
      : "cd into a git repository";
    return [{ name: "repository", ok: false, detail: (err as Error).message, fix }];
  }
}

async function configCheck(ctx: DoctorContext): Promise<Check[]> {
  const root = ctx.root;
  if (!root) return [];
  if (!existsSync(join(root, REPO_CONFIG_PATH)))
    return [{ name: "config", ok: false, detail: `no ${REPO_CONFIG_PATH}`, fix: "run: ballador init" }];
  try {
    const loaded = loadConfig(root);
    ctx.config = loaded.config;
    return [{ name: "config", ok: true, detail: `valid (${loaded.sources.join(" < ")})` }];
  } catch (err) {
    const detail = err instanceof ConfigError ? err.message : (err as Error).message;
    return [{ name: "config", ok: false, detail, fix: `edit ${REPO_CONFIG_PATH} as the message says` }];
  }
}

async function stateCheck(ctx: DoctorContext): Promise<Check[]> {
  if (!ctx.root) return [];
  const stateDir = stateDirFor(ctx.root);
  try {
    mkdirSync(stateDir, { recursive: true });
    accessSync(stateDir, constants.W_OK);
    return [{ name: "state", ok: true, detail: `task store in ${stateDir}` }];
  } catch (err) {
    return [
      {
        name: "state",
        ok: false,
        detail: `${stateDir}: ${(err as Error).message}`,
        fix: "make the folder writable",
      },
    ];
  }
}

/**
 * Each runner as its last `runner check` left it (no ssh here: doctor observes this machine):
 * usable, never checked or out of date (a warning), or failed (a problem, with its reason).
 */
async function runnerChecks(config: Config, root: string): Promise<Check[]> {
  const stateDir = stateDirFor(root);
  return (config.runners ?? []).map((r): Check => {
    const name = `runner ${r.name}`;
    const fix = `ballador runner check ${r.name}`;
    const use = usableRunner(config, stateDir, r.name);
    if (use.ok)
      return {
        name,
        ok: true,
        detail: `${r.ssh}: check passed at ${readRunnerRecord(stateDir, r.name)?.checked_at}${r.secrets_at === "runner" ? `; ${RUNNER_HOLDS_SECRETS}` : ""}`,
        ...(r.secrets_at === "runner"
          ? { warn: true, fix: "remove secrets_at to keep the values home" }
          : {}),
      };
    const failed = readRunnerRecord(stateDir, r.name)?.ok === false;
    return failed
      ? { name, ok: false, detail: use.reason, fix }
      : { name, ok: true, warn: true, detail: use.reason, fix };
  });
}

/** The sandbox off, or weakened by the config: ok, but a person should know. */
async function sandboxModeCheck({ config, root }: ProjectContext): Promise<Check[]> {
  if (config.sandbox.mode === "none")
    return [
      {
        name: "sandbox",
        ok: true,
        warn: true,
        detail:
          "SANDBOX OFF (sandbox.mode: none): agents run with your user's full access to files, network and credentials",
        fix: "set sandbox.mode: bwrap",
      },
    ];
  const weakened = sandboxWeakenedLine(config, root);
  if (!weakened) return [];
  return [
    {
      name: "sandbox",
      ok: true,
      warn: true,
      detail: weakened,
      fix: "remove those entries and sandbox.i_know_this_disables_the_sandbox",
    },
  ];
}

async function sandboxProgramChecks({ root }: ProjectContext): Promise<Check[]> {
  return (
    [
      ["bwrap", "bubblewrap"],
      ["socat", "socat"],
    ] as const
  ).map(([bin, pkg]) =>
    presence(bin, findProgram(bin, root), {
      detail: `${bin} not found (the sandbox needs it)`,
      fix: `apt-get install ${pkg}`,
    }),
  );
}

/** A real start proves user namespaces are usable here, not only that the binary exists. */
async function namespacesCheck({ root }: ProjectContext): Promise<Check[]> {
  if (!findProgram("bwrap", root)) return [];
  const ns = await versionOf("bwrap", [
    "--ro-bind",
    "/",
    "/",
    "--unshare-net",
    "--unshare-pid",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "echo",
    "ok",
  ]);
  return [
    ns === "ok"
      ? { name: "namespaces", ok: true, detail: "bubblewrap can create user, network and pid namespaces" }
      : {
          name: "namespaces",
          ok: false,
          detail:
            "bubblewrap cannot create namespaces here (user namespaces disabled, or an unprivileged container)",
          fix: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), or accept no isolation with sandbox.mode: none",
        },
  ];
}

async function ripgrepCheck({ root }: ProjectContext): Promise<Check[]> {
  return [
    presence("ripgrep", findProgram("rg", root), {
      detail: "rg not found (the sandbox runtime uses it to find files to protect)",
      fix: "apt-get install ripgrep",
    }),
  ];
}

/**
 * Claude Code MCP servers: a sandboxed run gets only those its profile names (`mcp_servers`);
 * the person hears which of theirs will not be there, and which named ones do not exist.
 */
async function mcpChecks(config: Config, names: readonly string[], root: string): Promise<Check[]> {
  if (config.sandbox.mode === "none") return [];
  const out: Check[] = [];
  for (const name of names) {
    let profile: ResolvedProfile;
    try {
      profile = resolveProfile(config, name);
    } catch {
      continue; // agentCheck reports it
    }
    if (!profile.enabled || !startsClaude(profile)) continue;
    const m = await mcpSelection({ root, base: config.base }, profile, process.env.HOME ?? homedir());
    if (m.available.length === 0 && m.missing.length === 0) continue;
    const passed = new Set(m.selected.map((s) => s.name));
    const left = m.available.filter((s) => !passed.has(s.name));
    const label = (s: { name: string; scope: string }) => `${s.name} (${s.scope})`;
    const detail = [
      m.selected.length > 0 ? `reach its runs: ${m.selected.map(label).join(", ")}` : "",
      left.length > 0 ? `will not reach its runs: ${left.map(label).join(", ")}` : "",
      m.missing.length > 0 ? `named but configured nowhere: ${m.missing.join(", ")}` : "",
      m.hosts.length > 0 ? `hosts allowed for them: ${m.hosts.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    const fix =
      m.missing.length > 0
        ? `remove ${m.missing.join(", ")} from agents.profiles.${name}.mcp_servers, or configure them (claude mcp add)`
        : left.length > 0
          ? `to pass them: agents.profiles.${name}.mcp_servers: [${[...passed, ...left.map((s) => s.name)].join(", ")}] (or "all")`
          : undefined;
    out.push({
      name: `mcp ${name}`,
      ok: m.missing.length === 0,
      ...(left.length > 0 && m.missing.length === 0 ? { warn: true } : {}),
      detail: `Claude Code MCP servers: ${detail}`,
      ...(fix ? { fix } : {}),
    });
  }
  return out;
}

/**
 * One configured agent profile: its program found or not, the version of a built-in agent, and
 * what is missing for unattended use (credentials that will not reach it).
 */

async function agentCheck(config: Config, name: string, root: string): Promise<Check> {
  const check = `agent ${name}`;
  let profile: ResolvedProfile;
  try {
    profile = resolveProfile(config, name);
  } catch (err) {
    return { name: check, ok: false, detail: (err as Error).message, fix: "correct the profile in config" };
  }
  if (!profile.enabled) return { name: check, ok: true, warn: true, detail: "disabled in config" };
  const r = await agentReadiness(profile, { cwd: root, versionTimeoutMs: VERSION_TIMEOUT_MS });
  if (!r.path) {
    return {
      name: check,
      ok: false,
      detail: `${r.program} not found on PATH`,
      fix: r.preset?.install ?? `install ${r.program} or fix the profile's command`,
    };
  }
  const parts = [
    r.version
      ? `${r.program} ${r.version.replace(/^v(?=\d)/, "")} at ${r.path}`
      : `${r.program} found at ${r.path}`,
  ];
  if (r.preset?.mode) parts.push(r.preset.mode);
  if (r.preset?.credentials && r.credentials.length > 0)
    parts.push(`credentials: ${r.credentials.join(", ")}`);
  const secretLine = describeSecrets(profile.secrets);
  if (secretLine) parts.push(secretLine);
  const reachable = [...config.sandbox.allow_hosts, ...profile.allowHosts];
  for (const [secret, spec] of Object.entries(profile.secrets)) {
    if (secretMode(spec) !== "mask" || config.sandbox.mode === "none") continue;
    for (const host of (spec.hosts ?? []).filter((h) => !hostCovered(h, reachable))) {
      r.missing.push({
        problem: `masked secret ${secret} is for ${host}, which the sandbox does not reach (its runs would fail)`,
        fix: `add "${host}" to agents.profiles.${name}.allow_hosts or sandbox.allow_hosts`,
      });
    }
  }
  if (r.preset?.versionArgs && !r.version)
    parts.push(`${r.preset.versionArgs.join(" ")} gave no answer within ${VERSION_TIMEOUT_MS / 1000} s`);
  if (r.preset) parts.push(r.preset.tested ? "tested here with its real binary" : "untested here");
  // A model server the sandbox would not let the agent reach (or a base URL not passed).
  for (const e of modelEndpointProblems(config, profile, process.env)) {
    r.missing.push({ problem: e.problem, fix: e.fix });
  }
  if (r.missing.length > 0) {
    return {
      name: check,
      ok: false,
      detail: [...parts, ...r.missing.map((m) => m.problem)].join("; "),
      fix: r.missing.map((m) => m.fix).join("; "),
    };
  }
  return { name: check, ok: true, detail: parts.join("; ") };
}

/**
 * Verification is the pillar: a project with no verify command has every task reach review
 * "unverified". A warning (the project works), named, with the command init would detect.
 */
async function verifyCheck(config: Config, root: string): Promise<Check> {
  if (config.verify) return { name: "verify", ok: true, detail: `tasks are verified by: ${config.verify}` };
  const onBase = await git(["cat-file", "-e", `${config.base}:verify.sh`], { cwd: root, allowFail: true });
  if (onBase.code === 0)
    return { name: "verify", ok: true, detail: `tasks are verified by: ./verify.sh (on ${config.base})` };
  const found = await detectProjectVerify(root, process.env);
  return {
    name: "verify",
    ok: true,
    warn: true,
    detail:
      "no verify command is configured: nothing checks the agents' work, tasks reach review unverified and ballador merge asks for --unverified",
    fix: found.verify
      ? `set verify: ${found.verify} in ${REPO_CONFIG_PATH} (detected: ${found.reasons[0] ?? found.ecosystem})`
      : `set verify: in ${REPO_CONFIG_PATH} to the command that runs the project's tests (or commit an executable verify.sh)`,
  };
}
