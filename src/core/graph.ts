/**
 * The dependency graph of parts. Pure: validation (duplicates, unknown dependencies, cycles),
 * ordering, and the three drawings (terminal tree, Mermaid, DOT).
 */

export interface GraphNode {
  id: string;
  needs: readonly string[];
}

export interface GraphProblem {
  kind: "duplicate" | "unknown-dependency" | "cycle" | "self-dependency";
  message: string;
  ids: string[];
}

/** Finds one cycle (as a closed path a -> b -> ... -> a) per strongly connected knot, iteratively. */
export function findCycles(nodes: ReadonlyMap<string, readonly string[]>): string[][] {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Map<string, number>();
  const cycles: string[][] = [];
  for (const start of nodes.keys()) {
    if ((color.get(start) ?? WHITE) !== WHITE) continue;
    // Explicit stack: 10,000-long chains must not overflow the call stack.
    const stack: Array<{ id: string; next: number }> = [{ id: start, next: 0 }];
    const path: string[] = [start];
    color.set(start, GREY);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number };
      const needs = nodes.get(frame.id) ?? [];
      if (frame.next < needs.length) {
        const dep = needs[frame.next++] as string;
        if (!nodes.has(dep)) continue;
        const c = color.get(dep) ?? WHITE;
        if (c === WHITE) {
          color.set(dep, GREY);
          stack.push({ id: dep, next: 0 });
          path.push(dep);
        } else if (c === GREY) {
          const from = path.indexOf(dep);
          // Print in dependency-reading order: a needs b needs c needs a.
          cycles.push([...path.slice(from), dep]);
        }
      } else {
        color.set(frame.id, BLACK);
        stack.pop();
        path.pop();
      }
    }
  }
  return cycles;
}

/**
 * Validates a set of parts against the ids already known to the store.
 * `known` are ids that exist outside `nodes` (already queued tasks).
 */
export function validateGraph(
  nodes: readonly GraphNode[],
  known: ReadonlyMap<string, readonly string[]> = new Map(),
): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.id)) {
      problems.push({ kind: "duplicate", message: `duplicate id "${n.id}"`, ids: [n.id] });
    }
    seen.add(n.id);
  }
  const all = new Map<string, readonly string[]>(known);
  for (const n of nodes) all.set(n.id, n.needs);
  for (const n of nodes) {
    for (const dep of n.needs) {
      if (dep === n.id) {
        problems.push({ kind: "self-dependency", message: `"${n.id}" needs itself`, ids: [n.id] });
      } else if (!all.has(dep)) {
        problems.push({
          kind: "unknown-dependency",
          message: `"${n.id}" needs "${dep}", which is neither in these parts nor in the queue`,
          ids: [n.id, dep],
        });
      }
    }
  }
  for (const cycle of findCycles(all)) {
    if (cycle.length <= 2) continue; // self-dependency, already reported
    problems.push({
      kind: "cycle",
      message: `dependency cycle: ${cycle.join(" -> ")}`,
      ids: cycle,
    });
  }
  return problems;
}

/** Dependents index: id -> ids that need it. */
export function dependentsOf(nodes: Iterable<GraphNode>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of nodes) {
    for (const dep of n.needs) {
      const list = out.get(dep);
      if (list) list.push(n.id);
      else out.set(dep, [n.id]);
    }
  }
  return out;
}

/** Kahn's order, stable by the given node order; nodes in cycles are left out. */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  const ids = new Set(nodes.map((n) => n.id));
  const indegree = new Map<string, number>();
  for (const n of nodes) indegree.set(n.id, n.needs.filter((d) => ids.has(d)).length);
  const dependents = dependentsOf(nodes);
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    order.push(id);
    for (const d of dependents.get(id) ?? []) {
      const left = (indegree.get(d) ?? 0) - 1;
      indegree.set(d, left);
      if (left === 0) queue.push(d);
    }
  }
  return order;
}

export interface DrawNode extends GraphNode {
  title: string;
  state: string;
  /** A pipeline's stage ("2/3 implementer"), shown beside the state (issue 16). */
  stage?: string | null;
}

function stateText(n: DrawNode): string {
  return n.stage ? `${n.state}: ${n.stage}` : n.state;
}

const MAX_INDENT = 24;

/** A terminal tree: roots first, each dependent under its first dependency, repeats marked. */
export function drawTree(nodes: readonly DrawNode[]): string {
  if (nodes.length === 0) return "(no tasks)";
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const dependents = dependentsOf(nodes);
  const lines: string[] = [];
  const drawn = new Set<string>();
  const label = (n: DrawNode) => `${n.id} [${stateText(n)}] ${n.title}`;
  const roots = nodes.filter((n) => n.needs.every((d) => !byId.has(d)));
  // Iterative walk with explicit prefixes so deep chains stay safe.
  const walk = (rootId: string) => {
    const stack: Array<{ id: string; prefix: string; last: boolean; depth: number; via?: string }> = [
      { id: rootId, prefix: "", last: true, depth: 0 },
    ];
    while (stack.length > 0) {
      const item = stack.pop() as (typeof stack)[number];
      const node = byId.get(item.id) as DrawNode;
      const branch = item.depth === 0 ? "" : item.last ? "└── " : "├── ";
      if (drawn.has(item.id)) {
        const others = node.needs.filter((d) => d !== item.via);
        lines.push(
          `${item.prefix}${branch}${item.id} (${others.length > 0 ? `also needs ${others.join(", ")}; ` : ""}shown above)`,
        );
        continue;
      }
      drawn.add(item.id);
      const extra = node.needs.filter((d) => d !== item.via && byId.has(d));
      lines.push(
        `${item.prefix}${branch}${label(node)}${item.via && extra.length > 0 ? `  (also needs ${extra.join(", ")})` : ""}`,
      );
      const kids = dependents.get(item.id) ?? [];
      // Past MAX_INDENT levels the indentation stops growing (a 10,000-long chain stays readable).
      const childPrefix =
        item.depth === 0
          ? ""
          : item.depth >= MAX_INDENT
            ? item.prefix
            : item.prefix + (item.last ? "    " : "│   ");
      for (let i = kids.length - 1; i >= 0; i--) {
        stack.push({
          id: kids[i] as string,
          prefix: childPrefix,
          last: i === kids.length - 1,
          depth: item.depth + 1,
          via: item.id,
        });
      }
    }
  };
  for (const r of roots) walk(r.id);
  // Members of cycles have no root; show them so nothing is hidden.
  for (const n of nodes) if (!drawn.has(n.id)) walk(n.id);
  return lines.join("\n");
}

function quoteLabel(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/[\r\n]+/g, " ");
}

export function drawMermaid(nodes: readonly DrawNode[]): string {
  const lines = ["graph TD"];
  for (const n of nodes) {
    // Mermaid labels: HTML entities are the only safe way to show quotes.
    const text = `${n.id}: ${n.title} (${stateText(n)})`.replace(/"/g, "#quot;").replace(/[\r\n]+/g, " ");
    lines.push(`  ${mermaidId(n.id)}["${text}"]:::${n.state}`);
  }
  for (const n of nodes) for (const d of n.needs) lines.push(`  ${mermaidId(d)} --> ${mermaidId(n.id)}`);
  lines.push(
    "  classDef merged fill:#d3f9d8;",
    "  classDef review fill:#fff3bf;",
    "  classDef running fill:#d0ebff;",
    "  classDef failed fill:#ffc9c9;",
    "  classDef blocked fill:#ffd8a8;",
  );
  return lines.join("\n");
}

function mermaidId(id: string): string {
  // Ids are [a-z0-9-]; Mermaid dislikes some words (end, graph) as bare ids.
  return `t_${id.replace(/-/g, "_")}`;
}

export function drawDot(nodes: readonly DrawNode[]): string {
  const lines = ["digraph ballador {", "  rankdir=LR;", "  node [shape=box];"];
  for (const n of nodes) {
    const label = [n.id, n.title, `[${stateText(n)}]`].map(quoteLabel).join("\\n");
    lines.push(`  "${quoteLabel(n.id)}" [label="${label}"];`);
  }
  for (const n of nodes)
    for (const d of n.needs) lines.push(`  "${quoteLabel(d)}" -> "${quoteLabel(n.id)}";`);
  lines.push("}");
  return lines.join("\n");
}
