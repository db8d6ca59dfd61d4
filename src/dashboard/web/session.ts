/**
 * Who is at this browser (issue 29): the page asks for a name on the first visit and shows it
 * in the header; the server records it beside every action from this session. When the session
 * ends (revoked, idle, the token rotated) the server says `logout` and the page says so.
 */
import { type ApiError, get, post } from "./api.js";
import { clear, h } from "./dom.js";

export const sessionBar = h("div", { class: "session" });

/** What this session may do besides looking (issue 34): type into agents, open an editor. */
export const sessionInfo: { name: string | null; typing: boolean; editor: "url" | "command" | null } = {
  name: null,
  typing: false,
  editor: null,
};
const listeners: Array<() => void> = [];
export function onSessionChange(f: () => void): void {
  listeners.push(f);
}

function showName(name: string): void {
  sessionInfo.name = name;
  for (const f of listeners) f();
  clear(sessionBar);
  sessionBar.append(h("span", { class: "muted" }, "as "), h("span", { class: "session-name" }, name));
}

function askName(): void {
  clear(sessionBar);
  const input = h("input", {
    class: "session-name-input",
    name: "name",
    maxlength: 40,
    required: true,
    autocomplete: "nickname",
    placeholder: "Your name, for the task history",
    "aria-label": "your name",
  });
  const error = h("span", { class: "session-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "session-form",
      onsubmit: (e: Event) => {
        e.preventDefault();
        post<{ name: string }>("/api/session/name", { name: input.value })
          .then((r) => showName(r.name))
          .catch((err: unknown) => {
            error.textContent = (err as ApiError).message;
          });
      },
    },
    input,
    h("button", { type: "submit", class: "btn" }, "Save"),
    error,
  );
  sessionBar.append(form);
}

export async function loadSession(): Promise<void> {
  try {
    const s = await get<{
      id: string;
      name: string | null;
      typing: boolean;
      editor: "url" | "command" | null;
    }>("/api/session");
    sessionInfo.typing = s.typing;
    sessionInfo.editor = s.editor;
    if (s.name) showName(s.name);
    else {
      askName();
      for (const f of listeners) f();
    }
  } catch (err) {
    if ((err as ApiError).status === 403) loggedOut();
  }
}

/** The session ended: nothing of the board stays on the screen. */
export function loggedOut(): void {
  const app = document.getElementById("app") as HTMLElement;
  clear(app);
  app.append(
    h(
      "div",
      { class: "logged-out", "data-testid": "logged-out" },
      h("h1", null, "Your dashboard session ended"),
      h(
        "p",
        null,
        "It was revoked, unused for too long, or the dashboard's token changed. Open the URL that `ballador dashboard` printed (after a rotation: the one `ballador dashboard sessions --rotate-token` printed).",
      ),
    ),
  );
}
