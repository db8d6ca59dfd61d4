/**
 * The dependency graph, left to right in waves: a task's wave is one more than the highest
 * wave of what it needs. Own layout rather than a layout library: waves are the columns by
 * definition, so only the order inside a column is left to choose (two barycentre sweeps), and
 * that stays linear in tasks and edges at 10,000 tasks where a general layered layout does
 * not. Finished waves collapse to one node; a crowded wave shows what needs eyes first.
 */
import { s, taskHref } from "./dom.js";
import { ACTIVE, type BoardModel, FINISHED, NEEDS_YOU, type Row, waitingForYou } from "./model.js";

const NODE_W = 190;
const NODE_H = 46;
const COL_GAP = 70;
const ROW_GAP = 12;
const PAD = 16;
/** Room above the columns for their wave labels. */
const TOP = 22;
export const MAX_PER_WAVE = 30;

interface Placed {
  kind: "task" | "collapsed" | "more";
  id: string;
  row?: Row;
  label: string;
  sub: string;
  x: number;
  y: number;
}

export interface Layout {
  waves: string[][];
  wave: Map<string, number>;
}

/** What the person chose to see: merged tasks in place ("done" toggle), and waves opened by hand. */
export interface GraphView {
  showDone: boolean;
  expanded: Set<number>;
}

/** Waves by Kahn's algorithm (no recursion: 10,000-deep chains must not overflow the stack). */
export function waves(model: BoardModel): Layout {
  const wave = new Map<string, number>();
  const indeg = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of model.ids) {
    const r = model.rows.get(id);
    if (!r) continue;
    const needs = r.needs.filter((d) => model.rows.has(d));
    indeg.set(id, needs.length);
    for (const d of needs) {
      const list = dependents.get(d);
      if (list) list.push(id);
      else dependents.set(d, [id]);
    }
  }
  const queue: string[] = [];
  for (const [id, n] of indeg) if (n === 0) queue.push(id);
  for (const id of queue) wave.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    const w = wave.get(id) ?? 0;
    for (const dep of dependents.get(id) ?? []) {
      wave.set(dep, Math.max(wave.get(dep) ?? 0, w + 1));
      const left = (indeg.get(dep) ?? 1) - 1;
      indeg.set(dep, left);
      if (left === 0) queue.push(dep);
    }
  }
  // A cycle cannot be queued, but say so rather than lose the tasks: they go last.
  const last = Math.max(0, ...wave.values()) + 1;
  for (const id of indeg.keys()) if (!wave.has(id)) wave.set(id, last);
  const cols: string[][] = [];
  for (const id of model.ids) {
    const w = wave.get(id);
    if (w === undefined) continue;
    const col = cols[w] ?? [];
    cols[w] = col;
    col.push(id);
  }
  return { waves: cols.filter((c) => c !== undefined), wave };
}

const interest = (r: Row) =>
  ACTIVE.has(r.state) ? 0 : NEEDS_YOU.has(r.state) ? 1 : r.state === "ready" ? 2 : 3;

/** A wave whose tasks all finished: one node standing for them (a click opens it). */
function collapsedWave(rows: Row[], w: number, x: number): Placed[] {
  const merged = rows.filter((r) => r.state === "merged").length;
  return [
    {
      kind: "collapsed",
      id: `wave-${w}`,
      label: `Wave ${w + 1}: done (${rows.length})`,
      sub: `${merged} merged${rows.length > merged ? `, ${rows.length - merged} abandoned` : ""} · open`,
      x,
      y: 0,
    },
  ];
}

/** A wave's task nodes (the most interesting first when there are too many), ordered near what they need. */
function taskWave(rows: Row[], w: number, x: number, pos: Map<string, number>): Placed[] {
  let shown = rows;
  if (rows.length > MAX_PER_WAVE)
    shown = [...rows].sort((a, b) => interest(a) - interest(b)).slice(0, MAX_PER_WAVE - 1);
  // Barycentre: sit near what you need, so edges run mostly straight.
  const bary = (r: Row) => {
    const ys = r.needs.map((d) => pos.get(d)).filter((v): v is number => v !== undefined);
    return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Number.POSITIVE_INFINITY;
  };
  const keyed = shown.map((r, i) => ({ r, k: bary(r), i }));
  keyed.sort((a, b) => (a.k === b.k ? a.i - b.i : a.k - b.k));
  const items: Placed[] = keyed.map(({ r }) => ({
    kind: "task" as const,
    id: r.id,
    row: r,
    label: r.id,
    sub: subline(r),
    x,
    y: 0,
  }));
  if (shown.length < rows.length)
    items.push({
      kind: "more",
      id: `more-${w}`,
      label: `+ ${rows.length - shown.length} more`,
      sub: "in the task table",
      x,
      y: 0,
    });
  return items;
}

/** Every wave's nodes, each at its place; pos holds each task's row in its wave. */
function placeWaves(
  model: BoardModel,
  layout: Layout,
  view: GraphView,
): { placed: Placed[]; tallest: number } {
  const placed: Placed[] = [];
  const pos = new Map<string, number>();
  let tallest = 0;
  layout.waves.forEach((col, w) => {
    const rows = col.map((id) => model.rows.get(id)).filter((r): r is Row => r !== undefined);
    const x = PAD + w * (NODE_W + COL_GAP);
    let items: Placed[];
    if (isCollapsed(rows, w, view)) {
      items = collapsedWave(rows, w, x);
      for (const r of rows) pos.set(r.id, 0);
    } else items = taskWave(rows, w, x, pos);
    items.forEach((it, i) => {
      it.y = TOP + PAD + i * (NODE_H + ROW_GAP);
      if (it.row) pos.set(it.row.id, i);
      placed.push(it);
    });
    tallest = Math.max(tallest, items.length);
  });
  return { placed, tallest };
}

/** A finished wave stays one node unless the person shows done tasks or opened it. */
function isCollapsed(rows: Row[], w: number, view: GraphView): boolean {
  return (
    !view.showDone && !view.expanded.has(w) && rows.length > 0 && rows.every((r) => FINISHED.has(r.state))
  );
}

/**
 * One edge per dependency, from where it stands (its collapsed wave, if so) to where the task
 * needing it stands (its collapsed wave too): a finished wave keeps its edges in and out.
 */
function drawEdges(model: BoardModel, layout: Layout, placed: Placed[]): SVGElement {
  const at = new Map<string, Placed>();
  for (const p of placed) if (p.row) at.set(p.row.id, p);
  const targets: Array<{ to: Placed; needs: string[] }> = [];
  for (const p of placed) if (p.row) targets.push({ to: p, needs: p.row.needs });
  // Collapsed waves stand for all their tasks, at both ends of an edge.
  layout.waves.forEach((col, w) => {
    const c = placed.find((p) => p.id === `wave-${w}` && p.kind === "collapsed");
    if (!c) return;
    for (const id of col) at.set(id, c);
    targets.push({ to: c, needs: col.flatMap((id) => model.rows.get(id)?.needs ?? []) });
  });
  const edges = s("g", { class: "edges" });
  const drawn = new Set<string>();
  for (const { to: p, needs } of targets) {
    for (const d of needs) {
      const from = at.get(d);
      if (!from || from === p) continue;
      const key = `${from.id}>${p.id}`;
      if (drawn.has(key)) continue;
      drawn.add(key);
      const depState = from.kind === "collapsed" ? "merged" : (model.rows.get(d)?.state ?? "");
      edges.appendChild(
        s("path", {
          d: edgePath(from, p),
          class: `edge${FINISHED.has(depState) ? " done" : ""}`,
          "data-from": from.id,
          "data-to": p.id,
        }),
      );
    }
  }
  return edges;
}

function edgePath(from: Placed, p: Placed): string {
  const x1 = from.x + NODE_W;
  const y1 = from.y + NODE_H / 2;
  const x2 = p.x;
  const y2 = p.y + NODE_H / 2;
  const mx = (x1 + x2) / 2;
  // An edge that skips waves runs in the gap between rows (free in every column), not behind
  // the nodes of the waves it crosses.
  const lane = Math.min(from.y, p.y) - ROW_GAP / 2;
  return x2 - x1 > COL_GAP + 1
    ? `M${x1},${y1} C${x1 + 24},${y1} ${x1 + 16},${lane} ${x1 + 40},${lane} L${x2 - 40},${lane} C${x2 - 16},${lane} ${x2 - 24},${y2} ${x2},${y2}`
    : `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
}

export function drawGraph(
  model: BoardModel,
  layout: Layout,
  view: GraphView = { showDone: false, expanded: new Set() },
): SVGElement {
  const { placed, tallest } = placeWaves(model, layout, view);
  const width = PAD * 2 + layout.waves.length * (NODE_W + COL_GAP) - COL_GAP;
  const height = TOP + PAD * 2 + tallest * (NODE_H + ROW_GAP) - ROW_GAP;
  const svg = s("svg", {
    class: "graph",
    width: Math.max(width, 200),
    height: Math.max(height, 80),
    viewBox: `0 0 ${Math.max(width, 200)} ${Math.max(height, 80)}`,
    role: "img",
    "aria-label": "dependency graph",
  });
  svg.appendChild(drawEdges(model, layout, placed));
  layout.waves.forEach((col, w) => {
    const x = PAD + w * (NODE_W + COL_GAP);
    const opened = view.expanded.has(w) && !view.showDone;
    svg.appendChild(
      s(
        "text",
        { x, y: PAD + 6, class: `wave-label${opened ? " wave-toggle" : ""}`, "data-wave": opened ? w : null },
        `WAVE ${w + 1} · ${col.length}${opened ? " · fold" : ""}`,
      ),
    );
  });
  for (const p of placed) svg.appendChild(node(p));
  return svg;
}

/** One task's node, drawn again at the same place (see updateNode in app.ts). */
export function drawNode(r: Row, transform: string): SVGElement {
  const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(transform);
  return node({
    kind: "task",
    id: r.id,
    row: r,
    label: r.id,
    sub: subline(r),
    x: Number(m?.[1] ?? 0),
    y: Number(m?.[2] ?? 0),
  });
}

const subline = (r: Row) =>
  r.waiting
    ? `asks: ${r.waiting.asked}`
    : `${r.state}${r.attempt > 1 ? ` · attempt ${r.attempt}` : ""} · ${r.agent}`;

function node(p: Placed): SVGElement {
  const state = p.row?.state ?? (p.kind === "collapsed" ? "merged" : "more");
  const cls = [
    "node",
    `state-${state}`,
    p.kind !== "task" ? p.kind : "",
    p.row && ACTIVE.has(p.row.state) ? "active" : "",
    p.row && waitingForYou(p.row) ? "needs-you" : "",
    p.row?.waiting ? "asking" : "",
  ]
    .filter(Boolean)
    .join(" ");
  const g = s("g", {
    class: cls,
    transform: `translate(${p.x},${p.y})`,
    "data-id": p.row ? p.row.id : null,
    "data-state": p.row ? p.row.state : null,
    "data-wave": p.kind === "collapsed" ? p.id.slice("wave-".length) : null,
    role: p.kind === "collapsed" ? "button" : null,
    tabindex: p.kind === "collapsed" ? 0 : null,
  });
  const asks = p.row?.waiting ? `\nasks: ${p.row.waiting.asked}` : "";
  g.appendChild(s("title", null, p.row ? `${p.row.id}: ${p.row.title} (${p.row.state})${asks}` : p.label));
  g.appendChild(s("rect", { width: NODE_W, height: NODE_H, rx: 8, ry: 8 }));
  g.appendChild(s("rect", { class: "bar", width: 5, height: NODE_H, rx: 2 }));
  g.appendChild(s("text", { x: 14, y: 19, class: "label" }, clip(p.label, 24)));
  g.appendChild(s("text", { x: 14, y: 36, class: "sub" }, clip(p.sub, 30)));
  if (p.row && waitingForYou(p.row)) {
    g.appendChild(s("circle", { cx: NODE_W - 12, cy: 12, r: 8, class: "badge" }));
    g.appendChild(s("text", { x: NODE_W - 12, y: 16, class: "badge-text" }, p.row.waiting ? "?" : "!"));
  }
  if (p.row) {
    const a = s("a", { href: taskHref(p.row.id) });
    a.appendChild(g);
    return a;
  }
  return g;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
