/**
 * The live session of a run (issue 31): while the agent owns the pane, Ballador's own status
 * goes to the session's status line and its log, never to the agent's terminal (a TUI would
 * show it inside its input box); what Ballador types there is the prompt, a person's words and a
 * refused `done`. The log is the session's (the run that opened it), which `ballador logs` shows.
 */
import { appendFileSync, existsSync, readdirSync, statSync } from "node:fs";
import { readUntrustedText } from "../adapters/hostile/index.js";
import { type GateResult, type RunSpec, runFolder } from "../adapters/runfolder/index.js";
import type { TaskStore } from "../adapters/store/index.js";
import { Tmux } from "../adapters/tmux/index.js";
import { trimOutput } from "../core/check-output.js";
import { refusalInput, statusText } from "../core/session-input.js";

const BOLD = "\x1b[1m[ballador]\x1b[0m";

/** Where the agent's terminal is while it owns it: the session's log and status line. */
interface Owner {
  log: string;
  tmux: Tmux | null;
  session: string;
}

let owner: Owner | null = null;
// Bytes Ballador itself added to the session log: not the agent's activity.
let ownBytes = 0;

/** A status line of Ballador's: to the person's terminal, or (while the agent owns it) the status line and log. */
export function sessionSay(text: string): void {
  const o = owner;
  if (!o) {
    process.stdout.write(`${BOLD} ${text}\n`);
    return;
  }
  const line = `${BOLD} ${text}\r\n`;
  try {
    appendFileSync(o.log, line);
    ownBytes += Buffer.byteLength(line);
  } catch {
    // A log gone with its run folder: the status line still says it.
  }
  if (o.tmux) o.tmux.setStatus(o.session, `[ballador] ${statusText(text)}`).catch(() => {});
}

/** The agent starts in the pane: Ballador's lines go elsewhere until agentLeavesTerminal. */
export function agentTakesTerminal(store: TaskStore, spec: RunSpec): void {
  const session = store.run(spec.runId)?.session ?? "";
  const socket = spec.needsYou?.tmuxSocket;
  owner = { log: sessionLog(store, spec), tmux: session && socket ? new Tmux({ socket }) : null, session };
}

export function agentLeavesTerminal(): void {
  owner = null;
}

/** How much the agent has written to the session's log (Ballador's own lines left out). */
export function agentLogSize(): number {
  if (!owner) return 0;
  try {
    return statSync(owner.log).size - ownBytes;
  } catch {
    return 0;
  }
}

/**
 * The session's log: attempts started inside a session (retries, the reviewer) write to the log
 * of the run that opened it, the newest log there is (as `ballador logs` finds it).
 */
export function sessionLog(store: TaskStore, spec: RunSpec): string {
  const own = runFolder(spec.runDir).host.sessionLog;
  if (existsSync(own)) return own;
  const withLog = store
    .runsOf(spec.taskId)
    .reverse()
    .find((r) => existsSync(runFolder(r.runDir).host.sessionLog));
  return withLog ? runFolder(withLog.runDir).host.sessionLog : own;
}

/**
 * Types one line into the pane and submits it: as the nudge and a person's words are. A TUI
 * reads a fast burst as a paste: the Enter comes on its own.
 */
export async function typeLine(tmux: Tmux, session: string, text: string): Promise<void> {
  await tmux.sendKeys(session, [text], { literal: true });
  await new Promise((r) => setTimeout(r, 300));
  await tmux.sendKeys(session, ["Enter"]);
}

/** The end of the newest gate log `ballador done` left in the inbox (the agent's own words). */
export function latestGateLog(runDir: string): string {
  const inbox = runFolder(runDir).agent.inbox;
  let names: string[] = [];
  try {
    names = readdirSync(inbox)
      .filter((n) => /^gate-\d+\.log$/.test(n))
      .sort();
  } catch {
    return "";
  }
  const last = names.at(-1);
  const text = last ? readUntrustedText(inbox, last, 4 * 1024 * 1024) : null;
  return text ? trimOutput(text, 30) : "";
}

/**
 * A refused `done` of the running attempt. It goes back into an interactive agent's input at
 * once, as a person's words would: an agent that ended its turn on the refusal goes on now. Only
 * quiet for refused_idle after that gives the attempt up. A headless agent (prompt on stdin)
 * reads no terminal: it has the refusal in its own output.
 */
export class Refusal {
  private current: { gate: GateResult; at: number } | null = null;
  private pending: GateResult | null = null;
  private quietUntil = 0;
  private readonly tmux: Tmux | null;
  private readonly session: string;

  constructor(
    private readonly store: TaskStore,
    private readonly spec: RunSpec,
  ) {
    this.session = store.run(spec.runId)?.session ?? "";
    const socket = spec.needsYou?.tmuxSocket;
    const reads = spec.prompt !== "stdin" && spec.role !== "reviewer";
    this.tmux = reads && socket && this.session ? new Tmux({ socket }) : null;
  }

  /** The agent's own gate ran: a pass clears an earlier refusal. */
  gate(g: GateResult): void {
    this.current = g.passed ? null : { gate: g, at: Date.now() };
    this.pending = this.current?.gate ?? null;
  }

  /** True while the log grows by the typed text's echo: not the agent moving. */
  ownOutput(): boolean {
    return Date.now() < this.quietUntil;
  }

  /** The refused gate once the agent has stayed quiet `quietMs` since it was told, else null. */
  gaveUp(lastActivity: number, quietMs: number): GateResult | null {
    const c = this.current;
    return c && Date.now() - Math.max(lastActivity, c.at) > quietMs ? c.gate : null;
  }

  /** Types a new refusal into the session; the quiet that gives up counts from then. */
  async deliver(): Promise<void> {
    const gate = this.pending;
    this.pending = null;
    if (!gate || !this.tmux) return;
    const text = refusalInput(gate, latestGateLog(this.spec.runDir));
    this.quietUntil = Date.now() + 3000;
    try {
      await typeLine(this.tmux, this.session, text);
      this.store.addNote(
        this.spec.taskId,
        this.spec.runId,
        "system",
        "done refused: the reason typed into the session",
      );
      sessionSay(
        `done refused (${gate.command} exited ${gate.code ?? "by timeout"}): the reason typed into the agent's input`,
      );
    } catch (err) {
      sessionSay(`could not type the refusal into the session: ${(err as Error).message}`);
    }
    if (this.current) this.current.at = Date.now();
  }
}
