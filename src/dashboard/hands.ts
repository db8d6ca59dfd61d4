/**
 * The page's hands on the agents (issue 34), server side: typing into a live session, line
 * comments folded into a request for changes, and opening a task's worktree in the person's
 * editor. Each is reached only through the server's checked POST (session, Origin, CSRF).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { type Project, UserError, worktreePathFor } from "../project/index.js";

export interface LineComment {
  file: string;
  line: number;
  side: "new" | "old";
  text: string;
}

const MAX_COMMENTS = 200;

/** The comments of a request, checked and said as the agent reads them: file, line, words. */
export function commentsText(raw: unknown): string {
  if (raw === undefined || raw === null) return "";
  if (!Array.isArray(raw) || raw.length > MAX_COMMENTS)
    throw new UserError(`comments: a list of at most ${MAX_COMMENTS} line comments`);
  const lines = raw.map((c, i) => {
    const x = (c ?? {}) as Partial<LineComment>;
    const where = `comment ${i + 1}`;
    if (typeof x.file !== "string" || !x.file || x.file.length > 1000 || /[\u0000-\u001f]/.test(x.file))
      throw new UserError(`${where}: file must be a path from the diff`);
    if (typeof x.line !== "number" || !Number.isInteger(x.line) || x.line < 1)
      throw new UserError(`${where}: line must be a line number (1 or more)`);
    const text = typeof x.text === "string" ? x.text.replace(/\r\n?/g, "\n").trim() : "";
    if (!text) throw new UserError(`${where} on ${x.file} line ${x.line} is empty`);
    const line = x.side === "old" ? `line ${x.line} of the old version` : `line ${x.line}`;
    return `- ${x.file} ${line}: ${text.replace(/\n/g, "\n  ")}`;
  });
  return lines.length ? `Comments on lines of the diff:\n${lines.join("\n")}` : "";
}

/** The person's message and line comments as one request (either may be empty, not both). */
export function requestWithComments(text: unknown, comments: unknown): string {
  const words = typeof text === "string" ? text.trim() : "";
  return [words, commentsText(comments)].filter(Boolean).join("\n\n");
}

/** What `--editor` names: a URL template (vscode://file{path}) or a command (code {path}). */
export type Editor = { kind: "url"; template: string } | { kind: "command"; argv: string[] };

export function parseEditor(value: string | undefined): Editor | null {
  const v = (value ?? "").trim();
  if (!v) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(v)?.[1]?.toLowerCase();
  if (scheme && v.includes("{path}")) {
    if (["javascript", "data", "vbscript", "blob"].includes(scheme))
      throw new UserError(`--editor: a ${scheme}: URL is not an editor`);
    return { kind: "url", template: v };
  }
  const argv = v.split(/\s+/);
  if (!argv.some((a) => a.includes("{path}"))) argv.push("{path}");
  return { kind: "command", argv };
}

/** Opens the task's worktree: a URL for the page to follow, or the command started here. */
export function openInEditor(
  project: Project,
  editor: Editor | null,
  id: string,
): { message: string; url?: string } {
  if (!editor)
    throw new UserError(
      "no editor configured: start the dashboard with --editor (vscode://file{path}, or code)",
    );
  const path = worktreePathFor(project.config, project.paths.root, id);
  if (!existsSync(path)) throw new UserError(`task ${id} has no worktree at ${path}`);
  if (editor.kind === "url")
    return { message: `Opening ${path}`, url: editor.template.replace("{path}", encodeURI(path)) };
  const [cmd, ...args] = editor.argv.map((a) => a.replace("{path}", path));
  // No shell: the path is one argument whatever it holds.
  spawn(cmd as string, args, { stdio: "ignore", detached: true })
    .on("error", () => undefined)
    .unref();
  return { message: `Opened ${path} with ${cmd}` };
}
