/**
 * What `ballador done | blocked | note | approve | request-changes` refuses and says, from inside a
 * run (spec 0018). One source for both paths: the Node CLI (src/inside/) and the run's supervisor,
 * which answers the shell helper's requests. Pure.
 */
import { trimOutput } from "./check-output.js";
import { terminalBlock } from "./terminal-text.js";

/** A report's kind as the agent names it (request-changes is "changes"). */
export type AgentReportKind = "done" | "blocked" | "note" | "approve" | "changes";

export const AGENT_REPORT_KINDS: readonly AgentReportKind[] = [
  "done",
  "blocked",
  "note",
  "approve",
  "changes",
];

/** A refusal as the CLI prints it: the message, its exit code and detail lines. */
export interface ReportRefusal {
  message: string;
  exit: number;
  details: string[];
}

/** The run has ended: nobody reads the report any more. */
export function endedRefusal(runId: string): ReportRefusal {
  return { message: `run ${runId} has already ended; this report would not be read`, exit: 3, details: [] };
}

/**
 * The refusals that need only the run's facts (its role) and the report itself, in the order the
 * CLI has always made them; null: the report may go on (to the worktree checks, for done).
 */
export function runRefusal(
  role: string | undefined,
  kind: AgentReportKind,
  text: string,
): ReportRefusal | null {
  const reviewer = role === "reviewer";
  const says = (message: string, exit = 1): ReportRefusal => ({ message, exit, details: [] });
  if (reviewer && (kind === "done" || kind === "blocked"))
    return says(
      'you are reviewing this change: answer with ballador approve "why" or ballador request-changes "what must change"',
      2,
    );
  if (!reviewer && (kind === "approve" || kind === "changes"))
    return says(
      "approve and request-changes are for reviewer runs; report your own work with ballador done",
      2,
    );
  const empty = text.trim().length === 0;
  if (kind === "changes" && empty)
    return says('say what must change: ballador request-changes "the parser drops empty lines"');
  if (kind === "blocked" && empty)
    return says('say why you are blocked: ballador blocked "the API key for X is missing"');
  if (kind === "note" && empty) return says('a note needs text: ballador note "decision and reason"');
  return null;
}

/** done with uncommitted changes (the paths as git status names them). */
export function dirtyRefusal(paths: readonly string[]): ReportRefusal {
  const n = paths.length;
  return {
    message: `refused: ${n} uncommitted change${n === 1 ? "" : "s"} in the worktree; commit them first (or pass --allow-dirty):`,
    exit: 3,
    details: paths.slice(0, 50),
  };
}

/** How the gate's verify command ended. */
export interface GateEnd {
  command: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Where the whole output is (a path the agent can open). */
  log: string;
  output: string;
}

/** done while the verify gate fails: the failing output's tail, and the whole log's path. */
export function gateRefusal(g: GateEnd): ReportRefusal {
  return {
    message: `done refused: ${g.command} failed (exit ${g.code ?? g.signal}${g.timedOut ? ", timed out" : ""}). Fix it, commit, and run ballador done again. Full log: ${g.log}`,
    exit: 4,
    details: trimOutput(g.output).split("\n"),
  };
}

/** What the CLI prints on stdout once the report is written. */
export function reportedText(kind: AgentReportKind, taskId: string): string {
  if (kind === "done") return `Reported done for ${taskId}; Ballador verifies the work and ends this run.`;
  if (kind === "note") return `Noted for ${taskId}.`;
  if (kind === "blocked") return `Reported blocked for ${taskId}; Ballador will end this run.`;
  return `Verdict recorded for ${taskId}.`;
}

/** A refusal as the CLI's error handler prints it on stderr (escaped: it may carry the agent's text). */
export function refusalText(r: ReportRefusal): string {
  const details = r.details.map((d) => `  ${terminalBlock(d).replace(/\n/g, "\n  ")}\n`);
  return `ballador: ${terminalBlock(r.message)}\n${details.join("")}`;
}
