/**
 * A person typing into a running agent from the dashboard (issue 34): text goes to the task's
 * live tmux session as literal keys, special keys only by a tmux name from a fixed list, and
 * every burst is kept as one "typed" note with the person's name, so the history says who told
 * the agent what (special keys drawn as symbols: ⏎, ⌫, ^C).
 */
import { type Project, requireTask, UserError } from "../../project/index.js";
import { tmuxFor } from "../../run/index.js";

export const MAX_TYPED = 4096;
/** The most keys (text runs and special keys) in one burst. */
export const MAX_KEYS = 1024;

/** The special keys a person may send, by tmux name, with how the history draws each. */
const SPECIAL: ReadonlyMap<string, string> = new Map([
  ["Enter", "⏎"],
  ["BSpace", "⌫"],
  ["DC", "⌦"],
  ["Tab", "⇥"],
  ["BTab", "⇤"],
  ["Escape", "⎋"],
  ["Up", "↑"],
  ["Down", "↓"],
  ["Left", "←"],
  ["Right", "→"],
  ["Home", "⇱"],
  ["End", "⇲"],
  ["PPage", "⇞"],
  ["NPage", "⇟"],
  ...[..."abcdefghijklmnopqrstuvwxyz"].map((c): [string, string] => [`C-${c}`, `^${c.toUpperCase()}`]),
  ...Array.from({ length: 12 }, (_, n): [string, string] => [`F${n + 1}`, `⟨F${n + 1}⟩`]),
]);

/** One piece of a burst: literal text, one special key by its tmux name, or a paste. */
export type TypedKey = { text: string } | { key: string } | { paste: string };

export interface TypedInput {
  id: string;
  run: string;
  /** What the history shows: the text with special keys drawn as symbols. */
  typed: string;
}

/** The text, checked: a string of at most MAX_TYPED characters without control characters. */
function typedText(raw: unknown): string {
  if (typeof raw !== "string") throw new UserError("send the keys to type as text");
  if (raw.length > MAX_TYPED)
    throw new UserError(`at most ${MAX_TYPED} characters at a time (this is ${raw.length})`);
  // Escape sequences and other controls would steer the terminal, not talk to the agent.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw))
    throw new UserError("typed text cannot hold control characters (send them as keys: Enter, C-c, ...)");
  return raw;
}

/**
 * A paste, checked: text whose only controls are line breaks and tabs. An escape in it could end
 * the bracketed paste early and run the rest as typed keys, so it is refused, not sent.
 */
function pastedText(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0) throw new UserError("send the text to paste as text");
  if (raw.length > MAX_TYPED)
    throw new UserError(`at most ${MAX_TYPED} characters at a time (this is ${raw.length})`);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(raw))
    throw new UserError("a paste cannot hold control characters other than line breaks and tabs");
  return raw.replace(/\r\n?/g, "\n");
}

/** A burst, checked: text runs without controls, keys from SPECIAL only, bounded in size. */
function typedKeys(raw: unknown): TypedKey[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new UserError("nothing to type");
  if (raw.length > MAX_KEYS)
    throw new UserError(`at most ${MAX_KEYS} keys at a time (this is ${raw.length})`);
  let chars = 0;
  return raw.map((k: unknown): TypedKey => {
    const o = (k && typeof k === "object" ? k : {}) as { text?: unknown; key?: unknown; paste?: unknown };
    if (o.paste !== undefined) {
      const paste = pastedText(o.paste);
      chars += paste.length;
      if (chars > MAX_TYPED) throw new UserError(`at most ${MAX_TYPED} characters at a time`);
      return { paste };
    }
    if (typeof o.key === "string") {
      if (!SPECIAL.has(o.key))
        throw new UserError(`the key ${JSON.stringify(o.key.slice(0, 20))} cannot be sent`, undefined, [
          `send one of: ${[...SPECIAL.keys()].join(", ")}`,
        ]);
      return { key: o.key };
    }
    const text = typedText(o.text);
    chars += text.length;
    if (chars > MAX_TYPED) throw new UserError(`at most ${MAX_TYPED} characters at a time`);
    return { text };
  });
}

/** The line input's form ({text, enter}) as a burst. */
function lineKeys(input: { text?: unknown; enter?: unknown }): TypedKey[] {
  const text = typedText(input.text ?? "");
  const keys: TypedKey[] = text ? [{ text }] : [];
  if (input.enter === true) keys.push({ key: "Enter" });
  if (keys.length === 0) throw new UserError("nothing to type");
  return keys;
}

/** How the history shows a burst: a paste between ⟦ ⟧, its line breaks as ⏎. */
export function drawTyped(keys: TypedKey[]): string {
  return keys
    .map((k) =>
      "key" in k ? (SPECIAL.get(k.key) ?? "") : "paste" in k ? `⟦${k.paste.replace(/\n/g, "⏎")}⟧` : k.text,
    )
    .join("");
}

export async function typeInto(
  project: Project,
  id: string,
  input: { text?: unknown; enter?: unknown; keys?: unknown },
  author: string,
): Promise<TypedInput> {
  requireTask(project, id);
  const keys = input.keys !== undefined ? typedKeys(input.keys) : lineKeys(input);
  const run = project
    .store()
    .liveRuns()
    .find((r) => r.taskId === id);
  if (!run) throw new UserError(`task ${id} has no live session to type into`);
  const tmux = tmuxFor(project);
  // In order: each text run literally (-l: never read as key names), special keys in runs.
  for (let i = 0; i < keys.length; ) {
    const k = keys[i] as TypedKey;
    if ("text" in k || "paste" in k) {
      if ("text" in k) await tmux.sendKeys(run.session, [k.text], { literal: true });
      else await tmux.paste(run.session, k.paste);
      i++;
      continue;
    }
    const names: string[] = [];
    for (; i < keys.length && "key" in (keys[i] as TypedKey); i++)
      names.push((keys[i] as { key: string }).key);
    await tmux.sendKeys(run.session, names);
  }
  const typed = drawTyped(keys);
  project.store().addNote(id, run.id, "typed", typed, author);
  return { id, run: run.id, typed };
}
