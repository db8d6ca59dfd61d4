/** A task's page: the part, its spec, the brief, the diff, verification, denials, history and its terminal. */

import { Terminal } from "@xterm/xterm";
import { type ApiError, get, post } from "./api.js";
import { clear, h } from "./dom.js";
import { editPart } from "./part-editor.js";
import type { TaskPageData } from "./task-data.js";
import { editorButton, LineComments, TypeBox } from "./task-hands.js";
import { renderActions, renderHead, renderNotes } from "./task-head.js";
import { renderPanels } from "./task-panels.js";
import { screenOnly } from "./terminal-keys.js";
import { say } from "./ui.js";

/**
 * xterm's DOM renderer writes its theme and cell sizes into <style> elements; the page's CSP
 * admits only those carrying this response's nonce, so every <style> the page creates gets it.
 */
const styleNonce =
  document.querySelector<HTMLMetaElement>('meta[name="ballador-style-nonce"]')?.content ?? "";
const createElement = document.createElement.bind(document);
document.createElement = ((tag: string, options?: ElementCreationOptions) => {
  const el = createElement(tag, options);
  if (tag.toLowerCase() === "style") el.setAttribute("nonce", styleNonce);
  return el;
}) as typeof document.createElement;

type Frame =
  | { live: true; text: string; width: number; height: number }
  | { live: false; log: string; width?: number };

export class TaskView {
  readonly el: HTMLElement;
  private head = h("div", { class: "task-head" });
  private actions = h("div", { class: "actions" });
  private sections = h("div", { class: "task-sections" });
  private noteList = h("ul", { class: "notes" });
  private termEl = h("div", { class: "terminal", "aria-label": "terminal (read only)" });
  private termState = h("span", { class: "muted term-state" });
  private term: Terminal;
  private termSource: EventSource | null = null;
  private loading = false;
  private again = false;
  private lastState = "";
  private typeBox: TypeBox;
  private comments: LineComments;

  constructor(readonly id: string) {
    this.typeBox = new TypeBox(id);
    this.comments = new LineComments(id);
    const input = h("textarea", {
      class: "note-input",
      rows: 2,
      placeholder: "Leave a note: everyone watching sees it now, and it joins the review brief",
      "aria-label": "your note",
      maxlength: 10000,
    });
    const form = h(
      "form",
      {
        class: "note-form",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          const text = input.value;
          if (!text.trim()) return;
          try {
            await post(`/api/tasks/${encodeURIComponent(id)}/notes`, { text });
            input.value = "";
            void this.load();
          } catch (err) {
            const x = err as ApiError;
            say("error", x.message, x.details);
          }
        },
      },
      input,
      h("button", { type: "submit", class: "btn primary" }, "Add note"),
    );
    this.el = h(
      "div",
      { class: "task-page" },
      h("a", { href: "#/", class: "back" }, "← All tasks"),
      this.head,
      this.actions,
      h(
        "div",
        { class: "task-grid" },
        h(
          "div",
          { class: "task-main" },
          h(
            "section",
            { class: "panel" },
            h("div", { class: "panel-head" }, h("h2", null, "Terminal"), this.termState),
            this.termEl,
            this.typeBox.el,
          ),
          this.sections,
        ),
        h(
          "aside",
          { class: "task-side" },
          h(
            "section",
            { class: "panel notes-panel" },
            h("div", { class: "panel-head" }, h("h2", null, "Notes")),
            this.noteList,
            form,
          ),
          this.comments.el,
        ),
      ),
    );
    this.term = new Terminal({
      disableStdin: true,
      cursorBlink: false,
      convertEol: false,
      scrollback: 5000,
      fontSize: 11,
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, monospace",
      theme: { background: "#0d1117", foreground: "#d1d7e0" },
      cols: 120,
      rows: 30,
    });
  }

  mount(): void {
    this.term.open(this.termEl);
    this.typeBox.attach(this.term);
    this.termSource = new EventSource(`/api/tasks/${encodeURIComponent(this.id)}/terminal`);
    this.termSource.addEventListener("frame", (e) =>
      this.frame(JSON.parse((e as MessageEvent<string>).data) as Frame),
    );
    void this.load();
  }

  unmount(): void {
    this.termSource?.close();
    this.term.dispose();
  }

  /** Agent output goes to the emulator as terminal data, never into the page as HTML. */
  private frame(f: Frame): void {
    if (f.live) {
      if (this.term.cols !== f.width || this.term.rows !== f.height)
        this.term.resize(Math.min(f.width, 300), Math.min(f.height, 200));
      this.term.write(`\x1b[H\x1b[2J${screenOnly(f.text).replace(/\n/g, "\r\n")}`);
      this.typeBox.update(true);
      this.termState.textContent = this.typeBox.canType
        ? "live: click it and type (recorded under your name)"
        : "live, read only";
    } else {
      // The server replayed the log through the same emulator as `ballador logs`: plain screens.
      this.term.reset();
      this.typeBox.update(false);
      if (f.width && this.term.cols !== f.width) this.term.resize(Math.min(f.width, 300), this.term.rows);
      this.term.write(f.log.replace(/(?<!\r)\n/g, "\r\n"));
      this.termState.textContent = f.log ? "session ended: its screens, replayed" : "no session yet";
    }
  }

  /** Something about this task changed: read the page again (coalesced). */
  async load(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      const d = await get<TaskPageData>(`/api/tasks/${encodeURIComponent(this.id)}`);
      this.render(d);
    } catch (err) {
      clear(this.head);
      this.head.appendChild(h("h1", null, this.id));
      this.head.appendChild(h("p", { class: "error-text" }, (err as Error).message));
    } finally {
      this.loading = false;
      if (this.again) {
        this.again = false;
        void this.load();
      }
    }
  }

  private render(d: TaskPageData): void {
    renderHead(this.head, d);
    if (this.lastState !== d.task.state) {
      this.lastState = d.task.state;
      renderActions(this.actions, d.task);
      const editor =
        d.task.state === "merged" || d.task.state === "abandoned" ? null : editorButton(d.task.id);
      if (editor) this.actions.appendChild(editor);
      // The part of a task not started yet can still change, as `queue` allows.
      if (d.task.state === "queued" || d.task.state === "ready")
        this.actions.appendChild(
          h(
            "button",
            { type: "button", class: "btn", "data-action": "edit-part", onclick: () => editPart(this.id) },
            "Edit part",
          ),
        );
    }
    renderNotes(this.noteList, d.notes);
    renderPanels(this.sections, d, (file, line, side, code) => this.comments.add(file, line, side, code));
  }
}
