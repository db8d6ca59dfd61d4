/**
 * The sandbox policy of one run, from the config and the run's paths. Writes: the worktree,
 * the run folder (with its HOME and TMPDIR), the git metadata a commit on the task's branch
 * needs, and what config and profile add. Reads: everything but secrets, other tasks'
 * worktrees and the task store. Network: only the listed hosts, through the proxy.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** Secrets no agent reads unless a person says otherwise. */
export const DEFAULT_DENY_READ = [
  "~/.ssh",
  "~/.aws",
  "~/.config/gh",
  "~/.gnupg",
  "~/.netrc",
  "~/.docker",
  "~/.kube",
];

export const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"];

export interface PolicyInput {
  worktree: string;
  runDir: string;
  /** HOME and TMPDIR of the run: inside the run folder, writable. */
  home: string;
  tmp: string;
  stateDir: string;
  /** Folder of the `ballador` shims, readable inside. */
  shimDir: string;
  worktreeRoot: string;
  /** The repository's common .git folder and this worktree's private folder inside it. */
  gitCommonDir: string;
  gitWorktreeDir: string;
  /** Branch name, e.g. ballador/extract-events: its ref folder is made writable. */
  branch: string;
  allowHosts: readonly string[];
  allowWrite: readonly string[];
  denyRead: readonly string[];
  /** The real home, for ~ in config paths. */
  realHome?: string;
}

export interface Policy {
  network: { allowedDomains: string[]; deniedDomains: string[] };
  filesystem: { denyRead: string[]; allowRead: string[]; allowWrite: string[]; denyWrite: string[] };
  /** Loopback hosts the allowlist names: requests to them go through the proxy to the host. */
  loopbackAllowed: string[];
  /** Where the run's git writes objects, and the repository's store it reads through alternates. */
  gitObjects: { own: string; shared: string };
}

export function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(path);
}

export function buildPolicy(input: PolicyInput): Policy {
  const home = input.realHome ?? homedir();
  const refDir = (root: string) => {
    // The folder holding the branch's ref: ballador/x -> refs/heads/ballador. A prefix without
    // a slash puts task refs beside main's, so refs/heads itself must be writable then.
    const slash = input.branch.lastIndexOf("/");
    return join(root, "refs", "heads", slash > 0 ? input.branch.slice(0, slash) : "");
  };
  const allowWrite = [
    input.worktree,
    input.runDir,
    input.home,
    input.tmp,
    // New objects go to the run's own folder (GIT_OBJECT_DIRECTORY), the shared store is read
    // through alternates: an agent cannot delete or rewrite objects of other history.
    join(input.runDir, "objects"),
    input.gitWorktreeDir,
    refDir(input.gitCommonDir),
    refDir(join(input.gitCommonDir, "logs")),
    ...input.allowWrite.map((p) => expandHome(p, home)),
  ];
  const denyRead = [
    ...new Set([...DEFAULT_DENY_READ, ...input.denyRead].map((p) => expandHome(p, home))),
    input.worktreeRoot,
    input.stateDir,
  ];
  const allowRead = [input.worktree, input.runDir, input.shimDir];
  const allowedDomains = [...new Set(input.allowHosts)];
  // The links between the worktree and its git data stay as git made them: rewired, they would
  // point later sandboxes (and host-side git) at a repository the agent wrote.
  const denyWrite = [
    join(input.worktree, ".git"),
    join(input.gitWorktreeDir, "gitdir"),
    join(input.gitWorktreeDir, "commondir"),
    // The runtime makes these writable whenever they exist on the host: a channel between runs.
    // Only existing ones: a deny on an absent path makes the runtime create a stub on the host.
    ...[join(home, ".npm", "_logs"), join(home, ".claude", "debug"), "/tmp/claude"].filter((p) =>
      existsSync(p),
    ),
  ];
  return {
    network: { allowedDomains, deniedDomains: [] },
    filesystem: { denyRead, allowRead, allowWrite: [...new Set(allowWrite)], denyWrite },
    loopbackAllowed: LOOPBACK_HOSTS.filter((h) => allowedDomains.includes(h)),
    gitObjects: { own: join(input.runDir, "objects"), shared: join(input.gitCommonDir, "objects") },
  };
}

/** The variables that send a sandboxed run's git objects to its own folder. */
export function gitObjectEnv(policy: Pick<Policy, "gitObjects">): Record<string, string> {
  return {
    GIT_OBJECT_DIRECTORY: policy.gitObjects.own,
    GIT_ALTERNATE_OBJECT_DIRECTORIES: policy.gitObjects.shared,
  };
}
