/**
 * The report desk (spec 0018): the supervisor's side of `ballador done | blocked | note | approve |
 * request-changes` run through the shell helper, which starts no Node. The helper asks (a request
 * in the inbox); the desk judges it with the run's own facts (its role, its verify command, never
 * the agent's word for them) and answers in the host-only answers folder: the same refusals and
 * words as the Node CLI (src/core/report-rules.ts). A done asks the helper to run the worktree
 * checks the CLI runs (uncommitted changes, the verify gate) inside the sandbox, as the agent, and
 * is accepted only on their result. Reports written straight into the inbox get the same
 * run-level refusals (refuseDirect); everything the agent writes is data.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseStatus } from "../../adapters/git/index.js";
import { readUntrustedText } from "../../adapters/hostile/index.js";
import {
  type AgentRequest,
  type CheckResult,
  type Report,
  takeAck,
  takeDeskFiles,
  writeAtomic,
} from "../../adapters/runfolder/index.js";
import {
  AGENT_REPORT_KINDS,
  type AgentReportKind,
  dirtyRefusal,
  gateRefusal,
  type ReportRefusal,
  refusalText,
  reportedText,
  runRefusal,
} from "../../core/report-rules.js";
import type { RunContext } from "./context.js";

interface PendingDone {
  text: string;
  allowDirty: boolean;
  gate: boolean;
}

/** A report the desk accepted, with the request it answers (for the helper's acknowledgement). */
export interface Accepted {
  report: Report;
  request: string | null;
}

/** How long an ending report waits for its helper to read the answer before the agent is stopped. */
const ACK_WAIT_MS = 1500;

/**
 * After a check is asked, how long the supervisor looks at the inbox more often than at every
 * poll: the helper answers a clean-tree check within milliseconds (a verify gate takes longer,
 * and is then picked up at the usual poll).
 */
const CHECK_WATCH_MS = 2000;

export class ReportDesk {
  private readonly pending = new Map<string, PendingDone>();
  private checkAskedAt = 0;

  constructor(private readonly ctx: RunContext) {
    // A run folder made before the desk has none (its helper then takes the Node path).
    mkdirSync(ctx.paths.host.answers, { recursive: true });
  }

  /** The requests and check results in the inbox, answered; the reports they make, in order. */
  take(): Accepted[] {
    const files = takeDeskFiles(this.ctx.paths.agent.inbox);
    const out: Accepted[] = [];
    for (const r of files.requests) out.push(...this.request(r));
    for (const c of files.checks) out.push(...this.check(c));
    return out;
  }

  /** A report written straight into the inbox: the run-level refusal it gets, or null. */
  refuseDirect(report: Report): ReportRefusal | null {
    const kind = report.kind as AgentReportKind;
    if (!AGENT_REPORT_KINDS.includes(kind)) return null;
    return runRefusal(this.ctx.spec.role, kind, report.text);
  }

  /** Whether a helper was asked for a check just now (its answer is due within moments). */
  awaitingCheck(): boolean {
    return this.pending.size > 0 && Date.now() - this.checkAskedAt < CHECK_WATCH_MS;
  }

  /** Waits (briefly) until the helper of `request` has read its answer, so it can print it. */
  async heard(request: string | null): Promise<void> {
    if (!request) return;
    const until = Date.now() + ACK_WAIT_MS;
    while (!takeAck(this.ctx.paths.agent.inbox, request) && Date.now() < until) await sleep(25);
  }

  private request(r: AgentRequest): Accepted[] {
    const kind = r.kind;
    if (!(AGENT_REPORT_KINDS as readonly string[]).includes(kind)) {
      this.answer(r.name, "final", `2\nballador: unknown report kind "${kind}"\n`);
      return [];
    }
    const refusal = runRefusal(this.ctx.spec.role, kind as AgentReportKind, r.text);
    if (refusal) return this.refuse(r.name, refusal);
    if (kind !== "done")
      return this.accept(r.name, { kind: kind as AgentReportKind, text: r.text, at: now() });
    const { spec } = this.ctx;
    const gate = Boolean(spec.verify) && spec.stage?.kind !== "tests";
    if (r.allowDirty && !gate) return this.accept(r.name, doneReport(r.text, true));
    this.pending.set(r.name, { text: r.text, allowDirty: r.allowDirty, gate });
    this.checkAskedAt = Date.now();
    const seconds = (spec.verifyTimeoutMs / 1000).toFixed(3);
    this.answer(
      r.name,
      "check",
      `check\n${r.allowDirty ? 1 : 0}\n${seconds}\n${gate ? (spec.verify ?? "") : ""}`,
    );
    return [];
  }

  private check(c: CheckResult): Accepted[] {
    const done = this.pending.get(c.name);
    if (!done) return [];
    this.pending.delete(c.name);
    if (c.found === "dirty") {
      const paths = parseStatus(c.status);
      if (!done.allowDirty && paths.length > 0) return this.refuse(c.name, dirtyRefusal(paths));
      return this.refuse(c.name, unreadable("the uncommitted changes it found"));
    }
    if (c.found === "clean") {
      if (done.gate) return this.refuse(c.name, unreadable("the verify gate's result"));
      return this.accept(c.name, doneReport(done.text, done.allowDirty));
    }
    if (!done.gate) return this.refuse(c.name, unreadable("a verify gate nobody asked for"));
    return this.gate(c, done);
  }

  private gate(c: Extract<CheckResult, { found: "gate" }>, done: PendingDone): Accepted[] {
    const command = this.ctx.spec.verify as string;
    const passed = c.code === 0 && !c.timedOut;
    // The agent's own gate, as the CLI records it: a claim about a commit, kept apart.
    const gate: Accepted = {
      report: {
        kind: "gate",
        text: "",
        at: now(),
        gate: { commit: c.commit, passed, code: c.timedOut ? null : c.code, ms: c.ms, command },
      },
      request: null,
    };
    if (passed) return [gate, ...this.accept(c.name, doneReport(done.text, done.allowDirty))];
    const inbox = this.ctx.paths.agent.inbox;
    const logged = readUntrustedText(inbox, c.log, 4 * 1024 * 1024) ?? "";
    const refusal = gateRefusal({
      command,
      code: c.timedOut ? null : c.code,
      signal: c.timedOut ? "SIGKILL" : null,
      timedOut: c.timedOut,
      log: join(inbox, c.log),
      output: gateOutput(logged, command),
    });
    return [gate, ...this.refuse(c.name, refusal)];
  }

  private accept(name: string, report: Report): Accepted[] {
    this.answer(name, "final", `0\n${reportedText(report.kind as AgentReportKind, this.ctx.spec.taskId)}\n`);
    return [{ report, request: name }];
  }

  private refuse(name: string, refusal: ReportRefusal): Accepted[] {
    this.answer(name, "final", `${refusal.exit}\n${refusalText(refusal)}`);
    return [];
  }

  private answer(name: string, suffix: "check" | "final", content: string): void {
    writeAtomic(join(this.ctx.paths.host.answers, `${name}.${suffix}`), content);
  }
}

function doneReport(text: string, allowDirty: boolean): Report {
  return { kind: "done", text, at: now(), ...(allowDirty ? { allowDirty: true } : {}) };
}

function unreadable(what: string): ReportRefusal {
  return {
    message: `done refused: ${what} could not be read; run ballador done again`,
    exit: 4,
    details: [],
  };
}

/** The command's own output from a gate log: without the helper's header and exit lines. */
export function gateOutput(logged: string, command: string): string {
  const header = `\n$ [verify] ${command}\n`;
  const body = logged.startsWith(header) ? logged.slice(header.length) : logged;
  return body.replace(/\[exit [^\]\n]*\]\n?$/, "");
}

function now(): string {
  return new Date().toISOString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
