/**
 * Hands on a task from its page (issue 34): typing into its running agent (a named session, when
 * the dashboard allows it), comments on lines of its diff sent back as a request for changes,
 * and opening its worktree in the person's editor. What the person types is sent as data and
 * shown back as text.
 */
import type { Terminal } from "@xterm/xterm";
import { type ApiError, post } from "./api.js";
import { clear, h } from "./dom.js";
import { onSessionChange, sessionInfo } from "./session.js";
import { PASTE_START, toKeys } from "./terminal-keys.js";
import { say } from "./ui.js";

/**
 * Keystrokes go together (one request, one "typed" note in the history) until a pause of
 * BURST_MS, or at most BURST_MAX_MS after the first, so the agent is never kept waiting long.
 */
const BURST_MS = 100;
const BURST_MAX_MS = 1000;

/**
 * Typing into the agent: the page's terminal itself takes keystrokes (sent in bursts), and the
 * line under it sends a whole line (for a paste, or a phone). Both only for a live session when
 * this dashboard lets this named session type.
 */
export class TypeBox {
  readonly el: HTMLElement;
  private input = h("input", {
    class: "type-input",
    maxlength: 4096,
    autocomplete: "off",
    placeholder: "Type to the agent; Enter sends the line (recorded under your name)",
    "aria-label": "type into the agent's terminal",
  }) as HTMLInputElement;
  private why = h("span", { class: "muted type-why" });
  private form: HTMLElement;
  private live = false;
  private term: Terminal | null = null;
  private pending = "";
  private timer: ReturnType<typeof setTimeout> | null = null;
  private burstStart = 0;
  /** Bursts go one after another, so the agent gets keys in the order they were typed. */
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly id: string) {
    this.form = h(
      "form",
      {
        class: "type-form",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          const text = this.input.value;
          try {
            await post(`/api/tasks/${encodeURIComponent(this.id)}/type`, { text, enter: true });
            this.input.value = "";
          } catch (err) {
            const x = err as ApiError;
            say("error", x.message, x.details);
          }
        },
      },
      this.input,
      h("button", { type: "submit", class: "btn" }, "Send"),
    );
    this.el = h("div", { class: "type-box" }, this.form, this.why);
    this.update(false);
    onSessionChange(() => this.update(this.live));
  }

  /** The page's terminal: what is typed into it goes to the agent while typing is allowed. */
  attach(term: Terminal): void {
    this.term = term;
    term.onData((data) => {
      if (!this.canType) return;
      if (data.startsWith(PASTE_START)) {
        // A paste goes alone, right away: keys typed around it stay keys, and its text stays text.
        if (this.timer) clearTimeout(this.timer);
        this.flush();
        this.pending = data;
        this.flush();
        return;
      }
      if (!this.pending) this.burstStart = Date.now();
      this.pending += data;
      if (this.timer) clearTimeout(this.timer);
      const wait = Math.min(BURST_MS, Math.max(0, this.burstStart + BURST_MAX_MS - Date.now()));
      this.timer = setTimeout(() => this.flush(), wait);
    });
    this.update(this.live);
  }

  get canType(): boolean {
    return this.live && sessionInfo.typing && !!sessionInfo.name;
  }

  private flush(): void {
    this.timer = null;
    const keys = toKeys(this.pending);
    this.pending = "";
    if (keys.length === 0) return;
    this.sending = this.sending.then(async () => {
      try {
        await post(`/api/tasks/${encodeURIComponent(this.id)}/type`, { keys });
      } catch (err) {
        const x = err as ApiError;
        say("error", x.message, x.details);
      }
    });
  }

  /** Shown for a live session when this dashboard lets this named session type. */
  update(live: boolean): void {
    this.live = live;
    const reason = !live
      ? ""
      : !sessionInfo.typing
        ? "Typing into agents is off for this dashboard (--typing on allows it)."
        : !sessionInfo.name
          ? "Give your name (top right) to type into the agent: what you type is recorded under it."
          : "";
    this.form.hidden = !live || reason !== "";
    this.why.textContent = reason;
    if (this.term) {
      // Bracketed paste in the page's own terminal: xterm then marks a paste as one, and it goes
      // to the agent as a paste (tmux brackets it again if the agent's program asked for that).
      if (this.canType) this.term.write("\x1b[?2004h");
      this.term.options.disableStdin = !this.canType;
      this.term.options.cursorBlink = this.canType;
      this.term.element?.parentElement?.setAttribute(
        "aria-label",
        this.canType ? "terminal: what you type goes to the agent" : "terminal (read only)",
      );
      this.term.element?.parentElement?.classList.toggle("typing", this.canType);
    }
  }
}

interface Draft {
  file: string;
  line: number;
  side: "new" | "old";
  code: string;
  input: HTMLTextAreaElement;
}

/** Comments on lines of the diff, kept while the page redraws, sent together as request changes. */
export class LineComments {
  readonly el: HTMLElement;
  private drafts: Draft[] = [];
  private list = h("ul", { class: "line-comments" });
  private send = h(
    "button",
    { type: "button", class: "btn primary", "data-action": "send-comments", onclick: () => this.submit() },
    "Send as request changes",
  );

  constructor(private readonly id: string) {
    this.el = h(
      "section",
      { class: "panel comments-panel" },
      h("div", { class: "panel-head" }, h("h2", null, "Line comments")),
      this.list,
      h("div", { class: "comments-foot" }, this.send),
    );
    this.draw();
  }

  /** A click on a diff line: a comment for it (once per line). */
  add(file: string, line: number, side: "new" | "old", code: string): void {
    const have = this.drafts.find((d) => d.file === file && d.line === line && d.side === side);
    if (have) {
      have.input.focus();
      return;
    }
    const input = h("textarea", {
      class: "comment-input",
      rows: 2,
      maxlength: 8000,
      "aria-label": `comment on ${file} line ${line}`,
    }) as HTMLTextAreaElement;
    this.drafts.push({ file, line, side, code, input });
    this.draw();
    input.focus();
  }

  private draw(): void {
    clear(this.list);
    if (this.drafts.length === 0)
      this.list.appendChild(h("li", { class: "muted" }, "Click a line of the diff to comment on it."));
    for (const d of this.drafts)
      this.list.appendChild(
        h(
          "li",
          { class: "line-comment", "data-file": d.file, "data-line": d.line },
          h("div", { class: "comment-where" }, `${d.file}:${d.line}${d.side === "old" ? " (old)" : ""}`),
          h("code", { class: "comment-code" }, d.code),
          d.input,
          h(
            "button",
            {
              type: "button",
              class: "btn small",
              onclick: () => {
                this.drafts = this.drafts.filter((x) => x !== d);
                this.draw();
              },
            },
            "Remove",
          ),
        ),
      );
    this.send.hidden = this.drafts.length === 0;
  }

  private async submit(): Promise<void> {
    const comments = this.drafts.map((d) => ({
      file: d.file,
      line: d.line,
      side: d.side,
      text: d.input.value,
    }));
    say("busy", `Sending ${comments.length} comment${comments.length === 1 ? "" : "s"} to ${this.id}…`);
    try {
      const r = await post<{ message: string }>(`/api/tasks/${encodeURIComponent(this.id)}/request-changes`, {
        comments,
      });
      this.drafts = [];
      this.draw();
      say("ok", r.message || "Sent.");
    } catch (err) {
      const x = err as ApiError;
      say("error", x.message, x.details);
    }
  }
}

/** "Open in editor": the dashboard's --editor, a URL the browser follows or a command run there. */
export function editorButton(id: string): HTMLElement | null {
  if (!sessionInfo.editor) return null;
  return h(
    "button",
    {
      type: "button",
      class: "btn",
      "data-action": "open-editor",
      onclick: async () => {
        try {
          const r = await post<{ message: string; url?: string }>(
            `/api/tasks/${encodeURIComponent(id)}/open-editor`,
          );
          if (r.url) {
            const a = h("a", { href: r.url, class: "editor-link" });
            document.body.appendChild(a);
            a.click();
            a.remove();
          }
          say("ok", r.message);
        } catch (err) {
          const x = err as ApiError;
          say("error", x.message, x.details);
        }
      },
    },
    "Open in editor",
  );
}
