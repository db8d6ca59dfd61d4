/**
 * Notifications when no `launch --watch` runs: each supervisor that ends its task (review,
 * failed, blocked) sends the event itself, coalesced with the other supervisors' through an
 * outbox in the state folder, and never twice with a watcher:
 *
 * - A watcher announces itself (`notify/watcher.json`, its pid) while it conducts; a supervisor
 *   that sees a live one leaves the event to it. The watcher withdraws the file before its last
 *   look at the store, so whatever a supervisor left to it, it still sees.
 * - Every event has a key (the task and the seq of its state change in the event log). Whoever
 *   sends it first claims the key (`notify/sent/<key>`, created exclusively): the watcher and a
 *   supervisor that both see it in the moment the watcher ends send it once.
 * - Supervisors write their events into `notify/outbox/`; the one that takes `notify/sender.lock`
 *   waits `notify.coalesce`, sends everything there as one message, and goes on until the outbox
 *   stays empty. A lock whose holder died is taken over.
 *
 * All of it is host-only (the state folder): no agent writes there.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { hasDesktop } from "../adapters/notify/index.js";
import { isAlive } from "../adapters/process/shell.js";
import { parseDuration } from "../core/duration.js";
import type { Project } from "../project/index.js";
import { deliver, type NotifyEvent } from "./notify.js";

function dirs(stateDir: string) {
  const root = join(stateDir, "notify");
  return {
    root,
    outbox: join(root, "outbox"),
    sent: join(root, "sent"),
    watcher: join(root, "watcher.json"),
    lock: join(root, "sender.lock"),
  };
}

/** A pid read from a file (possibly garbage: never a group, never ours by accident) that still runs. */
function alive(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && isAlive(pid);
}

function pidIn(file: string): number {
  try {
    return Number((JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown }).pid);
  } catch {
    return 0;
  }
}

/** The key of a task's state change: the same for the watcher and the supervisor that made it. */
export function eventKey(taskId: string, seq: number): string {
  return `${taskId}.${seq}`;
}

/** The key of an agent's wait for a person: its run and since when it waits. */
export function needsYouKey(taskId: string, runId: string, since: string): string {
  return `${taskId}.wait.${runId}.${since}`;
}

/** The key of a predicted conflict: the tasks, what they conflict with, and the files. */
export function conflictKey(c: { tasks: readonly string[]; with: string; files: readonly string[] }): string {
  const files = createHash("sha256").update(c.files.join("\n")).digest("hex").slice(0, 16);
  return `conflict.${[...c.tasks].sort().join("+")}.${c.with}.${files}`;
}

/** True for the one process that claims the key first. Keys older than a day are forgotten. */
export function claim(stateDir: string, key: string): boolean {
  const d = dirs(stateDir);
  mkdirSync(d.sent, { recursive: true });
  try {
    closeSync(openSync(join(d.sent, key.replace(/[^A-Za-z0-9._-]/g, "_")), "wx"));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    return true; // cannot record the claim: sending twice beats not sending
  }
}

/** launch --watch: announce that this process sends the notifications; returns the withdrawal. */
export function announceWatcher(stateDir: string): () => void {
  const d = dirs(stateDir);
  mkdirSync(d.root, { recursive: true });
  const tmp = `${d.watcher}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
  renameSync(tmp, d.watcher);
  pruneSent(d.sent);
  return () => {
    if (pidIn(d.watcher) === process.pid) unlinkSync(d.watcher);
  };
}

function pruneSent(dir: string): void {
  const old = Date.now() - 24 * 3600_000;
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    try {
      if (statSync(join(dir, name)).mtimeMs < old) unlinkSync(join(dir, name));
    } catch {
      // another process pruned it
    }
  }
}

export function watcherRuns(stateDir: string): boolean {
  return alive(pidIn(dirs(stateDir).watcher));
}

function takeLock(lock: string): boolean {
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid }));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") return false;
      const holder = pidIn(lock);
      // Not written yet: its holder is alive, unless it has been so for long (it died in between).
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // let go meanwhile: try again
      }
      if (holder === 0 ? age < 30_000 : alive(holder)) return false;
      try {
        unlinkSync(lock);
      } catch {
        // someone else took it over first
      }
    }
  }
  return false;
}

function outboxFiles(outbox: string): string[] {
  return (existsSync(outbox) ? readdirSync(outbox) : []).filter((n) => n.endsWith(".json")).sort();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether a supervisor would send this kind of event now: it is asked for, a channel of the
 * supervisor's own is set, and no watcher (which sends them itself) runs. Lets a caller skip
 * the work of an event nobody would receive, such as conflict prediction at review.
 */
export function supervisorSends(project: Project, event: NotifyEvent["event"]): boolean {
  const n = project.config.notify;
  if (!n.events.includes(event)) return false;
  // The bell is the watcher's terminal's; a desktop without notify-send shows nothing.
  if (!(n.desktop && hasDesktop(process.env)) && !n.command && !n.webhook) return false;
  return !watcherRuns(project.paths.stateDir);
}

/**
 * A supervisor's event: left to a live watcher; otherwise claimed, put in the outbox, and sent
 * (by this process if it becomes the sender) coalesced with the other supervisors' events.
 */
export async function notifyFromSupervisor(
  project: Project,
  event: Omit<NotifyEvent, "at">,
  key: string,
  onProblem: (text: string) => void,
): Promise<void> {
  if (!supervisorSends(project, event.event)) return;
  const n = project.config.notify;
  const stateDir = project.paths.stateDir;
  if (!claim(stateDir, key)) return;
  const d = dirs(stateDir);
  mkdirSync(d.outbox, { recursive: true });
  const name = `${Date.now()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  writeFileSync(join(d.outbox, `${name}.tmp`), JSON.stringify({ ...event, at: new Date().toISOString() }));
  renameSync(join(d.outbox, `${name}.tmp`), join(d.outbox, `${name}.json`));
  const windowMs = parseDuration(n.coalesce);
  // The sender sends until the outbox stays empty; after letting go it looks once more, for an
  // event written between its last look and the unlock by a process that found it locked.
  while (takeLock(d.lock)) {
    try {
      for (;;) {
        await sleep(windowMs);
        const files = outboxFiles(d.outbox);
        if (files.length === 0) break;
        const events: NotifyEvent[] = [];
        for (const f of files) {
          try {
            events.push(JSON.parse(readFileSync(join(d.outbox, f), "utf8")) as NotifyEvent);
          } catch {
            // half-written by a process that died: dropped
          }
          try {
            unlinkSync(join(d.outbox, f));
          } catch {
            // gone
          }
        }
        if (events.length > 0) await deliver(project, events, null, onProblem);
      }
    } finally {
      try {
        unlinkSync(d.lock);
      } catch {
        // taken over
      }
    }
    if (outboxFiles(d.outbox).length === 0) break;
  }
}
