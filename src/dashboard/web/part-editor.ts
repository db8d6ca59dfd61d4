/**
 * Writing a part from the page (issue 34): a new one, or the part of a task not started yet.
 * The server checks it exactly as `ballador queue` does and queues it; its refusal comes back
 * with every problem, shown as text, and the dialog stays open to fix them.
 */
import { type ApiError, get, post } from "./api.js";
import { clear, h } from "./dom.js";
import { say } from "./ui.js";

const TEMPLATE = `---
id: my-part
title: What this part delivers
needs: []
---
What to do, and how to tell it is done.
`;

function dialogFor(title: string, text: string, onSave: (content: string) => Promise<string>): void {
  const input = h("textarea", {
    class: "part-input",
    rows: 16,
    spellcheck: false,
    "aria-label": "the part file (front matter and body)",
  }) as HTMLTextAreaElement;
  input.value = text;
  const problems = h("div", { class: "part-problems", role: "alert" });
  const d = h(
    "dialog",
    { class: "confirm part-editor", "aria-label": title },
    h("h3", null, title),
    h("p", { class: "muted" }, "Checked as ballador queue checks a part file, then queued."),
    input,
    problems,
    h(
      "div",
      { class: "dialog-buttons" },
      h(
        "button",
        { type: "button", class: "btn", "data-answer": "cancel", onclick: () => d.close() },
        "Cancel",
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn primary",
          "data-answer": "save",
          onclick: async () => {
            clear(problems);
            try {
              const message = await onSave(input.value);
              d.close();
              say("ok", message);
            } catch (err) {
              const x = err as ApiError;
              problems.append(
                h("p", { class: "error-text" }, x.message),
                ...(x.details ?? []).map((l) => h("pre", { class: "part-problem" }, l)),
              );
            }
          },
        },
        "Save and queue",
      ),
    ),
  );
  d.addEventListener("close", () => d.remove());
  document.body.appendChild(d);
  d.showModal();
  input.focus();
}

export function newPart(): void {
  dialogFor("New part", TEMPLATE, async (content) => {
    const id = /^id:\s*["']?([^"'\s]+)/m.exec(content)?.[1] ?? "";
    return (await post<{ message: string }>("/api/parts", { id, content })).message;
  });
}

export async function editPart(id: string): Promise<void> {
  try {
    const part = await get<{ path: string; text: string }>(`/api/parts/${encodeURIComponent(id)}`);
    dialogFor(
      `Edit the part of ${id}`,
      part.text,
      async (content) =>
        (await post<{ message: string }>("/api/parts", { path: part.path, content })).message,
    );
  } catch (err) {
    const x = err as ApiError;
    say("error", x.message, x.details);
  }
}
