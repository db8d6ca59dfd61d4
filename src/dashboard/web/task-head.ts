/** The top of a task's page: its head (state, facts, neighbours), the actions its state allows, its notes. */

import { age, clear, h, taskHref } from "./dom.js";
import { UNVERIFIED_TITLE } from "./model.js";
import { ACTIONS, actionPath } from "./task-actions.js";
import type { Note, TaskPageData } from "./task-data.js";
import { requestChanges, runAction } from "./ui.js";

/** State and title, what the agent asks the person (as text), the task's facts and neighbours. */
export function renderHead(head: HTMLElement, d: TaskPageData): void {
  const t = d.task;
  clear(head);
  head.appendChild(
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
    head.appendChild(
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
  head.appendChild(
    h(
      "div",
      { class: "facts" },
      fact("task", t.id),
      fact("agent", t.agent ?? d.runs.at(-1)?.profile ?? "default profile"),
      t.role ? fact("role", t.role) : null,
      fact("attempt", String(t.attempt)),
      // Where the newest run lives or lived (spec 0013): the runner's name, as text.
      d.runs.at(-1)?.runner ? fact("runner", d.runs.at(-1)?.runner as string) : null,
      fact("in state for", age(t.stateChangedAt)),
      t.branch ? fact("branch", t.branch) : null,
      t.reason ? fact("reason", t.reason) : null,
      d.merged
        ? h(
            "span",
            { class: "fact", "data-testid": "merged-at" },
            h("span", { class: "k" }, "merged"),
            `${d.merged.at.replace("T", " ").slice(0, 19)} at ${d.merged.commit.slice(0, 10)}`,
          )
        : null,
    ),
  );
  if (t.needs.length || d.dependents.length)
    head.appendChild(
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
}

/** The buttons the task's state allows, each asking before it acts. */
export function renderActions(actions: HTMLElement, t: TaskPageData["task"]): void {
  clear(actions);
  for (const a of ACTIONS) {
    if (!a.states.includes(t.state)) continue;
    actions.appendChild(
      h(
        "button",
        {
          type: "button",
          class: `btn${a.primary ? " primary" : ""}`,
          "data-action": a.action,
          onclick: () => runAction(actionPath(t.id, a.action), `${a.label} ${t.id}`, a.ask(t.id), a.label),
        },
        a.label,
      ),
    );
  }
  if (["review", "failed", "blocked", "stopped"].includes(t.state)) {
    actions.appendChild(
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
  if (!actions.firstChild)
    actions.appendChild(h("span", { class: "muted" }, `No action for a ${t.state} task.`));
}

export function renderNotes(list: HTMLElement, notes: Note[]): void {
  clear(list);
  if (notes.length === 0) list.appendChild(h("li", { class: "muted" }, "No notes yet."));
  for (const n of notes)
    list.appendChild(
      h(
        "li",
        { class: `note kind-${n.kind}`, "data-kind": n.kind },
        h(
          "div",
          { class: "note-meta" },
          h("span", { class: "note-kind" }, noteLabel(n.kind, n.author)),
          h("span", { class: "muted" }, `${age(n.at)} ago`),
        ),
        h("div", { class: "note-text" }, n.text),
      ),
    );
}

function fact(k: string, v: string): HTMLElement {
  return h("span", { class: "fact" }, h("span", { class: "k" }, k), h("span", { class: "v" }, v));
}

function links(ids: string[]): HTMLElement[] {
  return ids.map((id) => h("a", { href: taskHref(id), class: "v" }, id));
}

function noteLabel(kind: string, author?: string | null): string {
  if (kind === "person") return "person";
  // Keys a person typed into the agent's terminal: theirs, never the agent's.
  if (kind === "typed") return `typed by ${author ?? "a person"}`;
  if (kind === "request") return "person: requested changes";
  if (kind === "pr-review") return "pull request comments, sent back by the person";
  if (kind === "update") return "ballador: bring the base in (update)";
  if (kind === "summary") return "agent's summary";
  if (kind === "blocked") return "agent: blocked";
  if (kind === "system") return "ballador";
  return "agent's note";
}
