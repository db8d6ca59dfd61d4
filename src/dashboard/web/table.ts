/**
 * The task table, virtualised: only the rows in view (plus a margin) exist in the DOM, so
 * 10,000 tasks cost what 40 do. Sorting and filtering work on the model's rows.
 */
import { age, clear, h, taskHref } from "./dom.js";
import { type BoardModel, needsYou, type Row, STATE_ORDER, UNVERIFIED_TITLE } from "./model.js";

export const ROW_H = 30;
const MARGIN = 10;

type Key =
  | "state"
  | "id"
  | "title"
  | "agent"
  | "stage"
  | "attempt"
  | "cost"
  | "age"
  | "denials"
  | "notes"
  | "flags";

const COLUMNS: Array<{ key: Key; label: string; cls: string }> = [
  { key: "state", label: "State", cls: "c-state" },
  { key: "id", label: "Task", cls: "c-id" },
  { key: "title", label: "Title", cls: "c-title" },
  { key: "agent", label: "Agent", cls: "c-agent" },
  { key: "stage", label: "Stage", cls: "c-role" },
  { key: "attempt", label: "Attempt", cls: "c-num" },
  { key: "cost", label: "Cost", cls: "c-num" },
  { key: "age", label: "Age", cls: "c-num" },
  { key: "denials", label: "Denied", cls: "c-num" },
  { key: "notes", label: "Notes", cls: "c-num" },
  { key: "flags", label: "Flags", cls: "c-flags" },
];

export function flags(r: Row): string[] {
  const f: string[] = [];
  if (r.waiting) f.push(`asks: ${r.waiting.asked}`);
  else if (needsYou(r)) f.push("needs you");
  if (r.denials > 0) f.push("denied");
  if (r.attempt > 1) f.push("retried");
  if (r.partVerify) f.push("own verify");
  return f;
}

const stateRank = new Map(STATE_ORDER.map((s, i) => [s, i]));

export class TaskTable {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private spacer: HTMLElement;
  private header: HTMLElement;
  private count: HTMLElement;
  private filterText = "";
  private filterState = "";
  private sortKey: Key = "state";
  private sortDir = 1;
  private view: Row[] = [];
  private dirty = true;

  constructor(private readonly model: BoardModel) {
    const search = h("input", {
      type: "search",
      placeholder: "Filter by id, title, agent…",
      "aria-label": "filter tasks",
      class: "filter",
      oninput: (e: Event) => {
        this.filterText = (e.target as HTMLInputElement).value.trim().toLowerCase();
        this.refresh();
      },
    });
    const select = h(
      "select",
      {
        "aria-label": "filter by state",
        class: "filter-state",
        onchange: (e: Event) => {
          this.filterState = (e.target as HTMLSelectElement).value;
          this.refresh();
        },
      },
      h("option", { value: "" }, "all states"),
      h("option", { value: "needs-you" }, "needs you"),
      STATE_ORDER.map((st) => h("option", { value: st }, st)),
    );
    this.count = h("span", { class: "muted table-count" });
    this.header = h("div", { class: "trow thead", role: "row" });
    this.spacer = h("div", { class: "tspacer" });
    this.body = h("div", { class: "tbody", role: "rowgroup" }, this.spacer);
    this.body.addEventListener("scroll", () => this.paint());
    this.el = h(
      "section",
      { class: "panel tasks", "aria-label": "tasks" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", null, "Tasks"),
        this.count,
        h("div", { class: "grow" }),
        search,
        select,
      ),
      h("div", { class: "table", role: "table" }, this.header, this.body),
    );
    this.drawHeader();
    new ResizeObserver(() => this.paint()).observe(this.body);
  }

  /** The rows changed: sort and filter again on the next paint. */
  refresh(): void {
    this.dirty = true;
    this.paint();
  }

  private drawHeader(): void {
    clear(this.header);
    for (const c of COLUMNS) {
      const active = c.key === this.sortKey;
      this.header.appendChild(
        h(
          "button",
          {
            class: `cell ${c.cls} sort${active ? " active" : ""}`,
            type: "button",
            "data-key": c.key,
            "aria-sort": active ? (this.sortDir > 0 ? "ascending" : "descending") : null,
            onclick: () => {
              if (this.sortKey === c.key) this.sortDir = -this.sortDir;
              else {
                this.sortKey = c.key;
                this.sortDir = 1;
              }
              this.drawHeader();
              this.refresh();
            },
          },
          c.label,
          active ? (this.sortDir > 0 ? " ▲" : " ▼") : "",
        ),
      );
    }
  }

  private compute(): void {
    const q = this.filterText;
    const st = this.filterState;
    const rows: Row[] = [];
    for (const id of this.model.ids) {
      const r = this.model.rows.get(id);
      if (!r) continue;
      if (st === "needs-you" ? !needsYou(r) : st && r.state !== st) continue;
      if (
        q &&
        !`${r.id}\n${r.title}\n${r.agent}\n${r.role ?? ""}\n${r.stage ?? ""}`.toLowerCase().includes(q)
      )
        continue;
      rows.push(r);
    }
    const k = this.sortKey;
    const dir = this.sortDir;
    const val = (r: Row): string | number => {
      switch (k) {
        case "state":
          return stateRank.get(r.state) ?? 99;
        case "age":
          return r.since;
        case "flags":
          return -flags(r).length;
        case "stage":
          return r.stage ?? r.role ?? "";
        case "cost":
          return r.cost ?? "";
        default:
          return r[k];
      }
    };
    rows.sort((a, b) => {
      const x = val(a);
      const y = val(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    this.view = rows;
    this.count.textContent = `${rows.length} of ${this.model.ids.length}`;
    this.spacer.style.height = `${rows.length * ROW_H}px`;
  }

  /** Draws the rows in view. */
  paint(): void {
    if (this.dirty) {
      this.compute();
      this.dirty = false;
    }
    const top = this.body.scrollTop;
    const height = this.body.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_H) - MARGIN);
    const last = Math.min(this.view.length, Math.ceil((top + height) / ROW_H) + MARGIN);
    const now = Date.now();
    for (const el of [...this.body.querySelectorAll(".trow")]) el.remove();
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const r = this.view[i] as Row;
      const row = h(
        "div",
        { class: `trow state-${r.state}`, role: "row", "data-id": r.id, "data-state": r.state },
        h(
          "span",
          { class: "cell c-state" },
          h("span", { class: `pill state-${r.state}` }, r.state),
          r.unverified
            ? h("span", { class: "pill unverified", title: UNVERIFIED_TITLE }, "unverified")
            : null,
        ),
        h("span", { class: "cell c-id" }, h("a", { href: taskHref(r.id) }, r.id)),
        h("span", { class: "cell c-title", title: r.title }, r.title),
        h("span", { class: "cell c-agent" }, r.agent),
        // The pipeline stage, or the part's role when it has no pipeline.
        h("span", { class: "cell c-role", title: r.stage ?? r.role ?? "" }, r.stage ?? r.role ?? ""),
        h("span", { class: "cell c-num" }, r.attempt),
        h(
          "span",
          { class: "cell c-num", title: r.cost ? `${r.cost} (the agent's own records)` : "" },
          r.cost ?? "",
        ),
        h("span", { class: "cell c-num" }, age(r.since, now)),
        h("span", { class: `cell c-num${r.denials ? " warn" : ""}` }, r.denials || ""),
        h("span", { class: "cell c-num" }, r.notes || ""),
        h(
          "span",
          { class: "cell c-flags" },
          flags(r).map((f) => h("span", { class: `flag flag-${f.replace(/ /g, "-")}` }, f)),
        ),
      );
      row.style.transform = `translateY(${i * ROW_H}px)`;
      frag.appendChild(row);
    }
    this.body.appendChild(frag);
  }
}
