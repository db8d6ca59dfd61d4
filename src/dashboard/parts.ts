/**
 * Creating and editing a part from the page (issue 34), through the conductor chamber's checked
 * write (the queue's own parser and schema, the file named after its id, unique ids, a started
 * task's part refused) and then `queue` itself. Nothing stays half-done: when the queue refuses
 * the folder with this part in it, the file is put back as it was (or removed, if it is new).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { openProject, UserError } from "../project/index.js";

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The part's text for the editor: its file, by the task's recorded part path. */
export async function readPart(cwd: string, id: string): Promise<{ path: string; text: string }> {
  const project = await openProject(cwd);
  try {
    const { readPartText } = await import("../plan/index.js");
    const task = project.store().task(id);
    if (!task?.partPath) throw new UserError(`task ${id} has no part file`);
    return readPartText(
      project,
      relative(project.paths.partsDir, resolve(project.paths.root, task.partPath)),
    );
  } finally {
    project.close();
  }
}

/** Writes the part (new: `<id>.md` in the parts folder) and queues it, as `ballador queue` would. */
export async function savePart(
  cwd: string,
  body: { id?: unknown; path?: unknown; content?: unknown },
  actor: string,
): Promise<{ message: string; result: unknown }> {
  if (typeof body.content !== "string" || !body.content.trim())
    throw new UserError("content: the part is empty");
  const content = body.content;
  let rel: string;
  if (typeof body.path === "string" && body.path) rel = body.path;
  else if (typeof body.id === "string" && ID.test(body.id)) rel = `${body.id}.md`;
  else throw new UserError("id: letters, digits, dot, dash and underscore (the file is named <id>.md)");
  const project = await openProject(cwd);
  try {
    const { chamberQueue, writePartFile } = await import("../plan/index.js");
    const file = join(project.paths.partsDir, rel);
    const before = existsSync(file) ? readFileSync(file, "utf8") : null;
    const written = writePartFile(project, rel, content, { person: true });
    const undo = () => {
      if (before === null) rmSync(file, { force: true });
      else writeFileSync(file, before);
    };
    if (written.queueProblems.length) {
      undo();
      throw new UserError(`nothing was queued; ${rel} would not queue:`, 1, written.queueProblems);
    }
    try {
      const r = chamberQueue(project, [written.path], { dryRun: false, actor });
      return {
        message: `${written.created ? "Created" : "Saved"} ${written.path} and queued ${written.id}.`,
        result: r,
      };
    } catch (err) {
      undo();
      throw err;
    }
  } finally {
    project.close();
  }
}
