/**
 * Conflict prediction across running and in-review branches: overlapping declared scopes,
 * files changed on more than one branch, and real textual conflicts from `git merge-tree`
 * (against the base and between review branches), with a suggested merge order.
 */
import { git, resolveCommit } from "../adapters/git/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import { topologicalOrder } from "../core/graph.js";
import { scopesOverlap } from "../core/scope.js";
import type { Project } from "./project.js";
import { branchFor } from "./run-env.js";

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
  const config = project.config;
  const exclude = [config.base];
  for (const d of task.needs) {
    const dep = project.store().task(d);
    const ref = dep?.branch ?? branchFor(config, d);
    if (await resolveCommit(project.paths.root, ref)) exclude.push(ref);
  }
  const r = await git(["log", "--no-merges", "--name-only", "--format=", head, "--not", ...exclude], {
    cwd: project.paths.root,
    allowFail: true,
  });
  return r.code === 0
    ? [
        ...new Set(
          r.stdout
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean),
        ),
      ].sort()
    : [];
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

export async function predictConflicts(project: Project, only?: string): Promise<ConflictReport> {
  const root = project.paths.root;
  const config = project.config;
  // Only tasks with a branch in play matter here: one indexed query, not the whole queue.
  const tasks = project.store().tasks({ states: ["running", "verifying", "review"] });
  const active = tasks.filter((t) => ["running", "verifying", "review"].includes(t.state));
  // Nothing in play, nothing to compare: no git process at all.
  if (active.length === 0) return { conflicts: [], mergeOrder: [] };
  const base = await resolveCommit(root, config.base);
  const heads = new Map<string, string>();
  for (const t of active) {
    const head = await resolveCommit(root, t.branch ?? branchFor(config, t.id));
    if (head) heads.set(t.id, head);
  }
  const conflicts: Conflict[] = [];
  const changed = new Map<string, string[]>();
  for (const t of active) {
    const head = heads.get(t.id);
    if (head && base) changed.set(t.id, await ownChangedFiles(project, t, head));
  }
  const relevant = (a: string, b?: string) => !only || a === only || b === only;
  for (let i = 0; i < active.length; i++) {
    const a = active[i] as TaskRow;
    for (let j = i + 1; j < active.length; j++) {
      const b = active[j] as TaskRow;
      if (!relevant(a.id, b.id)) continue;
      // A dependent built on its dependency's branch shares those changes by design.
      if (a.needs.includes(b.id) || b.needs.includes(a.id)) continue;
      const fa = changed.get(a.id) ?? [];
      const fb = new Set(changed.get(b.id) ?? []);
      const both = fa.filter((f) => fb.has(f));
      const ha = heads.get(a.id);
      const hb = heads.get(b.id);
      const textual = ha && hb && both.length > 0 ? await mergeTreeConflicts(root, ha, hb) : [];
      if (textual && textual.length > 0) {
        conflicts.push({
          kind: "textual",
          tasks: [a.id, b.id],
          with: b.id,
          files: textual,
          message: `${a.id} and ${b.id} conflict in ${textual.join(", ")}: merge one, then retry or rebase the other`,
        });
      } else if (both.length > 0) {
        conflicts.push({
          kind: "files",
          tasks: [a.id, b.id],
          with: b.id,
          files: both,
          message: `${a.id} and ${b.id} both change ${both.join(", ")} (no textual conflict yet)`,
        });
      } else {
        for (const w of scopeWarnings(a, [b])) conflicts.push(w);
      }
    }
  }
  if (base) {
    for (const t of active) {
      const head = heads.get(t.id);
      if (!head || !relevant(t.id) || t.state !== "review") continue;
      const files = await mergeTreeConflicts(root, base, head);
      if (files && files.length > 0) {
        conflicts.push({
          kind: "textual",
          tasks: [t.id],
          with: "base",
          files,
          message: `${t.id} no longer merges cleanly into ${config.base}: ${files.join(", ")}`,
        });
      }
    }
  }
  // Stacked dependents built on an older state of a dependency still in review.
  for (const t of active) {
    const head = heads.get(t.id);
    if (!head || !relevant(t.id)) continue;
    for (const d of t.needs) {
      const dep = tasks.find((x) => x.id === d);
      const depHead = dep && dep.state === "review" ? heads.get(dep.id) : undefined;
      if (!depHead) continue;
      const includes =
        (await git(["merge-base", "--is-ancestor", depHead, head], { cwd: root, allowFail: true })).code ===
        0;
      const startedOnIt =
        (await git(["merge-base", head, depHead], { cwd: root, allowFail: true })).stdout.trim() !== base;
      if (!includes && startedOnIt) {
        conflicts.push({
          kind: "stack",
          tasks: [t.id, d],
          with: d,
          files: [],
          message: `${t.id} was built on an older ${d}: ${d} changed since; bring it in with: ballador update ${t.id}`,
        });
      }
    }
  }
  const review = tasks.filter((t) => t.state === "review");
  const conflictCount = (id: string) =>
    conflicts.filter((c) => c.kind === "textual" && (c.tasks as string[]).includes(id)).length;
  // Dependencies first (a stable topological order); among equals, those that collide least first.
  const sorted = [...review].sort((a, b) => conflictCount(a.id) - conflictCount(b.id) || a.seq - b.seq);
  const mergeOrder = topologicalOrder(sorted.map((t) => ({ id: t.id, needs: t.needs })));
  return { conflicts, mergeOrder };
}
