// A run's jj workspace, its change and its bookmark: the jj counterparts of a worktree and a branch.
import { type JjOptions, jj } from "./run.js";

/** One commit id from a revset that must name exactly one commit. */
export async function commitOf(repo: string, revset: string, opts: JjOptions = {}): Promise<string> {
  const { stdout } = await jj(repo, ["log", "--no-graph", "-r", revset, "-T", 'commit_id ++ "\\n"'], opts);
  const ids = stdout.split("\n").filter(Boolean);
  if (ids.length !== 1)
    throw new Error(`jj revision ${revset} names ${ids.length} commits in ${repo}; expected exactly one`);
  return ids[0] as string;
}

export interface AddWorkspaceOptions {
  name: string;
  /** Absolute path of the new workspace's folder (jj resolves a relative one from the process's cwd). */
  path: string;
  /** Parent revisions of its first working-copy commit: the base, or every dependency of a stacked task. */
  parents: readonly string[];
}

/**
 * `jj workspace add` at the task's base (one parent) or on top of its dependencies (several: the
 * new working-copy commit is their merge). It must update a working copy (the new one), so it
 * snapshots the default workspace too: the person's checkout, never an agent's.
 */
export async function addWorkspace(
  repo: string,
  o: AddWorkspaceOptions,
  opts: JjOptions = {},
): Promise<string> {
  if (!o.path.startsWith("/")) throw new Error(`workspace path must be absolute: ${o.path}`);
  const revs = o.parents.flatMap((p) => ["-r", p]);
  // --no-colocate: no git worktree beside the workspace (in a colocated repository jj would run
  // `git worktree add --orphan`, which needs git 2.42); the agent works with jj, Ballador reads git.
  await jj(repo, ["workspace", "add", "--no-colocate", "--name", o.name, ...revs, o.path], {
    ...opts,
    touchWorkingCopy: true,
  });
  return commitOf(repo, `${o.name}@`, opts);
}

/** The workspaces jj knows, each with its working-copy commit. */
export async function listWorkspaces(repo: string, opts: JjOptions = {}): Promise<Map<string, string>> {
  const { stdout } = await jj(
    repo,
    ["workspace", "list", "-T", 'name ++ "\\t" ++ self.target().commit_id() ++ "\\n"'],
    opts,
  );
  return new Map(
    stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t") as [string, string]),
  );
}

/** Forgets a workspace (its folder stays: the caller removes it only if Ballador made it). Idempotent. */
export async function forgetWorkspace(repo: string, name: string, opts: JjOptions = {}): Promise<boolean> {
  if (!(await listWorkspaces(repo, opts)).has(name)) return false;
  await jj(repo, ["workspace", "forget", name], opts);
  return true;
}

/**
 * The task's change as the workspace left it: its working-copy commit when it holds changes, else
 * the commit below it (an agent that ran `jj commit` leaves an empty working copy on top).
 * Ballador reads it from the repository, after a snapshot made inside the run's sandbox.
 */
export function taskHeadRevset(workspace: string): string {
  return `coalesce(${workspace}@ ~ empty(), ${workspace}@-)`;
}

/** Points a bookmark Ballador owns at a commit (creating it, or moving it in any direction). */
export async function setBookmark(
  repo: string,
  name: string,
  commit: string,
  opts: JjOptions = {},
): Promise<void> {
  await jj(repo, ["bookmark", "set", name, "-r", commit, "--allow-backwards"], opts);
}

export async function deleteBookmark(repo: string, name: string, opts: JjOptions = {}): Promise<void> {
  await jj(repo, ["bookmark", "delete", "--", name], opts);
}

/** Local bookmarks and their commits; a conflicted bookmark maps to null. */
export async function listBookmarks(repo: string, opts: JjOptions = {}): Promise<Map<string, string | null>> {
  const template =
    'if(remote, "", name ++ "\\t" ++ if(normal_target, normal_target.commit_id(), "conflict") ++ "\\n")';
  const { stdout } = await jj(repo, ["bookmark", "list", "-T", template], opts);
  const out = new Map<string, string | null>();
  for (const line of stdout.split("\n").filter(Boolean)) {
    const [name, target] = line.split("\t") as [string, string];
    out.set(name, target === "conflict" ? null : target);
  }
  return out;
}

/** How the change evolved (`jj evolog`): one line per earlier version, newest first. */
export async function evolog(repo: string, revset: string, opts: JjOptions = {}): Promise<string[]> {
  const template =
    'commit.commit_id().short(12) ++ " " ++ commit.committer().timestamp().format("%Y-%m-%d %H:%M:%S") ++ " " ++ if(commit.empty(), "(empty) ", "") ++ commit.description().first_line() ++ "\\n"';
  const { stdout } = await jj(repo, ["evolog", "--no-graph", "-r", revset, "-T", template], opts);
  return stdout.split("\n").filter(Boolean);
}

/** The commits of base..head, oldest first (the agent's iterative commits). */
export async function commitsBetween(
  repo: string,
  base: string,
  head: string,
  opts: JjOptions = {},
): Promise<string[]> {
  const { stdout } = await jj(
    repo,
    ["log", "--no-graph", "--reversed", "-r", `${base}..${head}`, "-T", 'commit_id ++ "\\n"'],
    opts,
  );
  return stdout.split("\n").filter(Boolean);
}
