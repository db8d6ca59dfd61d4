/**
 * What the dashboard reads: the whole board (one cheap read of the store, for one watcher per
 * server), a task's page, its terminal, and the one write a person makes there besides the
 * lifecycle actions: a note. Everything returned is data; the page renders agent text as text.
 */

import { existsSync, lstatSync, readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { git } from "../../adapters/git/index.js";
import type { EventRow, NoteRow, RunRow, TaskRow, VerificationRow } from "../../adapters/store/index.js";
import { screenText } from "../../adapters/terminal/screen-text.js";
import { SESSION_SIZE } from "../../adapters/tmux/index.js";
import type { BoardRow } from "../../core/board-row.js";
import { type PartVerifyOverride, partVerifyOverride } from "../../core/part-verify.js";
import {
  costByTask,
  type Project,
  requireTask,
  sandboxWeakenedLine,
  stageLabel,
  type TaskCost,
  UserError,
} from "../../project/index.js";
import { logFile, readLog, tmuxFor } from "../../run/index.js";
import { type BriefData, buildBrief, type MergedAt, mergedAt } from "../../verify/index.js";
import { type DenialReport, denialCounts, denialReport } from "../denials.js";
import { type NeedsYou, needsYouByTask } from "../needs-you.js";
import { reviewOrder, show } from "../read.js";

/** A task as the board shows it: one definition for the server and the page (core/board-row). */
export type { BoardRow } from "../../core/board-row.js";

export interface Board {
  root: string;
  sandbox: "bwrap" | "none";
  /** Set while the config switches most of the sandbox off on purpose (issue 29). */
  sandboxWarning: string | null;
  rows: BoardRow[];
  /** Ids in review, in the order to review them: what others wait on first, then the oldest. */
  review: string[];
  /** The newest updated_at read: where the next boardChanges starts. */
  mark: string;
}

/** Needs a person: a verdict (review) or a decision (blocked, failed, stopped). */
export const NEEDS_YOU: ReadonlySet<string> = new Set(["review", "blocked", "failed", "stopped"]);

/** A number that changes whenever any Ballador process commits to the store. */
export function boardVersion(project: Project): number {
  return project.store().dataVersion();
}

interface RowExtras {
  agent: string;
  config: Project["config"];
  costs: Map<string, TaskCost>;
  unverified: ReadonlySet<string>;
  runners: ReadonlyMap<string, string>;
}

function toRow(t: TaskRow, x: RowExtras, denials: number, notes: number, waiting: NeedsYou | null): BoardRow {
  const agent = x.agent;
  return {
    id: t.id,
    title: t.title,
    state: t.state,
    reason: t.reason,
    agent: t.agent ?? agent,
    role: t.role,
    attempt: t.attempt,
    priority: t.priority,
    since: t.stateChangedAt,
    needs: t.needs,
    branch: t.branch,
    denials,
    notes,
    waiting,
    stage: stageLabel(x.config, t),
    cost: x.costs.get(t.id)?.text ?? null,
    partVerify: partVerifyOverride(t.verify, x.config.verify),
    unverified: x.unverified.has(t.id),
    runner: x.runners.get(t.id) ?? null,
  };
}

function extras(project: Project): RowExtras {
  return {
    agent: project.config.agents.default,
    config: project.config,
    costs: costByTask(project.store(), project.config.prices ?? {}),
    unverified: project.store().unverifiedTaskIds(),
    // Only a project with runners has runs on them: the others skip the pass over the runs.
    runners: (project.config.runners ?? []).length > 0 ? project.store().lastRunners() : new Map(),
  };
}

/** The latest updated_at (ISO strings compare as times). */
function newest(tasks: readonly TaskRow[], mark = ""): string {
  let m = mark;
  for (const t of tasks) if (t.updatedAt > m) m = t.updatedAt;
  return m;
}

export function board(project: Project): Board {
  const store = project.store();
  const tasks = store.tasks({ lean: true });
  const denials = denialCounts(project, tasks);
  const notes = store.noteCounts();
  const waiting = needsYouByTask(project);
  const x = extras(project);
  const rows = tasks.map((t) =>
    toRow(t, x, denials.get(t.id) ?? 0, notes.get(t.id) ?? 0, waiting.get(t.id) ?? null),
  );
  return {
    root: project.paths.root,
    sandbox: project.config.sandbox.mode,
    sandboxWarning: sandboxWeakenedLine(project.config, project.paths.root),
    rows,
    review: reviewIds(rows),
    mark: newest(tasks),
  };
}

/**
 * Every write takes its time inside the store's write lock, so times follow commit order on one
 * machine; a second of slack covers a clock step. Rows re-read in it are compared and dropped.
 */
const SLACK_MS = 1000;

export interface BoardChanges {
  /** Rows of the tasks written since the mark (some may be unchanged: the caller compares). */
  rows: BoardRow[];
  mark: string;
  /** How many tasks the queue has: a different count than the caller holds means reload. */
  count: number;
  notes: Map<string, number>;
  /** Denied-request counts of the `recheck` tasks (denials are files, not store writes). */
  denials: Map<string, number>;
  /** What each waiting agent asked (a run's write, not a task's: read from the live runs). */
  waiting: Map<string, NeedsYou>;
  /** Each task's cost text (runs' writes too: read from the runs that kept records). */
  costs: Map<string, string>;
}

/** What changed since `mark`, without reading the whole queue: the watcher's cheap path at 10,000 tasks. */
export function boardChanges(
  project: Project,
  mark: string,
  recheck: ReadonlyArray<{ id: string; attempt: number }> = [],
): BoardChanges {
  const store = project.store();
  const since = mark ? new Date(Date.parse(mark) - SLACK_MS).toISOString() : "";
  const tasks = store.tasksUpdatedSince(since);
  const notes = store.noteCounts();
  const denials = denialCounts(project, [...tasks, ...recheck]);
  const waiting = needsYouByTask(project);
  const x = extras(project);
  const costs = new Map<string, string>();
  for (const [id, c] of x.costs) if (c.text) costs.set(id, c.text);
  return {
    costs,
    rows: tasks.map((t) =>
      toRow(t, x, denials.get(t.id) ?? 0, notes.get(t.id) ?? 0, waiting.get(t.id) ?? null),
    ),
    mark: newest(tasks, mark),
    count: store.taskCount(),
    notes,
    denials,
    waiting,
  };
}

/** The review queue of these rows, in `next`'s order. */
export function reviewIds(rows: readonly BoardRow[]): string[] {
  return reviewOrder(
    rows.map((r) => ({ id: r.id, state: r.state, needs: r.needs, stateChangedAt: r.since })),
  ).map((r) => r.id);
}

/** The suggested merge order (conflict prediction runs git): computed only when the review set changes. */
export async function mergeOrder(project: Project): Promise<string[]> {
  const { nextWithConflicts } = await import("../read.js");
  return (await nextWithConflicts(project)).review.map((r) => r.id);
}

export interface FileDiff {
  file: string;
  /** The file's part of `git diff`, cut at MAX_FILE_DIFF characters. */
  text: string;
  truncated: boolean;
  added: number;
  removed: number;
}

export interface TaskPage {
  task: TaskRow;
  events: EventRow[];
  runs: RunRow[];
  notes: NoteRow[];
  dependents: string[];
  verifications: VerificationRow[];
  brief: { markdown: string; data: BriefData } | null;
  briefError: string | null;
  denials: DenialReport;
  diff: FileDiff[];
  spec: { path: string; text: string | null } | null;
  live: boolean;
  waiting: NeedsYou | null;
  partVerify: PartVerifyOverride | null;
  /** Its newest verification ran no verify command: nothing checked its work. */
  unverified: boolean;
  /** When it merged and the commit the base moved to (issue 34), or null. */
  merged: MergedAt | null;
}

const MAX_FILE_DIFF = 200_000;
const MAX_DIFF = 2_000_000;
const MAX_SPEC = 200_000;

export async function taskPage(project: Project, id: string): Promise<TaskPage> {
  const shown = show(project, id);
  const store = project.store();
  let brief: TaskPage["brief"] = null;
  let briefError: string | null = null;
  try {
    brief = await buildBrief(project, id);
  } catch (err) {
    briefError = (err as Error).message;
  }
  return {
    task: shown.task,
    events: shown.events,
    runs: shown.runs,
    notes: shown.notes,
    dependents: shown.dependents,
    verifications: store.verifications(id),
    brief,
    briefError,
    denials: denialReport(project, id),
    diff:
      brief?.data.head && brief.data.fork ? await diffPerFile(project, brief.data.fork, brief.data.head) : [],
    merged: mergedAt(project, id),
    spec: specOf(project, shown.task),
    live: store.liveRuns().some((r) => r.taskId === id),
    waiting: needsYouByTask(project).get(id) ?? null,
    partVerify: shown.partVerify,
    unverified: shown.unverified,
  };
}

function specOf(project: Project, task: TaskRow): TaskPage["spec"] {
  if (!task.spec) return null;
  const root = project.paths.root;
  const file = resolve(root, task.spec);
  // The spec is the person's file in the main checkout; still, only a regular file inside it.
  if (relative(root, file).startsWith("..") || !existsSync(file) || !lstatSync(file).isFile())
    return { path: task.spec, text: null };
  return { path: task.spec, text: readFileSync(file, "utf8").slice(0, MAX_SPEC) };
}

/** The task's own changes: from the commit it forked from to its head, whatever the base did since. */
async function diffPerFile(project: Project, fork: string, head: string): Promise<FileDiff[]> {
  const root = project.paths.root;
  const r = await git(["diff", "--no-color", "--no-ext-diff", "-M", `${fork}..${head}`], {
    cwd: root,
    allowFail: true,
  });
  const out: FileDiff[] = [];
  let total = 0;
  for (const chunk of r.stdout.split(/^(?=diff --git )/m)) {
    if (!chunk.startsWith("diff --git ")) continue;
    const lines = chunk.split("\n");
    const plus = lines.find((l) => l.startsWith("+++ "));
    const minus = lines.find((l) => l.startsWith("--- "));
    const named = (l: string | undefined) => (l && l !== "+++ /dev/null" && l !== "--- /dev/null" ? l : null);
    const header = named(plus) ?? named(minus);
    const file = header
      ? header.slice(4).replace(/^[ab]\//, "")
      : (/^diff --git a\/(.*) b\//.exec(lines[0] ?? "")?.[1] ?? lines[0] ?? "");
    let added = 0;
    let removed = 0;
    for (const l of lines) {
      if (l.startsWith("+") && !l.startsWith("+++ ")) added++;
      else if (l.startsWith("-") && !l.startsWith("--- ")) removed++;
    }
    const room = Math.max(0, Math.min(MAX_FILE_DIFF, MAX_DIFF - total));
    const text = chunk.slice(0, room);
    total += text.length;
    out.push({ file, text, truncated: text.length < chunk.length, added, removed });
  }
  return out;
}

export type TerminalFrame =
  | { live: true; text: string; width: number; height: number }
  | { live: false; log: string; width?: number };

const MAX_LOG = 256 * 1024;

/** The last replay of each ended session's log (file size and time: a log that ended stays the same). */
const replays = new Map<string, { key: string; text: string }>();

/**
 * The task's terminal: the live tmux screen (with its escape sequences), or its ended session's
 * log played through the same terminal emulator as `ballador logs` (a full-screen agent reads as
 * the screens it showed, not as overlapping redraws; issue 34), as plain text.
 */
export async function terminalFrame(project: Project, id: string): Promise<TerminalFrame> {
  requireTask(project, id);
  const run = project
    .store()
    .liveRuns()
    .find((r) => r.taskId === id);
  if (run) {
    const screen = await tmuxFor(project).captureScreen(run.session);
    if (screen) return { live: true, ...screen };
  }
  if (!project.store().latestRun(id)) return { live: false, log: "" };
  const file = logFile(project, id).file;
  const st = existsSync(file) ? statSync(file) : null;
  const key = st ? `${st.size}:${st.mtimeMs}` : "";
  const cached = replays.get(file);
  if (cached?.key === key) return { live: false, log: cached.text, width: SESSION_SIZE.cols };
  const text = (await screenText(readLog(file), SESSION_SIZE)).replace(/\n+$/, "");
  const log = text.length > MAX_LOG ? text.slice(-MAX_LOG) : text;
  // A few pages' worth: a long-running server that was shown many tasks does not keep them all.
  if (replays.size >= 64) replays.clear();
  replays.set(file, { key, text: log });
  return { live: false, log, width: SESSION_SIZE.cols };
}

export const MAX_NOTE = 10_000;

/** A person's note on a task: stored as kind "person", shown to every viewer, and in the brief. */
export function addPersonNote(
  project: Project,
  id: string,
  text: string,
  author: string | null = null,
): { id: string; text: string } {
  requireTask(project, id);
  const clean = text.replace(/\r\n?/g, "\n").trim();
  if (clean.length === 0) throw new UserError("a note needs some text");
  if (clean.length > MAX_NOTE)
    throw new UserError(`a note is at most ${MAX_NOTE} characters (this one has ${clean.length})`);
  project.store().addNote(id, null, "person", clean, author);
  return { id, text: clean };
}
