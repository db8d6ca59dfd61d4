/** A task's page: the part, its spec, the brief, the diff, verification, denials, history and its terminal. */

import { Terminal } from "@xterm/xterm";
import { type ApiError, get, post } from "./api.js";
import { age, clear, h, markdown, taskHref } from "./dom.js";
import { UNVERIFIED_TITLE } from "./model.js";
import { type PartVerify, partVerifyNote } from "./part-verify.js";
import { requestChanges, runAction, say } from "./ui.js";

interface Note {
  seq: number;
  at: string;
  kind: string;
  text: string;
  runId: string | null;
}

interface TaskPageData {
  waiting: { since: string; asked: string; nudgedAt: string | null } | null;
  unverified?: boolean;
  task: {
    id: string;
    title: string;
    state: string;
    reason: string | null;
    agent: string | null;
    role: string | null;
    attempt: number;
    branch: string | null;
    spec: string | null;
    needs: string[];
    scope: string[];
    body: string;
    stateChangedAt: string;
  };
  events: Array<{
    seq: number;
    at: string;
    from: string | null;
    to: string;
    cause: string;
    actor: string;
    detail: string | null;
  }>;
  runs: Array<{
    id: string;
    attempt: number;
    profile: string;
    status: string;
    startedAt: string;
    endedAt: string | null;
    outcome: string | null;
    exitCode: number | null;
    detail: string | null;
  }>;
  notes: Note[];
  dependents: string[];
  verifications: Array<{
    seq: number;
    at: string;
    kind: string;
    command: string | null;
    passed: boolean;
    exitCode: number | null;
    ms: number;
    commit: string | null;
    detail: string | null;
    /** A failed check's output, its end (escaped when kept): the agent's code wrote it, shown as text. */
    tail: string | null;
    log: string | null;
  }>;
  brief: {
    markdown: string;
    data: { head: string | null; outsideScope: string[]; tampered: string[] };
  } | null;
  briefError: string | null;
  denials: {
    runs: Array<{
      run: string;
      profile: string;
      denials: Array<{ host: string; port: number | null; count: number; at: string }>;
    }>;
    suggestions: Array<{ host: string; global: string; perProfile: string[] }>;
  };
  diff: Array<{ file: string; text: string; truncated: boolean; added: number; removed: number }>;
  spec: { path: string; text: string | null } | null;
  live: boolean;
  partVerify: PartVerify | null;
}

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

type Frame = { live: true; text: string; width: number; height: number } | { live: false; log: string };

const ACTIONS: Array<{
  action: string;
  label: string;
  states: string[];
  ask: (id: string) => string;
  primary?: boolean;
}> = [
  {
    action: "launch",
    label: "Launch",
    states: ["ready"],
    ask: (id) => `Start ${id} now, in its own worktree and session?`,
    primary: true,
  },
  {
    action: "stop",
    label: "Stop",
    states: ["running", "verifying"],
    ask: (id) => `Close ${id}'s session? Its worktree is kept; resume continues it.`,
  },
  {
    action: "resume",
    label: "Resume",
    states: ["stopped", "blocked", "failed"],
    ask: (id) => `Continue ${id} in its worktree, in a new session?`,
  },
  {
    action: "retry",
    label: "Retry",
    states: ["failed", "blocked", "stopped", "review"],
    ask: (id) => `Start a new attempt of ${id}?`,
  },
  {
    action: "merge",
    label: "Merge",
    states: ["review"],
    ask: (id) => `Merge ${id} into the base (re-verified on the merged result)?`,
    primary: true,
  },
  {
    action: "pr",
    label: "Open PR",
    states: ["review"],
    ask: (id) => `Push ${id}'s branch and open a pull request with its brief (needs gh)?`,
  },
];

export class TaskView {
  readonly el: HTMLElement;
  private head = h("div", { class: "task-head" });
  private actions = h("div", { class: "actions" });
  private sections = h("div", { class: "task-sections" });
  private noteList = h("ul", { class: "notes" });
  private termEl = h("div", { class: "terminal", "aria-label": "terminal (read only)" });
  private termState = h("span", { class: "muted" });
  private term: Terminal;
  private termSource: EventSource | null = null;
  private loading = false;
  private again = false;
  private lastState = "";

  constructor(readonly id: string) {
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
      this.term.write(`\x1b[H\x1b[2J${f.text.replace(/\n/g, "\r\n")}`);
      this.termState.textContent = "live, read only";
    } else {
      this.term.reset();
      this.term.write(f.log.replace(/(?<!\r)\n/g, "\r\n"));
      this.termState.textContent = f.log ? "session ended: its log" : "no session yet";
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
    const t = d.task;
    clear(this.head);
    this.head.appendChild(
      h(
        "div",
        { class: "title-line" },
        h("span", { class: `pill big state-${t.state}`, "data-testid": "task-state" }, t.state),
        d.unverified
          ? h(
              "span",
              { class: "pill big unverified", "data-testid": "task-unverified", title: UNVERIFIED_TITLE },
              "unverified",
            )
          : null,
        h("h1", null, t.title),
      ),
    );
    if (d.waiting) {
      // The agent's own words: text, never markup.
      this.head.appendChild(
        h(
          "div",
          { class: "waiting", "data-testid": "waiting" },
          h("b", null, "Waiting for you: "),
          d.waiting.asked || "(no question shown)",
          h(
            "span",
            { class: "muted" },
            ` since ${d.waiting.since}${d.waiting.nudgedAt ? "; nudged to continue" : ""}. Answer with ballador attach ${t.id}, or request changes.`,
          ),
        ),
      );
    }
    this.head.appendChild(
      h(
        "div",
        { class: "facts" },
        fact("task", t.id),
        fact("agent", t.agent ?? d.runs.at(-1)?.profile ?? "default profile"),
        t.role ? fact("role", t.role) : null,
        fact("attempt", String(t.attempt)),
        fact("in state for", age(t.stateChangedAt)),
        t.branch ? fact("branch", t.branch) : null,
        t.reason ? fact("reason", t.reason) : null,
      ),
    );
    if (t.needs.length || d.dependents.length)
      this.head.appendChild(
        h(
          "div",
          { class: "facts" },
          t.needs.length
            ? h("span", { class: "fact" }, h("span", { class: "k" }, "needs"), links(t.needs))
            : null,
          d.dependents.length
            ? h("span", { class: "fact" }, h("span", { class: "k" }, "needed by"), links(d.dependents))
            : null,
        ),
      );

    if (this.lastState !== t.state) {
      this.lastState = t.state;
      clear(this.actions);
      for (const a of ACTIONS) {
        if (!a.states.includes(t.state)) continue;
        this.actions.appendChild(
          h(
            "button",
            {
              type: "button",
              class: `btn${a.primary ? " primary" : ""}`,
              "data-action": a.action,
              onclick: () =>
                runAction(
                  `/api/tasks/${encodeURIComponent(t.id)}/${a.action}`,
                  `${a.label} ${t.id}`,
                  a.ask(t.id),
                  a.label,
                ),
            },
            a.label,
          ),
        );
      }
      if (["review", "failed", "blocked", "stopped"].includes(t.state)) {
        this.actions.appendChild(
          h(
            "button",
            {
              type: "button",
              class: "btn",
              "data-action": "request-changes",
              onclick: () => requestChanges(t.id),
            },
            "Request changes",
          ),
        );
      }
      if (!this.actions.firstChild)
        this.actions.appendChild(h("span", { class: "muted" }, `No action for a ${t.state} task.`));
    }

    clear(this.noteList);
    if (d.notes.length === 0) this.noteList.appendChild(h("li", { class: "muted" }, "No notes yet."));
    for (const n of d.notes)
      this.noteList.appendChild(
        h(
          "li",
          { class: `note kind-${n.kind}`, "data-kind": n.kind },
          h(
            "div",
            { class: "note-meta" },
            h("span", { class: "note-kind" }, noteLabel(n.kind)),
            h("span", { class: "muted" }, `${age(n.at)} ago`),
          ),
          h("div", { class: "note-text" }, n.text),
        ),
      );

    clear(this.sections);
    const sec = (title: string, ...body: Array<Node | null>) =>
      this.sections.appendChild(
        h("section", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", null, title)), ...body),
      );

    sec(
      "Diff",
      d.diff.length === 0
        ? h("p", { class: "muted" }, "No changes on the branch yet.")
        : h(
            "div",
            { class: "diff" },
            d.diff.map((f, i) => diffFile(f, i < 3)),
          ),
    );
    sec(
      "Verification",
      partVerifyNote(d.partVerify),
      d.verifications.length === 0
        ? h("p", { class: "muted" }, "No verification recorded.")
        : h(
            "div",
            null,
            d.verifications.map((v) =>
              h(
                "details",
                { class: `verify ${v.passed ? "passed" : "failed"}`, open: !v.passed },
                h(
                  "summary",
                  null,
                  v.command === null
                    ? h("span", { class: "pill unverified" }, "unverified")
                    : h(
                        "span",
                        { class: `pill ${v.passed ? "state-merged" : "state-failed"}` },
                        v.passed ? "passed" : "failed",
                      ),
                  ` ${v.kind === "gate" ? "agent's gate" : v.kind === "clean" ? "clean checkout" : "merged result"} · `,
                  h("code", null, v.command ?? "(no verify command)"),
                  ` · ${(v.ms / 1000).toFixed(1)} s · ${v.commit?.slice(0, 10) ?? "?"}`,
                ),
                v.detail ? h("p", { class: "muted" }, v.detail) : null,
                h(
                  "pre",
                  { class: "log" },
                  v.tail ?? (v.passed ? "(passed: no output kept)" : "(no output kept)"),
                ),
                v.log ? h("p", { class: "muted" }, "The whole log: ", h("code", null, v.log)) : null,
              ),
            ),
          ),
    );
    const denied = d.denials.runs.flatMap((r) => r.denials.map((x) => ({ ...x, profile: r.profile })));
    sec(
      "Sandbox denials",
      denied.length === 0
        ? h("p", { class: "muted" }, "No denied network requests.")
        : h(
            "div",
            null,
            h(
              "ul",
              { class: "denials" },
              denied.map((x) =>
                h(
                  "li",
                  null,
                  h("code", null, `${x.host}${x.port ? `:${x.port}` : ""}`),
                  ` denied ${x.count}× (${x.profile})`,
                ),
              ),
            ),
            h("p", null, "To allow, add one of these lines to .ballador/config.yaml:"),
            h(
              "pre",
              { class: "code suggestions" },
              d.denials.suggestions.flatMap((s) => [s.global, ...s.perProfile]).join("\n"),
            ),
          ),
    );
    sec(
      "Review brief",
      d.brief ? markdown(d.brief.markdown) : h("p", { class: "muted" }, d.briefError ?? "No brief."),
    );
    sec("The part", markdown(t.body || "(no description)"));
    sec(
      "The spec",
      d.spec
        ? d.spec.text === null
          ? h("p", { class: "muted" }, `${d.spec.path} (not found)`)
          : h("details", null, h("summary", null, d.spec.path), markdown(d.spec.text))
        : h("p", { class: "muted" }, "This part names no spec."),
    );
    sec(
      "Runs",
      d.runs.length === 0
        ? h("p", { class: "muted" }, "Never run.")
        : table(
            ["attempt", "profile", "status", "started", "outcome", "detail"],
            d.runs.map((r) => [
              String(r.attempt),
              r.profile,
              r.status,
              `${age(r.startedAt)} ago`,
              r.outcome ?? "",
              r.detail ?? "",
            ]),
          ),
    );
    sec(
      "History",
      table(
        ["when", "from", "to", "cause", "by"],
        [...d.events]
          .reverse()
          .map((e) => [
            `${age(e.at)} ago`,
            e.from ?? "new",
            e.to,
            e.cause + (e.detail ? `: ${e.detail}` : ""),
            e.actor,
          ]),
      ),
    );
  }
}

function fact(k: string, v: string): HTMLElement {
  return h("span", { class: "fact" }, h("span", { class: "k" }, k), h("span", { class: "v" }, v));
}

function links(ids: string[]): HTMLElement[] {
  return ids.map((id) => h("a", { href: taskHref(id), class: "v" }, id));
}

function noteLabel(kind: string): string {
  if (kind === "person") return "person";
  if (kind === "request") return "person: requested changes";
  if (kind === "pr-review") return "pull request comments, sent back by the person";
  if (kind === "update") return "ballador: bring the base in (update)";
  if (kind === "summary") return "agent's summary";
  if (kind === "blocked") return "agent: blocked";
  if (kind === "system") return "ballador";
  return "agent's note";
}

function table(headers: string[], rows: string[][]): HTMLElement {
  return h(
    "table",
    { class: "plain" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headers.map((x) => h("th", null, x)),
      ),
    ),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          null,
          r.map((c) => h("td", null, c)),
        ),
      ),
    ),
  );
}

function diffFile(f: TaskPageData["diff"][number], open: boolean): HTMLElement {
  const pre = h("pre", { class: "diff-text" });
  const fill = () => {
    if (pre.firstChild) return;
    for (const line of f.text.split("\n")) {
      const cls = line.startsWith("@@")
        ? "hunk"
        : line.startsWith("+++") ||
            line.startsWith("---") ||
            line.startsWith("diff ") ||
            line.startsWith("index ")
          ? "meta"
          : line.startsWith("+")
            ? "add"
            : line.startsWith("-")
              ? "del"
              : "ctx";
      pre.appendChild(h("span", { class: `dl ${cls}` }, `${line}\n`));
    }
    if (f.truncated)
      pre.appendChild(h("span", { class: "dl meta" }, "(cut here: the file's diff is larger)\n"));
  };
  const d = h(
    "details",
    { class: "diff-file", open },
    h(
      "summary",
      null,
      h("span", { class: "file" }, f.file),
      h("span", { class: "add" }, ` +${f.added}`),
      h("span", { class: "del" }, ` −${f.removed}`),
    ),
    pre,
  );
  // Large diffs are drawn when opened, not before.
  if (open) fill();
  d.addEventListener("toggle", fill);
  return d;
}
