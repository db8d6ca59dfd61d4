/**
 * The task table, virtualised: only the rows in view (plus a margin) exist in the DOM, so
 * 10,000 tasks cost what 40 do. Sorting and filtering work on the model's rows.
 */
import { age, clear, h, taskHref } from "./dom.js";
import {
  type BoardModel,
  type Row,
  readyForReview,
  STATE_ORDER,
  UNVERIFIED_TITLE,
  waitingForYou,
} from "./model.js";

export const ROW_H = 30;
const MARGIN = 10;

type Key =
  | "state"
  | "id"
  | "title"
  | "agent"
  | "stage"
  | "attempt"
  | "runner"
  | "cost"
  | "age"
  | "denials"
  | "notes"
  | "flags";

/** Columns with their width; the first three always show, the rest by PRIORITY. */
const COLUMNS: Array<{ key: Key; label: string; cls: string; width: number }> = [
  { key: "state", label: "State", cls: "c-state", width: 100 },
  { key: "id", label: "Task", cls: "c-id", width: 150 },
  { key: "title", label: "Title", cls: "c-title", width: 160 },
  { key: "agent", label: "Agent", cls: "c-agent", width: 100 },
  { key: "stage", label: "Stage", cls: "c-role", width: 110 },
  { key: "attempt", label: "Attempt", cls: "c-num", width: 64 },
  { key: "runner", label: "Runner", cls: "c-agent", width: 90 },
  { key: "cost", label: "Cost", cls: "c-num", width: 120 },
  { key: "age", label: "Age", cls: "c-num", width: 64 },
  { key: "denials", label: "Denied", cls: "c-num", width: 74 },
  { key: "notes", label: "Notes", cls: "c-num", width: 64 },
  { key: "flags", label: "Flags", cls: "c-flags", width: 150 },
];
/** Which columns go first when the table is narrow (issue 34): what asks for attention first. */
const PRIORITY: Key[] = ["flags", "age", "denials", "agent", "notes", "stage", "attempt", "runner", "cost"];
const CUE_W = 30;

/** The columns that fit in `width`; the others go into each row's detail. */
export function columnsThatFit(width: number): Set<Key> {
  const shown = new Set<Key>(["state", "id", "title"]);
  let used = COLUMNS.filter((c) => shown.has(c.key)).reduce((a, c) => a + c.width, 0);
  const all = COLUMNS.reduce((a, c) => a + c.width, 0);
  if (all <= width) return new Set(COLUMNS.map((c) => c.key));
  used += CUE_W;
  for (const k of PRIORITY) {
    const w = COLUMNS.find((c) => c.key === k)?.width ?? 0;
    if (used + w > width) break;
    shown.add(k);
    used += w;
  }
  return shown;
}

export function flags(r: Row): string[] {
  const f: string[] = [];
  if (r.waiting) f.push(`asks: ${r.waiting.asked}`);
  else if (waitingForYou(r)) f.push("waiting for you");
  else if (readyForReview(r)) f.push("ready for review");
  if (r.denials > 0) f.push("denied");
  if (r.attempt > 1) f.push("retried");
  if (r.partVerify) f.push("own verify");
  return f;
}

const stateRank = new Map(STATE_ORDER.map((s, i) => [s, i]));

/** One column's cell of a row; agent text goes in as text. */
function cell(key: Key, r: Row, now: number): HTMLElement {
  const cls = COLUMNS.find((c) => c.key === key)?.cls ?? "";
  const span = (attrs: Record<string, string>, ...kids: Array<Node | string | number | null>) =>
    h("span", { class: `cell ${cls} col-${key}`, ...attrs }, ...kids);
  switch (key) {
    case "state":
      return span(
        {},
        h("span", { class: `pill state-${r.state}` }, r.state),
        r.unverified ? h("span", { class: "pill unverified", title: UNVERIFIED_TITLE }, "unverified") : null,
      );
    case "id":
      return span({}, h("a", { href: taskHref(r.id) }, r.id));
    case "title":
      return span({ title: r.title }, r.title);
    case "agent":
      return span({}, r.agent);
    case "stage":
      // The pipeline stage, or the part's role when it has no pipeline.
      return span({ title: r.stage ?? r.role ?? "" }, r.stage ?? r.role ?? "");
    case "attempt":
      return span({}, r.attempt);
    case "runner":
      // Where its newest run lives or lived (spec 0013); blank: this machine. Config text, shown as text.
      return span({ title: r.runner ? `runs on runner ${r.runner}` : "" }, r.runner ?? "");
    case "cost":
      return span({ title: r.cost ? `${r.cost} (the agent's own records)` : "" }, r.cost ?? "");
    case "age":
      return span({}, age(r.since, now));
    case "denials":
      return h("span", { class: `cell ${cls} col-denials${r.denials ? " warn" : ""}` }, r.denials || "");
    case "notes":
      return span({}, r.notes || "");
    case "flags":
      return span({}, ...flags(r).map((f) => h("span", { class: `flag flag-${f.replace(/ /g, "-")}` }, f)));
  }
}

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
  /** The columns this width shows; the others are in each row's detail, behind its ▸ cue. */
  private shown = new Set<Key>(COLUMNS.map((c) => c.key));
  private detailId: string | null = null;
  private detail = h("div", { class: "row-detail", "aria-live": "polite" });

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
      h("option", { value: "waiting" }, "waiting for you"),
      h("option", { value: "for-review" }, "ready for review"),
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
      this.detail,
    );
    this.detail.hidden = true;
    this.drawHeader();
    new ResizeObserver(() => {
      if (this.relayout()) this.drawHeader();
      this.paint();
    }).observe(this.el);
  }

  /** The rows changed: sort and filter again on the next paint. */
  refresh(): void {
    this.dirty = true;
    this.paint();
  }

  /** Picks the columns for the table's width now; true when they changed. */
  private relayout(): boolean {
    const width = this.el.clientWidth;
    if (width === 0) return false;
    const shown = columnsThatFit(width - 2);
    if ([...shown].join() === [...this.shown].join()) return false;
    this.shown = shown;
    const cols = COLUMNS.filter((c) => shown.has(c.key)).map((c) =>
      c.key === "title" ? `minmax(${c.width}px, 1fr)` : `${c.width}px`,
    );
    if (shown.size < COLUMNS.length) cols.unshift(`${CUE_W}px`);
    this.el.style.setProperty("--table-cols", cols.join(" "));
    return true;
  }

  private hidden(): typeof COLUMNS {
    return COLUMNS.filter((c) => !this.shown.has(c.key));
  }

  private drawHeader(): void {
    clear(this.header);
    const hidden = this.hidden();
    if (hidden.length)
      this.header.appendChild(
        h(
          "span",
          {
            class: "cell more-cue",
            "data-hidden": hidden.map((c) => c.key).join(" "),
            title: `No room for ${hidden.map((c) => c.label).join(", ")}: in each row's detail (▸)`,
          },
          `+${hidden.length}`,
        ),
      );
    for (const c of COLUMNS) {
      if (!this.shown.has(c.key)) continue;
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
      if (
        st === "waiting" ? !waitingForYou(r) : st === "for-review" ? !readyForReview(r) : st && r.state !== st
      )
        continue;
      if (
        q &&
        !`${r.id}\n${r.title}\n${r.agent}\n${r.role ?? ""}\n${r.stage ?? ""}\n${r.runner ?? ""}`
          .toLowerCase()
          .includes(q)
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
        case "runner":
          return r.runner ?? "";
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
    const hidden = this.hidden();
    for (const el of [...this.body.querySelectorAll(".trow")]) el.remove();
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const r = this.view[i] as Row;
      const row = h(
        "div",
        { class: `trow state-${r.state}`, role: "row", "data-id": r.id, "data-state": r.state },
        hidden.length ? this.cue(r) : null,
        COLUMNS.filter((c) => this.shown.has(c.key)).map((c) => cell(c.key, r, now)),
      );
      row.style.transform = `translateY(${i * ROW_H}px)`;
      frag.appendChild(row);
    }
    this.body.appendChild(frag);
    this.drawDetail(now);
  }

  /** The ▸ that opens the row's detail: the columns this width has no room for. */
  private cue(r: Row): HTMLElement {
    const open = this.detailId === r.id;
    return h(
      "button",
      {
        type: "button",
        class: "cell more-cue",
        "aria-expanded": open ? "true" : "false",
        "aria-label": `details of ${r.id}`,
        onclick: () => {
          this.detailId = open ? null : r.id;
          this.paint();
        },
      },
      open ? "▾" : "▸",
    );
  }

  private drawDetail(now: number): void {
    const r = this.detailId ? this.model.rows.get(this.detailId) : undefined;
    const hidden = this.hidden();
    clear(this.detail);
    this.detail.hidden = !r || hidden.length === 0;
    if (!r || hidden.length === 0) return;
    this.detail.setAttribute("data-id", r.id);
    this.detail.appendChild(h("b", { class: "detail-id" }, r.id));
    for (const c of hidden)
      this.detail.appendChild(
        h(
          "span",
          { class: "detail-field", "data-key": c.key },
          h("span", { class: "k" }, c.label),
          cell(c.key, r, now),
        ),
      );
  }
}
