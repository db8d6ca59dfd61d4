/** Shared bits of the page: the confirmation dialog and the message line. */
import { type ApiError, post } from "./api.js";
import { clear, h } from "./dom.js";

let dialog: HTMLDialogElement | null = null;

/** Asks before an action; resolves true when the person confirms. */
export function confirmAction(title: string, text: string, ok: string): Promise<boolean> {
  dialog?.remove();
  const d = h(
    "dialog",
    { class: "confirm", "aria-label": title },
    h("h3", null, title),
    h("p", null, text),
    h(
      "div",
      { class: "dialog-buttons" },
      h("button", { type: "button", class: "btn", "data-answer": "cancel" }, "Cancel"),
      h("button", { type: "button", class: "btn primary", "data-answer": "ok" }, ok),
    ),
  );
  dialog = d;
  document.body.appendChild(d);
  return new Promise((resolve) => {
    d.addEventListener("click", (e) => {
      const answer = (e.target as HTMLElement).closest("button")?.dataset.answer;
      if (!answer) return;
      d.close();
      d.remove();
      resolve(answer === "ok");
    });
    d.addEventListener("cancel", () => resolve(false));
    d.showModal();
    (d.querySelector('[data-answer="ok"]') as HTMLButtonElement).focus();
  });
}

export const flash = h("div", { class: "flash", role: "status", "aria-live": "polite", hidden: true });

export function say(kind: "ok" | "error" | "busy", message: string, details: string[] = []): void {
  clear(flash);
  flash.hidden = false;
  flash.className = `flash ${kind}`;
  flash.appendChild(h("div", { class: "flash-text" }, message));
  for (const d of details) flash.appendChild(h("pre", { class: "flash-detail" }, d));
  flash.appendChild(
    h(
      "button",
      { type: "button", class: "flash-close", "aria-label": "dismiss", onclick: () => (flash.hidden = true) },
      "×",
    ),
  );
}

/** Confirm, post, and say what happened in the CLI's words (or its error). */
export async function runAction(path: string, title: string, text: string, ok: string): Promise<void> {
  if (!(await confirmAction(title, text, ok))) return;
  say("busy", `${title}…`);
  try {
    const r = await post<{ message: string }>(path);
    say("ok", r.message || "Done.");
  } catch (err) {
    const e = err as ApiError;
    say("error", e.message, e.details ?? []);
  }
}

/**
 * Request changes: the person's words go back to the agent in its next attempt (the CLI's
 * `ballador request-changes TASK "…"`, with the same checks).
 */
export async function requestChanges(id: string): Promise<void> {
  dialog?.remove();
  const text = h("textarea", {
    class: "request-input",
    rows: 6,
    maxlength: 65536,
    "aria-label": "what must change",
    placeholder: "What must change: the agent reads your words in its next attempt",
  }) as HTMLTextAreaElement;
  const d = h(
    "dialog",
    { class: "confirm", "aria-label": `Request changes to ${id}` },
    h("h3", null, `Request changes to ${id}`),
    h(
      "p",
      null,
      "The task goes back to its agent, continuing its conversation, with your words in the prompt.",
    ),
    text,
    h(
      "div",
      { class: "dialog-buttons" },
      h("button", { type: "button", class: "btn", "data-answer": "cancel" }, "Cancel"),
      h("button", { type: "button", class: "btn primary", "data-answer": "ok" }, "Send back"),
    ),
  );
  dialog = d;
  document.body.appendChild(d);
  const words = await new Promise<string | null>((resolve) => {
    d.addEventListener("click", (e) => {
      const answer = (e.target as HTMLElement).closest("button")?.dataset.answer;
      if (!answer) return;
      d.close();
      d.remove();
      resolve(answer === "ok" ? text.value : null);
    });
    d.addEventListener("cancel", () => resolve(null));
    d.showModal();
    text.focus();
  });
  if (words === null) return;
  say("busy", `Requesting changes to ${id}…`);
  try {
    const r = await post<{ message: string }>(`/api/tasks/${encodeURIComponent(id)}/request-changes`, {
      text: words,
    });
    say("ok", r.message || "Done.");
  } catch (err) {
    const e = err as ApiError;
    say("error", e.message, e.details ?? []);
  }
}
