/**
 * Conflict prediction across running and in-review branches: overlapping declared scopes,
 * files changed on more than one branch, and real textual conflicts from `git merge-tree`
 * (against the base and between review branches), with a suggested merge order.
 */
import { git, refsUnder, resolveCommit } from "../adapters/git/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import { topologicalOrder } from "../core/graph.js";
import { scopesOverlap } from "../core/scope.js";
import type { Project } from "../project/index.js";
import { branchFor } from "../project/index.js";

export interface Conflict {
  kind: "scope" | "files" | "textual" | "stack";
  tasks: [string, string] | [string];
  /** "base" when a branch no longer merges cleanly into the base. */
  with: string;
  files: string[];
  message: string;
}

export interface ConflictReport {
  conflicts: Conflict[];
  /** Review tasks in the order they should be merged. */
  mergeOrder: string[];
}

/** Real conflicts between two commits: the files `git merge-tree --write-tree` reports. */
export async function mergeTreeConflicts(repo: string, a: string, b: string): Promise<string[] | null> {
  const r = await git(["merge-tree", "--write-tree", "--name-only", "--no-messages", a, b], {
    cwd: repo,
    allowFail: true,
  });
  if (r.code === 0) return [];
  if (r.code !== 1) return null; // not comparable (unrelated histories, bad revs)
  return r.stdout
    .split("\n")
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Files a task's own commits touch: reachable from its head but not from the base nor from
 * its dependencies' branches (a stacked branch carries those, and they are not its work).
 */
export async function ownChangedFiles(project: Project, task: TaskRow, head: string): Promise<string[]> {
  const base = await resolveCommit(project.paths.root, project.config.base);
  if (!base) return [];
  return (await ownChangedFilesOf(project, base, [task], new Map([[task.id, head]]))).get(task.id) ?? [];
}

/** The branch each task works on, and the branches of its dependencies. */
function branchOf(project: Project, id: string, row?: TaskRow | null): string {
  const task = row ?? project.store().task(id);
  return task?.branch ?? branchFor(project.config, id);
}

/**
 * The commits of local branches, by branch name, in one git call (a branch that does not
 * exist, or does not point at a commit, is absent).
 */
async function branchCommits(root: string, names: Iterable<string>): Promise<Map<string, string>> {
  const wanted = new Set(names);
  // Each pattern also matches refs below it (refs/heads/x/...): only exact names are kept.
  const refs = await refsUnder(
    root,
    [...wanted].map((n) => `refs/heads/${n}`),
    { commitsOnly: true },
  );
  const out = new Map<string, string>();
  for (const name of wanted) {
    const sha = refs.get(`refs/heads/${name}`);
    if (sha) out.set(name, sha);
  }
  return out;
}

/**
 * ownChangedFiles for many tasks with one `git log`: every commit reachable from one of the
 * heads (or a dependency's branch) and not from the base, with its parents and files; each
 * task's own commits are then those its head reaches in that set minus those its
 * dependencies' branches reach. A commit outside the set is reachable from the base, and so
 * is everything below it, so a walk that stops at the set's edge misses none. Merges list no
 * files (as with --no-merges) but keep the walk connected. Before, this was a `rev-parse` per
 * dependency and a `git log` per task: with 20 tasks in review every brief cost 40 git
 * processes (docs/specs/0006).
 */
export async function ownChangedFilesOf(
  project: Project,
  base: string,
  tasks: readonly TaskRow[],
  heads: ReadonlyMap<string, string>,
): Promise<Map<string, string[]>> {
  const root = project.paths.root;
  const depBranches = new Map<string, string[]>();
  for (const t of tasks)
    if (heads.has(t.id))
      depBranches.set(
        t.id,
        t.needs.map((d) => branchOf(project, d)),
      );
  const depCommits = await branchCommits(root, [...depBranches.values()].flat());
  // Commits named by hash only (from git itself): none can be read as an option.
  const starts = new Set(
    [...heads.values(), ...depCommits.values()].filter((c) => /^[0-9a-f]{40,64}$/.test(c)),
  );
  const out = new Map<string, string[]>();
  if (starts.size === 0) return out;
  const r = await git(["log", "--name-only", "--format=%x01%H %P", ...starts, "--not", base, "--"], {
    cwd: root,
    allowFail: true,
  });
  if (r.code !== 0) return out;
  const parents = new Map<string, string[]>();
  const files = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of r.stdout.split("\n")) {
    if (line.startsWith("\x01")) {
      const [sha = "", ...ps] = line.slice(1).trim().split(" ");
      parents.set(sha, ps);
      current = [];
      files.set(sha, current);
    } else if (line.trim() && current) current.push(line.trim());
  }
  const reach = (from: string): Set<string> => {
    const seen = new Set<string>();
    const stack = parents.has(from) ? [from] : [];
    while (stack.length > 0) {
      const c = stack.pop() as string;
      if (seen.has(c)) continue;
      seen.add(c);
      for (const p of parents.get(c) ?? []) if (parents.has(p) && !seen.has(p)) stack.push(p);
    }
    return seen;
  };
  for (const [id, head] of heads) {
    const own = reach(head);
    for (const b of depBranches.get(id) ?? []) {
      const dep = depCommits.get(b);
      if (dep) for (const c of reach(dep)) own.delete(c);
    }
    out.set(id, [...new Set([...own].flatMap((c) => files.get(c) ?? []))].sort());
  }
  return out;
}

export function scopeWarnings(task: TaskRow, others: readonly TaskRow[]): Conflict[] {
  const out: Conflict[] = [];
  for (const o of others) {
    if (o.id === task.id || task.scope.length === 0 || o.scope.length === 0) continue;
    const pairs = scopesOverlap(task.scope, o.scope);
    if (pairs.length > 0) {
      out.push({
        kind: "scope",
        tasks: [task.id, o.id],
        with: o.id,
        files: pairs.map(([x, y]) => (x === y ? x : `${x} ~ ${y}`)),
        message: `${task.id} and ${o.id} (${o.state}) declare overlapping scopes: ${pairs.map(([x, y]) => (x === y ? x : `${x} ~ ${y}`)).join(", ")}`,
      });
    }
  }
  return out;
}

/** The branches in play, read once: what each stage of the prediction compares. */
interface InPlay {
  root: string;
  /** The base's name, and its commit (null when it does not resolve). */
  baseName: string;
  base: string | null;
  /** Every task in play (running, verifying, review). */
  active: TaskRow[];
  heads: Map<string, string>;
  /** A task's own changed files (not its dependencies'). */
  changed: Map<string, string[]>;
  /** With `only`, just what concerns that task. */
  relevant: (a: string, b?: string) => boolean;
}

/**
 * Conflicts among the branches in play (each pair, each review branch against the base, each
 * stacked dependent against its dependency), and the order to merge the review tasks in.
 */
export async function predictConflicts(project: Project, only?: string): Promise<ConflictReport> {
  // Only tasks with a branch in play matter here: one indexed query, not the whole queue.
  const tasks = project.store().tasks({ states: ["running", "verifying", "review"] });
  const active = tasks.filter((t) => ["running", "verifying", "review"].includes(t.state));
  // Nothing in play, nothing to compare: no git process at all.
  if (active.length === 0) return { conflicts: [], mergeOrder: [] };
  const play = await readInPlay(project, active, only);
  const conflicts: Conflict[] = [];
  for (let i = 0; i < active.length; i++)
    for (let j = i + 1; j < active.length; j++)
      conflicts.push(...(await pairConflicts(play, active[i] as TaskRow, active[j] as TaskRow)));
  conflicts.push(...(await baseConflicts(play)));
  conflicts.push(...(await stackConflicts(play, tasks)));
  return { conflicts, mergeOrder: mergeOrderOf(tasks, conflicts) };
}

async function readInPlay(project: Project, active: TaskRow[], only?: string): Promise<InPlay> {
  const root = project.paths.root;
  const base = await resolveCommit(root, project.config.base);
  // Every head in one call, every task's own files in one more: not two git processes per
  // task in play, for each brief and each notification.
  const byBranch = await branchCommits(
    root,
    active.map((t) => branchOf(project, t.id, t)),
  );
  const heads = new Map<string, string>();
  for (const t of active) {
    const head = byBranch.get(branchOf(project, t.id, t));
    if (head) heads.set(t.id, head);
  }
  const changed = base ? await ownChangedFilesOf(project, base, active, heads) : new Map<string, string[]>();
  const relevant = (a: string, b?: string) => !only || a === only || b === only;
  return { root, baseName: project.config.base, base, active, heads, changed, relevant };
}

/** Two branches: a textual conflict, else the files both change, else overlapping scopes. */
async function pairConflicts(play: InPlay, a: TaskRow, b: TaskRow): Promise<Conflict[]> {
  if (!play.relevant(a.id, b.id)) return [];
  // A dependent built on its dependency's branch shares those changes by design.
  if (a.needs.includes(b.id) || b.needs.includes(a.id)) return [];
  const fa = play.changed.get(a.id) ?? [];
  const fb = new Set(play.changed.get(b.id) ?? []);
  const both = fa.filter((f) => fb.has(f));
  const ha = play.heads.get(a.id);
  const hb = play.heads.get(b.id);
  const textual = ha && hb && both.length > 0 ? await mergeTreeConflicts(play.root, ha, hb) : [];
  if (textual && textual.length > 0)
    return [
      {
        kind: "textual",
        tasks: [a.id, b.id],
        with: b.id,
        files: textual,
        message: `${a.id} and ${b.id} conflict in ${textual.join(", ")}: merge one, then retry or rebase the other`,
      },
    ];
  if (both.length > 0)
    return [
      {
        kind: "files",
        tasks: [a.id, b.id],
        with: b.id,
        files: both,
        message: `${a.id} and ${b.id} both change ${both.join(", ")} (no textual conflict yet)`,
      },
    ];
  return scopeWarnings(a, [b]);
}

/** Review branches that no longer merge cleanly into the base. */
async function baseConflicts(play: InPlay): Promise<Conflict[]> {
  const out: Conflict[] = [];
  if (!play.base) return out;
  for (const t of play.active) {
    const head = play.heads.get(t.id);
    if (!head || !play.relevant(t.id) || t.state !== "review") continue;
    const files = await mergeTreeConflicts(play.root, play.base, head);
    if (files && files.length > 0) {
      out.push({
        kind: "textual",
        tasks: [t.id],
        with: "base",
        files,
        message: `${t.id} no longer merges cleanly into ${play.baseName}: ${files.join(", ")}`,
      });
    }
  }
  return out;
}

/** Stacked dependents built on an older state of a dependency still in review. */
async function stackConflicts(play: InPlay, tasks: readonly TaskRow[]): Promise<Conflict[]> {
  const { root, heads } = play;
  const out: Conflict[] = [];
  for (const t of play.active) {
    const head = heads.get(t.id);
    if (!head || !play.relevant(t.id)) continue;
    for (const d of t.needs) {
      const dep = tasks.find((x) => x.id === d);
      const depHead = dep && dep.state === "review" ? heads.get(dep.id) : undefined;
      if (!depHead) continue;
      const includes =
        (await git(["merge-base", "--is-ancestor", depHead, head], { cwd: root, allowFail: true })).code ===
        0;
      const startedOnIt =
        (await git(["merge-base", head, depHead], { cwd: root, allowFail: true })).stdout.trim() !==
        play.base;
      if (!includes && startedOnIt) {
        out.push({
          kind: "stack",
          tasks: [t.id, d],
          with: d,
          files: [],
          message: `${t.id} was built on an older ${d}: ${d} changed since; bring it in with: ballador update ${t.id}`,
        });
      }
    }
  }
  return out;
}

/** Dependencies first (a stable topological order); among equals, those that collide least first. */
function mergeOrderOf(tasks: readonly TaskRow[], conflicts: readonly Conflict[]): string[] {
  const review = tasks.filter((t) => t.state === "review");
  const conflictCount = (id: string) =>
    conflicts.filter((c) => c.kind === "textual" && (c.tasks as string[]).includes(id)).length;
  const sorted = [...review].sort((a, b) => conflictCount(a.id) - conflictCount(b.id) || a.seq - b.seq);
  return topologicalOrder(sorted.map((t) => ({ id: t.id, needs: t.needs })));
}
