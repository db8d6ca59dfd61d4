/** Putting a run inside its sandbox: the policy from config and paths, and secrets resolved late. */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import type { ResolvedProfile } from "../adapters/agents/profiles.js";
import { commonDirOf, git } from "../adapters/git/index.js";
import { entryKind, HomeFiles, writeUntrusted } from "../adapters/hostile/index.js";
import { agentPaths } from "../adapters/jj/index.js";
import { makeRunFolder, type RunSpec, runFolder } from "../adapters/runfolder/index.js";
import {
  buildPolicy,
  expandHome,
  type JjPolicy,
  type MaskedSecret,
  type Policy,
  type StepKind,
} from "../adapters/sandbox/index.js";
import { pemCertificates } from "../core/pem.js";
import { type SecretSpec, secretMode } from "../core/secrets.js";
import type { Project } from "../project/index.js";
import { UserError, worktreeRootFor } from "../project/index.js";
import { mcpSelection } from "./mcp-servers.js";
import { JJ_WORKSPACE_PREFIX, jjOpFile, projectVcs } from "./vcs-names.js";

export interface PolicyRun {
  worktree: string;
  runDir: string;
  branch: string;
  profile: ResolvedProfile;
  /** agent (default), reviewer (read-only worktree), or verify (of `verifyTree` only). */
  kind?: StepKind;
  verifyTree?: string;
  /** For kind verify: the judge's fresh HOME and TMPDIR (see verifyClean). */
  judge?: { home: string; tmp: string };
  /** The person's HOME, where their Claude Code MCP servers are configured (default $HOME). */
  realHome?: string;
  /** The tree's own git folder when the caller just asked git for it (one process fewer). */
  ownGitDir?: string;
}

export async function policyForRun(project: Project, run: PolicyRun): Promise<Policy | null> {
  const config = project.config;
  if (config.sandbox.mode === "none") return null;
  const kind = run.kind ?? "agent";
  const common = await commonDirOf(project.paths.root);
  const tree = kind === "verify" ? (run.verifyTree as string) : run.worktree;
  const { agent } = makeRunFolder(run.runDir);
  // A jj run's tree is a jj workspace (no git folder of its own); verification stays a git checkout.
  const jjRun = kind !== "verify" && projectVcs(project) === "jj" ? jjPolicyFor(project, run) : undefined;
  // Provisioning passes the worktree's git folder along; a verification's tree is asked.
  const known = kind === "verify" ? undefined : run.ownGitDir;
  const own = jjRun ? join(tree, ".jj") : await linkedWorktreeDir(project, common, tree, known);
  // Denied for writing below, so it must exist: an empty per-worktree config is no config.
  if (!jjRun && kind === "agent" && entryKind(join(own, "config.worktree")) === null) {
    writeUntrusted(own, "config.worktree", "");
  }
  // Read-only folders of the run's HOME exist before any step: the runtime would otherwise bind
  // a placeholder over the first missing folder (all of ~/.config) during bootstrap.
  const readOnly = kind === "agent" ? run.profile.readOnlyHome : [];
  if (readOnly.length > 0) {
    const home = new HomeFiles(agent.home);
    for (const p of readOnly) home.dir(p.replace(/^~\//, ""));
  }
  const policy = buildPolicy({
    kind,
    worktree: tree,
    runDir: run.runDir,
    stateDir: project.paths.stateDir,
    shimDir: join(project.paths.stateDir, "bin"),
    worktreeRoot: worktreeRootFor(config, project.paths.root),
    gitCommonDir: common,
    gitWorktreeDir: own,
    branch: run.branch,
    ...(kind === "verify" ? { verifyTree: tree, ...(run.judge ? { judge: run.judge } : {}) } : {}),
    allowHosts: [
      ...config.sandbox.allow_hosts,
      ...run.profile.allowHosts,
      // The hosts of the Claude Code MCP servers the profile passes (agent steps only).
      ...(kind === "agent"
        ? (await mcpSelection(project, run.profile, run.realHome ?? process.env.HOME ?? homedir())).hosts
        : []),
    ],
    // A profile's own folders (e.g. ~/.claude) are under the run's HOME, writable already; the
    // judge's HOME is a fresh one, and the run's is not even readable to it.
    allowWrite: [
      ...config.sandbox.allow_write,
      ...(kind === "verify" ? [] : run.profile.writable.map((p) => expandHome(p, agent.home))),
    ],
    readOnly: readOnly.map((p) => expandHome(p, agent.home)),
    denyRead: config.sandbox.deny_read,
    tlsPassthrough: config.sandbox.tls_passthrough,
    upstreamCa: config.sandbox.upstream_ca,
    ...(jjRun ? { jj: jjRun } : {}),
  });
  return policy;
}

async function linkedWorktreeDir(
  project: Project,
  common: string,
  tree: string,
  known: string | undefined,
): Promise<string> {
  const own = known ?? (await git(["rev-parse", "--absolute-git-dir"], { cwd: tree })).stdout.trim();
  if (!own.startsWith(`${join(common, "worktrees")}/`)) {
    throw new UserError(
      `${tree} is not a linked worktree of ${project.paths.root} (its git folder is ${own})`,
    );
  }
  return own;
}

/**
 * What a jj run's agent may write: its workspace, and the run's copies of the store's folders its
 * jj writes (the run folder's `refs`, `jjops` and `objects`, mounted over the real ones).
 */
function jjPolicyFor(project: Project, run: PolicyRun): JjPolicy {
  const root = project.paths.root;
  const taskId = basename(run.worktree);
  const folder = runFolder(run.runDir);
  const paths = agentPaths(root, run.worktree, {
    opHeads: folder.agent.refs,
    opStore: folder.agent.jjops,
    objects: folder.agent.objects,
  });
  return {
    root,
    workspace: `${JJ_WORKSPACE_PREFIX}${taskId}`,
    bookmark: run.branch,
    opFile: jjOpFile(project, taskId),
    ...paths,
  };
}

const exec = promisify(execFile);

export class SecretError extends Error {
  override name = "SecretError";
}

/**
 * Resolves a profile's secrets on the host, right before the agent starts. Values go only into
 * the agent's environment: never a file, a log line or the store. Errors name the variable and
 * the source, never the value.
 */
export async function resolveSecrets(
  spec: Pick<RunSpec, "secrets">,
  host: NodeJS.ProcessEnv,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, source] of Object.entries(spec.secrets)) {
    if ("env" in source) {
      const v = host[source.env];
      if (v === undefined)
        throw new SecretError(`secret ${name}: the host variable ${source.env} is not set`);
      out[name] = v;
    } else if ("file" in source) {
      const path = expandHome(source.file, host.HOME ?? homedir());
      try {
        out[name] = readFileSync(path, "utf8").trim();
      } catch (err) {
        throw new SecretError(
          `secret ${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
        );
      }
    } else {
      try {
        const { stdout } = await exec(source.command[0] as string, source.command.slice(1), {
          timeout: 30_000,
        });
        out[name] = stdout.trim();
      } catch (err) {
        throw new SecretError(
          `secret ${name}: the command ${source.command[0]} failed (${(err as { code?: unknown }).code ?? "error"})`,
        );
      }
    }
  }
  return out;
}

/** How a secret is used, without where its value comes from (a runner gets values, not sources). */
export type SecretUse = Pick<SecretSpec, "mode" | "hosts" | "at" | "extract" | "header" | "in_body">;

/** Splits resolved secret values: the ones the agent holds, and the masked ones it never sees. */
export function splitSecrets(
  specs: Readonly<Record<string, SecretUse>>,
  values: Readonly<Record<string, string>>,
): { passed: Record<string, string>; masked: MaskedSecret[] } {
  const passed: Record<string, string> = {};
  const masked: MaskedSecret[] = [];
  for (const [name, value] of Object.entries(values)) {
    const spec = specs[name];
    if (spec && secretMode(spec) === "mask") {
      masked.push({
        name,
        value,
        hosts: spec.hosts ?? [],
        ...(spec.at !== undefined ? { at: spec.at } : {}),
        ...(spec.extract !== undefined ? { extract: spec.extract } : {}),
        ...(spec.header !== undefined ? { header: spec.header } : {}),
        ...(spec.in_body !== undefined ? { inBody: spec.in_body } : {}),
      });
    } else passed[name] = value;
  }
  return { passed, masked };
}

/** Writes the masked files of a run into its HOME (never through a link the agent left there). */
export function writeStandInFiles(home: string, files: ReadonlyArray<{ at: string; content: string }>): void {
  for (const f of files)
    writeUntrusted(home, f.at.replace(/^~\//, ""), f.content, 0o600, { replaceLinks: true });
}

/**
 * The CA bundle a run's supervisor starts with as NODE_EXTRA_CA_CERTS, so the proxy it runs
 * verifies upstream hosts with sandbox.upstream_ca as well as the launcher's own extra CAs
 * (Node reads that variable only at start). Certificates only: a combined cert-and-key file
 * gives its certificate. Null when the config names no extra CA (the launcher's variable is
 * then passed as it is).
 */
export function upstreamCaBundle(files: readonly string[], launcherExtra: string | undefined): string | null {
  if (files.length === 0) return null;
  const certs: string[] = [];
  const add = (path: string, required: boolean) => {
    try {
      certs.push(...pemCertificates(readFileSync(path, "utf8")));
    } catch (err) {
      // The launcher's own: ignored when unreadable, as Node does.
      if (required)
        throw new UserError(
          `sandbox.upstream_ca: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"}); fix the path in .ballador/config.yaml`,
        );
    }
  };
  if (launcherExtra) add(launcherExtra, false);
  for (const f of files) add(f, true);
  return `${[...new Set(certs)].join("\n")}\n`;
}
