/**
 * The board view (issue 34): the tasks as cards in columns by state, beside the graph and the
 * table. Drawn again from the model on every change (a card moves when its task changes state);
 * a column shows at most MAX_CARDS, what needs eyes first, so 10,000 tasks stay cheap. A card
 * dropped on another column asks for that move (launch, resume, stop, merge, abandon: see
 * task-actions) and, once the person confirms, makes it through the same action as the buttons.
 */
import { age, clear, h, taskHref } from "./dom.js";
import type { BoardModel, Row } from "./model.js";
import { waitingForYou } from "./model.js";
import { actionPath, dropAction } from "./task-actions.js";
import { runAction } from "./ui.js";

const COLUMNS: Array<{ key: string; label: string; states: string[] }> = [
  { key: "todo", label: "To do", states: ["queued", "ready"] },
  { key: "running", label: "Running", states: ["running", "verifying"] },
  { key: "waiting", label: "Waiting for you", states: ["blocked", "failed", "stopped"] },
  { key: "review", label: "Ready for review", states: ["review"] },
  { key: "done", label: "Done", states: ["merged", "abandoned"] },
];
const MAX_CARDS = 100;

/** The card being dragged: a drop target cannot read the drag's data until the drop. */
let dragging: Row | null = null;

function card(r: Row, now: number): HTMLElement {
  return h(
    "a",
    {
      class: `card state-${r.state}${waitingForYou(r) ? " needs-you" : ""}`,
      href: taskHref(r.id),
      "data-id": r.id,
      "data-state": r.state,
      draggable: "true",
      ondragstart: (e: Event) => {
        dragging = r;
        const data = (e as DragEvent).dataTransfer;
        data?.setData("text/plain", r.id);
        if (data) data.effectAllowed = "move";
      },
      ondragend: () => {
        dragging = null;
      },
    },
    h("span", { class: "card-id" }, r.id),
    h("span", { class: "card-title" }, r.title),
    h(
      "span",
      { class: "card-sub muted" },
      r.waiting ? `asks: ${r.waiting.asked}` : `${r.state} · ${r.agent} · ${age(r.since, now)}`,
    ),
  );
}

export function drawBoard(el: HTMLElement, model: BoardModel): void {
  const now = Date.now();
  const by = new Map<string, Row[]>(COLUMNS.map((c) => [c.key, []]));
  const colOf = new Map(COLUMNS.flatMap((c) => c.states.map((s) => [s, c.key] as const)));
  for (const id of model.ids) {
    const r = model.rows.get(id);
    // An agent that asks waits for the person, whatever its run's state.
    const key = r ? (r.waiting ? "waiting" : colOf.get(r.state)) : undefined;
    if (r && key) by.get(key)?.push(r);
  }
  clear(el);
  for (const c of COLUMNS) {
    const rows = by.get(c.key) ?? [];
    // Newest change first: what just moved is at the top of its column.
    rows.sort((a, b) => (a.since < b.since ? 1 : a.since > b.since ? -1 : 0));
    el.appendChild(
      h(
        "section",
        {
          class: "board-col",
          "data-col": c.key,
          "aria-label": c.label,
          ondragover: (e: Event) => {
            if (!dragging || !dropAction(dragging.state, c.key)) return;
            e.preventDefault();
            (e.currentTarget as HTMLElement).classList.add("drop-ok");
          },
          ondragleave: (e: Event) => (e.currentTarget as HTMLElement).classList.remove("drop-ok"),
          ondrop: (e: Event) => {
            e.preventDefault();
            (e.currentTarget as HTMLElement).classList.remove("drop-ok");
            const r = dragging;
            dragging = null;
            const a = r ? dropAction(r.state, c.key) : null;
            if (r && a)
              void runAction(actionPath(r.id, a.action), `${a.label} ${r.id}`, a.ask(r.id), a.label);
          },
        },
        h("h3", null, c.label, h("span", { class: "muted" }, ` ${rows.length}`)),
        rows.slice(0, MAX_CARDS).map((r) => card(r, now)),
        rows.length > MAX_CARDS
          ? h("p", { class: "muted more" }, `+ ${rows.length - MAX_CARDS} more in the task table`)
          : null,
      ),
    );
  }
}
