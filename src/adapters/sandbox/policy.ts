/**
 * The sandbox policy of one sandboxed step, from the config and the run's paths.
 *
 * Three kinds of step, three write sets (everything else is read-only):
 * - agent (the agent itself, bootstrap, before_launch, after_run): the worktree, the worktree's
 *   private git folder (HEAD, index), and the run's agent-writable folders (inbox, home, tmp,
 *   objects, and per-run copies of the branch's ref and reflog folders bound over the real ones).
 *   The repository's real refs, objects and config are never writable: the host moves the task's
 *   own branch after each step, from the copy, after checks.
 * - reviewer: only its inbox, home and tmp; the worktree is read-only.
 * - verify (clean verification, gates, update's and merge's): only the checkout being verified
 *   and the judge's own HOME and TMPDIR (made empty by the host for that verification): not
 *   the agent's worktree, not any ref; the run's agent-writable folders are not even readable.
 * Reads: everything but secrets, other tasks' worktrees and the task store. Network: only the
 * listed hosts, through the proxy.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { CREDENTIAL_FOLDERS } from "../../core/sandbox-weakening.js";
import { refFolderOf } from "../git/index.js";
import { AGENT_DIRS } from "../runfolder/index.js";

/** Secrets no agent reads unless a person says otherwise (one list with the config's checks). */
export const DEFAULT_DENY_READ: string[] = [...CREDENTIAL_FOLDERS];

export const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"];

export type StepKind = "agent" | "reviewer" | "verify";

export interface PolicyInput {
  kind: StepKind;
  worktree: string;
  runDir: string;
  stateDir: string;
  /** Folder of the `ballador` shims, readable inside. */
  shimDir: string;
  worktreeRoot: string;
  /** The repository's common .git folder and this worktree's private folder inside it. */
  gitCommonDir: string;
  gitWorktreeDir: string;
  /** Branch name, e.g. ballador/extract-events: its ref folder gets a per-run copy. */
  branch: string;
  /** For kind verify: the checkout being verified (writable). */
  verifyTree?: string;
  /** For kind verify: the judge's fresh HOME and TMPDIR (writable), made by the host. */
  judge?: { home: string; tmp: string };
  allowHosts: readonly string[];
  /** Hosts whose HTTPS the proxy never terminates (when it terminates any). */
  tlsPassthrough?: readonly string[];
  /** PEM files of extra CAs for the real hosts the proxy re-originates to (absolute paths). */
  upstreamCa?: readonly string[];
  allowWrite: readonly string[];
  /** Paths inside writable folders that stay read-only (agent steps; e.g. a seeded config folder). */
  readOnly?: readonly string[];
  denyRead: readonly string[];
  /** The real home, for ~ in config paths. */
  realHome?: string;
  /** A run in a jj workspace (vcs: jj): what its jj may write instead of git's folders. */
  jj?: JjPolicy;
}

/**
 * The jj side of a run's policy (from the jj adapter's agentPaths): `write` the workspace,
 * `readOnly` what stays read-only beside it, `mounts` the per-run copies of the store's folders the
 * agent's jj writes. The names are the host's, for the steps after the sandboxed one.
 */
export interface JjPolicy {
  root: string;
  workspace: string;
  bookmark: string;
  /** Host-only file with the task's last checked operation (its chain continues from there). */
  opFile: string;
  write: string[];
  readOnly: string[];
  mounts: { from: string; to: string; readOnly?: true }[];
  /** The per-run copies of jj's operation store (host folder), seeded and taken in around each step. */
  opStoreCopy: string;
}

export interface Bind {
  /** A host folder (made anew by the host before each start)... */
  source: string;
  /** ...mounted writable at this path inside the sandbox (read-only with `readOnly`). */
  dest: string;
  readOnly?: true;
}

export interface Policy {
  kind: StepKind;
  network: {
    allowedDomains: string[];
    deniedDomains: string[];
    /** On a runner: the masked secrets' hosts go to home's injecting proxy through this socket. */
    mitmProxy?: { socketPath: string; domains: string[] };
  };
  filesystem: { denyRead: string[]; allowRead: string[]; allowWrite: string[]; denyWrite: string[] };
  /** Writable per-run copies mounted over real folders (the task's ref and reflog folders). */
  binds: Bind[];
  /** Hosts whose HTTPS the proxy tunnels untouched even when it terminates TLS for masked secrets. */
  tlsPassthrough?: string[];
  /** Extra CAs trusted for upstream hosts: by the proxy, and inside (for passed-through hosts). */
  upstreamCa?: string[];
  /** Loopback hosts the allowlist names: requests to them go through the proxy to the host. */
  loopbackAllowed: string[];
  /** Where the run's git writes objects, and the repository's store it reads through alternates. */
  gitObjects: { own: string; shared: string };
  /** Set for a run in a jj workspace: the host reads its operation heads copy after each step. */
  jj?: JjPolicy;
}

export function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(path);
}

/** A jj run's per-run copies and their read-only shadows, as the sandbox's binds. */
function jjBinds(jj: JjPolicy): Bind[] {
  return jj.mounts.map((m) => ({ source: m.from, dest: m.to, ...(m.readOnly && { readOnly: m.readOnly }) }));
}

export function buildPolicy(input: PolicyInput): Policy {
  const home = input.realHome ?? homedir();
  const run = (name: string) => join(input.runDir, name);
  const extra = input.allowWrite.map((p) => expandHome(p, home));
  let allowWrite: string[];
  let binds: Bind[] = [];
  if (input.kind === "agent" && input.jj) {
    // No git folders: the agent's jj writes its workspace and the store's append-only folders.
    allowWrite = [...input.jj.write, run("inbox"), run("home"), run("tmp"), ...extra];
    binds = jjBinds(input.jj);
  } else if (input.kind === "agent") {
    allowWrite = [
      input.worktree,
      input.gitWorktreeDir,
      run("inbox"),
      run("home"),
      run("tmp"),
      run("objects"),
      ...extra,
    ];
    binds = [
      { source: run("refs"), dest: join(input.gitCommonDir, refFolderOf(input.branch)) },
      { source: run("reflogs"), dest: join(input.gitCommonDir, "logs", refFolderOf(input.branch)) },
    ];
  } else if (input.kind === "reviewer") {
    allowWrite = [run("inbox"), run("home"), run("tmp")];
  } else {
    if (!input.verifyTree) throw new Error("a verify policy needs the checkout it verifies");
    if (!input.judge) throw new Error("a verify policy needs the judge's fresh HOME and TMPDIR");
    allowWrite = [input.verifyTree, input.judge.home, input.judge.tmp, ...extra];
  }
  const denyRead = [
    ...new Set([...DEFAULT_DENY_READ, ...input.denyRead].map((p) => expandHome(p, home))),
    input.worktreeRoot,
    input.stateDir,
    // The judge reads nothing an agent wrote (its HOME, TMPDIR, reports, objects): already
    // under the state folder, named too so a run folder elsewhere stays covered.
    ...(input.kind === "verify" ? AGENT_DIRS.map((d) => run(d)).filter((p) => existsSync(p)) : []),
  ];
  // Of the host-only run folder only what the agent reads: its instructions and its answers. (Allowing the whole
  // folder would cover the writable children: the runtime restores reads after writes.)
  // answers/: the supervisor's answers to the report helper (spec 0018), read-only inside.
  const allowRead = [input.worktree, input.shimDir, run("run.json"), run("prompt.md"), run("answers")];
  const allowedDomains = [...new Set(input.allowHosts)];
  // The links between the worktree and its git data stay as git made them: rewired, they would
  // point later sandboxes (and host-side git) at a repository the agent wrote. config.worktree
  // (made empty by the host before the first start) would be read by host git when the
  // repository enables per-worktree config.
  const gitLinks = input.jj
    ? []
    : [
        join(input.worktree, ".git"),
        join(input.gitWorktreeDir, "gitdir"),
        join(input.gitWorktreeDir, "commondir"),
        join(input.gitWorktreeDir, "config.worktree"),
      ];
  const denyWrite = [
    ...gitLinks,
    // The repository's jj config, the git store's config, hooks and branches (existing ones only).
    ...(input.jj && input.kind === "agent" ? input.jj.readOnly.filter((p) => existsSync(p)) : []),
    ...(input.kind === "agent" ? (input.readOnly ?? []) : []),
    // The runtime makes these writable whenever they exist on the host: a channel between runs.
    // Only existing ones: a deny on an absent path makes the runtime create a stub on the host.
    ...[join(home, ".npm", "_logs"), join(home, ".claude", "debug"), "/tmp/claude"].filter((p) =>
      existsSync(p),
    ),
  ].filter((p) => input.kind === "agent" || input.jj !== undefined || !p.startsWith(input.gitWorktreeDir));
  return {
    kind: input.kind,
    network: { allowedDomains, deniedDomains: [] },
    filesystem: { denyRead, allowRead, allowWrite: [...new Set(allowWrite)], denyWrite },
    binds,
    tlsPassthrough: [...new Set(input.tlsPassthrough ?? [])],
    upstreamCa: [...new Set(input.upstreamCa ?? [])],
    loopbackAllowed: LOOPBACK_HOSTS.filter((h) => allowedDomains.includes(h)),
    gitObjects: { own: run("objects"), shared: join(input.gitCommonDir, "objects") },
    ...(input.jj ? { jj: input.jj } : {}),
  };
}

/** The variables that send a sandboxed run's git objects to its own folder. */
export function gitObjectEnv(policy: Pick<Policy, "gitObjects"> & { jj?: JjPolicy }): Record<string, string> {
  // A jj run's objects go where jj puts them (its git backend); the host adopts only the commit.
  if (policy.jj) return {};
  return {
    GIT_OBJECT_DIRECTORY: policy.gitObjects.own,
    GIT_ALTERNATE_OBJECT_DIRECTORIES: policy.gitObjects.shared,
  };
}
