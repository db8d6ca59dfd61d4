/** Putting a run inside its sandbox: the policy from config and paths, and secrets resolved late. */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ResolvedProfile } from "../adapters/agents/profiles.js";
import { git } from "../adapters/git/index.js";
import type { RunSpec } from "../adapters/runfolder/index.js";
import { buildPolicy, expandHome, type Policy } from "../adapters/sandbox/index.js";
import type { Project } from "./project.js";
import { worktreeRootFor } from "./run-env.js";

export async function policyForRun(
  project: Project,
  run: {
    worktree: string;
    runDir: string;
    branch: string;
    home: string;
    tmp: string;
    profile: ResolvedProfile;
    /** A reviewer reads the worktree and its git data but writes only its run folder. */
    readOnly?: boolean;
  },
): Promise<Policy | null> {
  const config = project.config;
  if (config.sandbox.mode === "none") return null;
  const common = (
    await git(["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd: run.worktree })
  ).stdout.trim();
  const own = (await git(["rev-parse", "--absolute-git-dir"], { cwd: run.worktree })).stdout.trim();
  const slash = run.branch.lastIndexOf("/");
  // Log folders may not exist before the first commit; the sandbox can only open existing paths.
  mkdirSync(join(common, "logs", "refs", "heads", slash > 0 ? run.branch.slice(0, slash) : ""), {
    recursive: true,
  });
  mkdirSync(run.home, { recursive: true });
  mkdirSync(run.tmp, { recursive: true });
  mkdirSync(join(run.runDir, "objects"), { recursive: true });
  const policy = buildPolicy({
    worktree: run.worktree,
    runDir: run.runDir,
    home: run.home,
    tmp: run.tmp,
    stateDir: project.paths.stateDir,
    shimDir: join(project.paths.stateDir, "bin"),
    worktreeRoot: worktreeRootFor(config, project.paths.root),
    gitCommonDir: common,
    gitWorktreeDir: own,
    branch: run.branch,
    allowHosts: [...config.sandbox.allow_hosts, ...run.profile.allowHosts],
    // A profile's own folders (e.g. ~/.claude) are under the run's HOME, writable already.
    allowWrite: [...config.sandbox.allow_write, ...run.profile.writable.map((p) => expandHome(p, run.home))],
    denyRead: config.sandbox.deny_read,
  });
  if (run.readOnly) {
    const keep = new Set([run.runDir, run.home, run.tmp]);
    policy.filesystem.allowWrite = policy.filesystem.allowWrite.filter(
      (p) => keep.has(p) || p.startsWith(`${run.runDir}/`),
    );
  }
  return policy;
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
