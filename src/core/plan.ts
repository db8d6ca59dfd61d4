/**
 * Reading a plan (a set of parts) for parallelism: the waves in which its parts can run, and
 * the pairs that may run at the same time while declaring overlapping scopes. Pure.
 */
import { scopesOverlap } from "./scope.js";

export interface PlanNode {
  id: string;
  needs: readonly string[];
  scope: readonly string[];
}

/**
 * Wave n holds the parts whose longest chain of needs inside the plan is n long: wave 0 can
 * start at once, wave 1 once wave 0 is merged, and so on. Needs outside the plan (tasks
 * already queued) do not count; parts in a cycle are left out.
 */
export function parallelWaves(nodes: readonly PlanNode[]): string[][] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return Number.NaN;
    visiting.add(id);
    const node = byId.get(id) as PlanNode;
    let d = 0;
    for (const dep of node.needs) if (byId.has(dep)) d = Math.max(d, depth(dep) + 1);
    visiting.delete(id);
    level.set(id, d);
    return d;
  };
  const waves: string[][] = [];
  for (const n of nodes) {
    const d = depth(n.id);
    if (Number.isNaN(d)) continue;
    const wave = waves[d] ?? [];
    wave.push(n.id);
    waves[d] = wave;
  }
  return waves.filter(Boolean).map((w) => w.sort());
}

/** Every part each part waits for, directly or through others (inside the plan). */
function ancestors(nodes: readonly PlanNode[]): Map<string, Set<string>> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map<string, Set<string>>();
  for (const n of nodes) {
    const seen = new Set<string>();
    const stack = [...n.needs];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (seen.has(id) || !byId.has(id)) continue;
      seen.add(id);
      stack.push(...(byId.get(id) as PlanNode).needs);
    }
    out.set(n.id, seen);
  }
  return out;
}

export interface ScopeOverlap {
  a: string;
  b: string;
  globs: Array<[string, string]>;
  message: string;
}

/** Pairs of parts that neither waits for the other (so may run at once) whose scopes overlap. */
export function concurrentOverlaps(nodes: readonly PlanNode[]): ScopeOverlap[] {
  const anc = ancestors(nodes);
  const out: ScopeOverlap[] = [];
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i] as PlanNode;
      const b = nodes[j] as PlanNode;
      if (anc.get(a.id)?.has(b.id) || anc.get(b.id)?.has(a.id)) continue;
      const globs = scopesOverlap(a.scope, b.scope);
      if (globs.length === 0) continue;
      out.push({
        a: a.id,
        b: b.id,
        globs,
        message: `"${a.id}" and "${b.id}" may run at the same time and both touch ${globs
          .map(([x, y]) => (x === y ? x : `${x} / ${y}`))
          .join(", ")}: make their scopes disjoint, or make one need the other`,
      });
    }
  }
  return out;
}
