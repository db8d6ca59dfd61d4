/**
 * Notifications (issue 15): events (needs you, review, failed, blocked, all done) sent by the
 * conducting process to the channels of `notify:` (the terminal bell of launch --watch, the
 * desktop, a command with the events as JSON on stdin, a webhook POST). Events coalesce: those
 * within `notify.coalesce` of the first go out as one message.
 */
import { commandWithInput, desktopNotify, postJson } from "../adapters/notify/index.js";
import { parseDuration } from "../core/duration.js";
import { terminalLine } from "../core/terminal-text.js";
import type { Project } from "../project/index.js";

export const NOTIFY_EVENTS = [
  "needs_you",
  "review",
  "failed",
  "blocked",
  "conflict_predicted",
  "all_done",
] as const;
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number];

export interface NotifyEvent {
  event: NotifyEventKind;
  task: string | null;
  title: string | null;
  /** The reason or what the agent asked: agents' words, for the receiver to treat as such. */
  detail: string | null;
  at: string;
}

/** The document a command reads on stdin and a webhook receives. */
export interface NotifyMessage {
  source: "ballador";
  project: string;
  text: string;
  events: NotifyEvent[];
}

/** One line per event, plain, with agents' words escaped (for the bell's line and the desktop). */
export function summarize(events: readonly NotifyEvent[]): string {
  const say: Record<NotifyEventKind, string> = {
    needs_you: "needs you",
    review: "ready for review",
    failed: "failed",
    blocked: "blocked",
    conflict_predicted: "conflict predicted",
    all_done: "all parts done",
  };
  return events
    .map((e) =>
      terminalLine(
        `${e.task ? `${e.task}: ` : ""}${say[e.event]}${e.detail ? ` (${e.detail.split("\n")[0]})` : ""}`,
      ),
    )
    .join("\n");
}

export class Notifier {
  private pending: NotifyEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly windowMs: number;
  private readonly wanted: Set<string>;

  constructor(
    private readonly project: Project,
    /** The bell and its line, for the face that owns the terminal (launch --watch). */
    private readonly onBell: ((text: string) => void) | null,
    /** Why a channel failed, for the face to show. */
    private readonly onProblem: (text: string) => void = () => undefined,
  ) {
    const n = project.config.notify;
    this.windowMs = parseDuration(n.coalesce);
    this.wanted = new Set(n.events);
  }

  push(event: Omit<NotifyEvent, "at">): void {
    if (!this.wanted.has(event.event)) return;
    this.pending.push({ ...event, at: new Date().toISOString() });
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, this.windowMs);
  }

  /** Sends what is pending now (the end of conducting), and waits for every delivery. */
  async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }
    await this.flushing;
  }

  private async flush(): Promise<void> {
    const events = this.pending.splice(0);
    if (events.length === 0) return;
    await deliver(this.project, events, this.onBell, this.onProblem);
  }
}

/** One message with these events to every channel of `notify:`; problems are reported, never thrown. */
export async function deliver(
  project: Project,
  events: readonly NotifyEvent[],
  onBell: ((text: string) => void) | null,
  onProblem: (text: string) => void,
): Promise<void> {
  const n = project.config.notify;
  const text = summarize(events);
  const message: NotifyMessage = {
    source: "ballador",
    project: project.paths.root,
    text,
    events: [...events],
  };
  const doc = JSON.stringify(message);
  if (n.bell && onBell) onBell(text);
  const deliveries: Array<Promise<[string, string | null]>> = [];
  if (n.desktop)
    deliveries.push(
      desktopNotify(
        events.length === 1 ? "Ballador" : `Ballador: ${events.length} events`,
        text,
        process.env,
      ).then((r) => ["desktop", r]),
    );
  if (n.command)
    deliveries.push(
      commandWithInput(n.command, `${doc}\n`, { cwd: project.paths.root, env: process.env }).then((r) => [
        "command",
        r,
      ]),
    );
  if (n.webhook) deliveries.push(postJson(n.webhook, doc).then((r) => ["webhook", r]));
  for (const [channel, problem] of await Promise.all(deliveries))
    if (problem) onProblem(`notify: ${channel}: ${problem}`);
}
