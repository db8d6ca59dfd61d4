/** `ballador doctor`: every problem named with its fix. Observed facts only; nothing is changed. */
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startsClaude } from "../adapters/agents/claude-mcp.js";
import { findProgram, type ResolvedProfile, resolveProfile } from "../adapters/agents/profiles.js";
import { agentReadiness } from "../adapters/agents/readiness.js";
import { git } from "../adapters/git/index.js";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { REPO_CONFIG_PATH } from "../config/sources.js";
import { describeSecrets, hostCovered, secretMode } from "../core/secrets.js";
import { findRoot, stateDirFor } from "../project/index.js";
import { mcpSelection, modelEndpointProblems, sandboxWeakenedLine } from "../run/index.js";
import { detectProjectVerify } from "../verify/index.js";

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

export async function doctor(cwd: string): Promise<{ root: string | null; checks: Check[]; ok: boolean }> {
  const checks: Check[] = [];
  const gitVersion = await versionOf("git", ["--version"]);
  checks.push(
    gitVersion
      ? { name: "git", ok: true, detail: gitVersion }
      : { name: "git", ok: false, detail: "git not found on PATH", fix: "apt-get install git" },
  );
  const major = Number(process.versions.node.split(".")[0]);
  checks.push(
    major >= 20
      ? { name: "node", ok: true, detail: `Node.js ${process.versions.node}` }
      : {
          name: "node",
          ok: false,
          detail: `Node.js ${process.versions.node} is too old`,
          fix: "install Node.js 20 or newer",
        },
  );
  const tmuxVersion = await versionOf("tmux", ["-V"]);
  checks.push(
    tmuxVersion
      ? { name: "tmux", ok: true, detail: tmuxVersion }
      : {
          name: "tmux",
          ok: false,
          detail: "tmux not found on PATH (agents run in tmux sessions)",
          fix: "apt-get install tmux",
        },
  );

  let root: string | null = null;
  try {
    root = await findRoot(cwd);
    checks.push({ name: "repository", ok: true, detail: root });
  } catch (err) {
    checks.push({
      name: "repository",
      ok: false,
      detail: (err as Error).message,
      fix: "cd into a git repository",
    });
  }
  let config: Config | null = null;
  if (root) {
    if (!existsSync(join(root, REPO_CONFIG_PATH))) {
      checks.push({ name: "config", ok: false, detail: `no ${REPO_CONFIG_PATH}`, fix: "run: ballador init" });
    } else {
      try {
        const loaded = loadConfig(root);
        config = loaded.config;
        checks.push({ name: "config", ok: true, detail: `valid (${loaded.sources.join(" < ")})` });
      } catch (err) {
        const detail = err instanceof ConfigError ? err.message : (err as Error).message;
        checks.push({
          name: "config",
          ok: false,
          detail,
          fix: `edit ${REPO_CONFIG_PATH} as the message says`,
        });
      }
    }
    const stateDir = stateDirFor(root);
    try {
      mkdirSync(stateDir, { recursive: true });
      accessSync(stateDir, constants.W_OK);
      checks.push({ name: "state", ok: true, detail: `task store in ${stateDir}` });
    } catch (err) {
      checks.push({
        name: "state",
        ok: false,
        detail: `${stateDir}: ${(err as Error).message}`,
        fix: "make the folder writable",
      });
    }
  }
  if (config && root) checks.push(await verifyCheck(config, root));
  if (config && root) {
    // Side by side: a version query may take seconds (Node-based CLIs on a busy machine).
    const names = Object.keys(config.agents.profiles);
    checks.push(
      ...(await Promise.all(names.map((name) => agentCheck(config as Config, name, root as string)))),
    );
    checks.push(...(await mcpChecks(config as Config, names, root as string)));
    if (config.sandbox.mode === "none") {
      checks.push({
        name: "sandbox",
        ok: true,
        warn: true,
        detail:
          "SANDBOX OFF (sandbox.mode: none): agents run with your user's full access to files, network and credentials",
        fix: "set sandbox.mode: bwrap",
      });
    } else {
      const weakened = sandboxWeakenedLine(config, root);
      if (weakened)
        checks.push({
          name: "sandbox",
          ok: true,
          warn: true,
          detail: weakened,
          fix: "remove those entries and sandbox.i_know_this_disables_the_sandbox",
        });
      for (const [bin, pkg] of [
        ["bwrap", "bubblewrap"],
        ["socat", "socat"],
      ] as const) {
        const found = findProgram(bin, root);
        checks.push(
          found
            ? { name: bin, ok: true, detail: found }
            : {
                name: bin,
                ok: false,
                detail: `${bin} not found (the sandbox needs it)`,
                fix: `apt-get install ${pkg}`,
              },
        );
      }
      if (findProgram("bwrap", root)) {
        // A real start proves user namespaces are usable here, not only that the binary exists.
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
        checks.push(
          ns === "ok"
            ? {
                name: "namespaces",
                ok: true,
                detail: "bubblewrap can create user, network and pid namespaces",
              }
            : {
                name: "namespaces",
                ok: false,
                detail:
                  "bubblewrap cannot create namespaces here (user namespaces disabled, or an unprivileged container)",
                fix: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1), or accept no isolation with sandbox.mode: none",
              },
        );
      }
      const rg = findProgram("rg", root);
      checks.push(
        rg
          ? { name: "ripgrep", ok: true, detail: rg }
          : {
              name: "ripgrep",
              ok: false,
              detail: "rg not found (the sandbox runtime uses it to find files to protect)",
              fix: "apt-get install ripgrep",
            },
      );
    }
  }
  return { root, checks, ok: checks.every((c) => c.ok) };
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
const VERSION_TIMEOUT_MS = 10_000;

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
