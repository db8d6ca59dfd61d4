/** The dashboard page: one event stream from the server, an overview and a page per task. */

import { drawBoard } from "./board.js";
import { age, clear, h, taskHref } from "./dom.js";
import { exportPng, exportSvg } from "./export.js";
import { drawGraph, drawNode, type GraphView, type Layout, MAX_PER_WAVE, waves } from "./graph.js";
import { legend } from "./legend.js";
import {
  ACTIVE,
  type BoardMessage,
  BoardModel,
  FINISHED,
  type PatchMessage,
  type Row,
  readyForReview,
  STATE_ORDER,
  waitingForYou,
} from "./model.js";
import { newPart } from "./part-editor.js";
import { loadSession, loggedOut, sessionBar } from "./session.js";
import { TaskTable } from "./table.js";
import { TaskView } from "./task.js";
import { flash, runAction, say } from "./ui.js";

const model = new BoardModel();
const app = document.getElementById("app") as HTMLElement;
const live = h("span", { class: "live off", title: "live updates" }, "connecting");
const counts = h("div", { class: "counts" });
const project = h("span", { class: "project muted" });
const header = h(
  "header",
  { class: "top" },
  h("a", { href: "#/", class: "brand" }, "Ballador"),
  project,
  counts,
  h("div", { class: "grow" }),
  sessionBar,
  live,
);
const main = h("main");
// Sandbox off (mode: none) or mostly off on purpose (issue 29): said on every page, in red.
const sandboxBanner = h("div", { class: "sandbox-off", role: "alert" });
sandboxBanner.hidden = true;
clear(app);
app.append(header, sandboxBanner, flash, main);

// ---- the overview ----------------------------------------------------------------------------
const graphBox = h("div", { class: "graph-box" });
const graphInfo = h("span", { class: "muted" });
const reviewList = h("ol", { class: "review-list" });
const launchBtn = h(
  "button",
  {
    type: "button",
    class: "btn primary",
    "data-action": "launch-ready",
    onclick: () => {
      const n = [...model.rows.values()].filter((r) => r.state === "ready").length;
      return runAction(
        "/api/launch",
        "Launch ready tasks",
        `Start up to ${n} ready task${n === 1 ? "" : "s"} (within max_parallel), highest priority first?`,
        "Launch",
      );
    },
  },
  "Launch ready",
);
const table = new TaskTable(model);
const graphView: GraphView = { showDone: false, expanded: new Set() };
const doneToggle = h("input", {
  type: "checkbox",
  class: "show-done",
  "aria-label": "show done tasks in place",
  onchange: (e: Event) => {
    graphView.showDone = (e.target as HTMLInputElement).checked;
    drawGraphNow();
  },
});
const graphSvg = () => graphBox.querySelector<SVGSVGElement>("svg.graph");
const exportBtn = (label: string, kind: string, run: (svg: SVGSVGElement) => unknown) =>
  h(
    "button",
    {
      type: "button",
      class: "btn",
      "data-export": kind,
      title: `Download the graph as drawn now, as ${label}`,
      onclick: async () => {
        const svg = graphSvg();
        if (!svg) return;
        try {
          await run(svg);
        } catch (err) {
          say("error", `Could not export the graph: ${(err as Error).message}`);
        }
      },
    },
    label,
  );
// A finished wave is one node: a click (or Enter) opens it; its wave label folds it again.
function toggleWave(e: Event): void {
  const el = (e.target as Element).closest("[data-wave]");
  if (!el) return;
  if (e instanceof KeyboardEvent && e.key !== "Enter" && e.key !== " ") return;
  const w = Number(el.getAttribute("data-wave"));
  if (graphView.expanded.has(w)) graphView.expanded.delete(w);
  else graphView.expanded.add(w);
  drawGraphNow();
}
graphBox.addEventListener("click", toggleWave);
graphBox.addEventListener("keydown", toggleWave);

// Graph or board (issue 34): the same tasks, as a DAG or as cards in columns by state.
const boardBox = h("div", { class: "board", "aria-label": "tasks by state" });
boardBox.hidden = true;
let view: "graph" | "board" = "graph";
const tab = (name: "graph" | "board", label: string) =>
  h(
    "button",
    {
      type: "button",
      "data-view": name,
      "aria-pressed": name === view ? "true" : "false",
      onclick: () => {
        view = name;
        for (const b of tabs.querySelectorAll("button"))
          b.setAttribute("aria-pressed", b.getAttribute("data-view") === view ? "true" : "false");
        graphBox.hidden = view !== "graph";
        boardBox.hidden = view !== "board";
        drawOverview();
      },
    },
    label,
  );
const tabs = h(
  "div",
  { class: "tabs", role: "group", "aria-label": "view" },
  tab("graph", "Graph"),
  tab("board", "Board"),
);
const overview = h(
  "div",
  { class: "overview" },
  h(
    "section",
    { class: "panel graph-panel", "aria-label": "dependency graph" },
    h(
      "div",
      { class: "panel-head" },
      tabs,
      graphInfo,
      h("div", { class: "grow" }),
      h("label", { class: "toggle" }, doneToggle, " done"),
      exportBtn("SVG", "svg", exportSvg),
      exportBtn("PNG", "png", exportPng),
      h("button", { type: "button", class: "btn", "data-action": "new-part", onclick: newPart }, "New part"),
      launchBtn,
    ),
    graphBox,
    boardBox,
    legend(),
  ),
  h(
    "div",
    { class: "split" },
    table.el,
    h(
      "section",
      { class: "panel review-panel", "aria-label": "review queue" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", null, "Review queue"),
        h("span", { class: "muted" }, "in suggested merge order"),
      ),
      reviewList,
    ),
  ),
);

let layout: Layout | null = null;
let layoutShape = -1;
let drawnStates = new Map<string, string>();
/** What each drawn node shows besides its state: a change redraws the node in place. */
let drawnLooks = new Map<string, string>();
const lookOf = (r: Row | undefined) =>
  r ? JSON.stringify([r.title, r.attempt, r.agent, r.waiting?.asked ?? null]) : "";

function drawGraphNow(): void {
  if (!layout) return;
  const scroll = graphBox.scrollLeft;
  clear(graphBox);
  if (model.ids.length === 0)
    graphBox.appendChild(
      h("p", { class: "muted empty" }, 'No tasks queued yet. Write parts, then run "ballador queue".'),
    );
  else graphBox.appendChild(drawGraph(model, layout, graphView));
  graphBox.scrollLeft = scroll;
  drawnStates = new Map(model.ids.map((id) => [id, model.rows.get(id)?.state ?? ""]));
  drawnLooks = new Map(model.ids.map((id) => [id, lookOf(model.rows.get(id))]));
}

function drawOverview(changed: Set<string> | null = null): void {
  if (layoutShape !== model.shape || !layout) {
    layout = waves(model);
    layoutShape = model.shape;
    changed = null;
  }
  if (view === "board") drawBoard(boardBox, model);
  // A few states changed and each node can change in place: no new drawing of the whole graph.
  else if (!changed || !(changed.size <= 50 && [...changed].every((id) => updateNode(id)))) drawGraphNow();
  graphInfo.textContent = `${model.ids.length} tasks in ${layout.waves.length} wave${layout.waves.length === 1 ? "" : "s"}`;
  const ready = [...model.rows.values()].filter((r) => r.state === "ready").length;
  launchBtn.textContent = `Launch ready (${ready})`;
  launchBtn.disabled = ready === 0;
  clear(reviewList);
  const queue = model.reviewQueue();
  if (queue.length === 0) reviewList.appendChild(h("li", { class: "muted empty" }, "Nothing awaits review."));
  for (const r of queue)
    reviewList.appendChild(
      h(
        "li",
        { "data-id": r.id },
        h("a", { href: taskHref(r.id), class: "rq-id" }, r.id),
        h("span", { class: "rq-title" }, r.title),
        h("span", { class: "muted rq-age" }, `in review for ${age(r.since)}`),
      ),
    );
  table.refresh();
}

/**
 * Redraws one task's node where it stands, when its move cannot change the layout: the node is
 * drawn, its wave is not crowded (which nodes show would change) and it neither finishes nor
 * un-finishes (a finished wave collapses).
 */
function updateNode(id: string): boolean {
  const r = model.rows.get(id);
  const before = drawnStates.get(id);
  if (!r || before === undefined || !layout) return false;
  if (before === r.state && drawnLooks.get(id) === lookOf(r)) return true;
  if (FINISHED.has(before) || FINISHED.has(r.state)) return false;
  const w = layout.wave.get(id);
  if (w === undefined) return false;
  // In a crowded wave the move may change which nodes deserve a place: draw it all again soon.
  if ((layout.waves[w]?.length ?? 0) > MAX_PER_WAVE) redrawSoon();
  drawnStates.set(id, r.state);
  drawnLooks.set(id, lookOf(r));
  const old = graphBox.querySelector(`svg.graph [data-id="${CSS.escape(id)}"]`)?.closest("a");
  if (!old) return true;
  old.replaceWith(drawNode(r, old.firstElementChild?.getAttribute("transform") ?? ""));
  return true;
}

let redrawTimer: number | null = null;

/** A full redraw of the graph within a second, at most one a second, off the update's path. */
function redrawSoon(): void {
  if (redrawTimer !== null) return;
  redrawTimer = window.setTimeout(() => {
    redrawTimer = null;
    if (!taskView) drawGraphNow();
  }, 1000);
}

function drawCounts(): void {
  const c = model.counts();
  clear(counts);
  for (const st of STATE_ORDER) {
    if (!c[st]) continue;
    counts.appendChild(
      h("span", { class: `count state-${st}`, "data-state": st }, h("b", null, c[st]), ` ${st}`),
    );
  }
  // Split (issue 34): decisions waiting on the person apart from work ready for a verdict.
  const rows = [...model.rows.values()];
  const waiting = rows.filter(waitingForYou).length;
  const review = rows.filter(readyForReview).length;
  if (waiting)
    counts.appendChild(h("span", { class: "count needs" }, h("b", null, waiting), " waiting for you"));
  if (review)
    counts.appendChild(h("span", { class: "count for-review" }, h("b", null, review), " ready for review"));
  project.textContent = model.root;
  const off =
    model.sandbox === "none"
      ? "SANDBOX OFF (sandbox.mode: none): agents run with your user's full access to files, network and credentials"
      : (model.sandboxWarning ?? "");
  sandboxBanner.textContent = off;
  sandboxBanner.hidden = off === "";
  const active = [...model.rows.values()].filter((r) => ACTIVE.has(r.state)).length;
  document.title = `${active ? `(${active} running) ` : ""}Ballador`;
}

// ---- routing ---------------------------------------------------------------------------------
let taskView: TaskView | null = null;

function route(): void {
  const m = /^#\/task\/(.+)$/.exec(location.hash);
  taskView?.unmount();
  taskView = null;
  clear(main);
  if (m) {
    taskView = new TaskView(decodeURIComponent(m[1] as string));
    main.appendChild(taskView.el);
    taskView.mount();
  } else {
    main.appendChild(overview);
    drawOverview();
  }
  window.scrollTo(0, 0);
}

let pending = false;
let changedIds = new Set<string>();
function schedule(changed: Set<string> | null): void {
  if (changed) for (const id of changed) changedIds.add(id);
  else changedIds.add("*");
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const ids = changedIds;
    changedIds = new Set();
    drawCounts();
    if (taskView) {
      if (ids.has("*") || ids.has(taskView.id)) void taskView.load();
    } else drawOverview(ids.has("*") ? null : ids);
  });
}

// ---- live ------------------------------------------------------------------------------------
function connect(): void {
  const es = new EventSource("/api/events");
  es.addEventListener("open", () => {
    live.textContent = "live";
    live.className = "live on";
  });
  es.addEventListener("error", () => {
    live.textContent = "reconnecting";
    live.className = "live off";
    // A refused reconnect (403) closes the stream for good: the session has ended.
    if (es.readyState === EventSource.CLOSED) void loadSession();
  });
  es.addEventListener("logout", () => {
    es.close();
    loggedOut();
  });
  es.addEventListener("board", (e) => {
    model.load(JSON.parse((e as MessageEvent<string>).data) as BoardMessage);
    schedule(null);
  });
  es.addEventListener("patch", (e) => {
    schedule(model.apply(JSON.parse((e as MessageEvent<string>).data) as PatchMessage));
  });
}

window.addEventListener("hashchange", route);
// Ages move on even when nothing changes.
setInterval(() => {
  if (!taskView) table.paint();
}, 5000);
route();
connect();
void loadSession();
