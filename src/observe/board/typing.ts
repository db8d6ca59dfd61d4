/**
 * A person typing into a running agent from the dashboard (issue 34): the text goes to the
 * task's live tmux session as literal keys (never as tmux key names), and every input is kept
 * as a "typed" note with the person's name, so the history says who told the agent what.
 */
import { type Project, requireTask, UserError } from "../../project/index.js";
import { tmuxFor } from "../../run/index.js";

export const MAX_TYPED = 4096;

export interface TypedInput {
  id: string;
  run: string;
  text: string;
  enter: boolean;
}

/** The text, checked: a string of at most MAX_TYPED characters without control characters. */
function typedText(raw: unknown): string {
  if (typeof raw !== "string") throw new UserError("send the keys to type as text");
  if (raw.length > MAX_TYPED)
    throw new UserError(`at most ${MAX_TYPED} characters at a time (this is ${raw.length})`);
  // Escape sequences and other controls would steer the terminal, not talk to the agent.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw))
    throw new UserError("typed text cannot hold control characters (use Enter to send a line)");
  return raw;
}

export async function typeInto(
  project: Project,
  id: string,
  input: { text?: unknown; enter?: unknown },
  author: string,
): Promise<TypedInput> {
  requireTask(project, id);
  const text = typedText(input.text ?? "");
  const enter = input.enter === true;
  if (!text && !enter) throw new UserError("nothing to type");
  const run = project
    .store()
    .liveRuns()
    .find((r) => r.taskId === id);
  if (!run) throw new UserError(`task ${id} has no live session to type into`);
  const tmux = tmuxFor(project);
  if (text) await tmux.sendKeys(run.session, [text], { literal: true });
  if (enter) await tmux.sendKeys(run.session, ["Enter"]);
  project.store().addNote(id, run.id, "typed", `${text}${enter ? " ⏎" : ""}`, author);
  return { id, run: run.id, text, enter };
}
