/**
 * How an attempt ended, and what the agent is told (issue 30): the supervisor observes the facts
 * (a report, an exit, a timeout, a verdict, a gate), this table turns them into the decision and
 * its words. Pure: no I/O, so every case is tested as a row of a table.
 */
import { tailMarkdown } from "./check-output.js";
import { type GateOutcome, gateFeedback, type StageKind } from "./pipeline.js";
import { tamperedNote } from "./tampered-note.js";

/** A failed attempt: the task's reason, the next attempt's feedback, the run's outcome. */
export interface Failure {
  reason: string;
  feedback: string;
  outcome: string;
  /** The task's state when it failed: a failed run is a fact in the log only from "running". */
  from: "running" | "verifying";
}

/** What `ballador done`'s own gate recorded (the agent's claim about a commit). */
export interface GateClaim {
  commit: string;
  code: number | null;
  command: string;
}

/** How the agent's part of an attempt ended, as the supervisor observed it. */
export type Outcome =
  | { kind: "done"; summary: string }
  | { kind: "blocked"; reason: string }
  | { kind: "exited"; code: number | null; signal: string | null; error: string | null }
  | { kind: "timeout" }
  | { kind: "idle"; minutes: number }
  | { kind: "refused"; gate: GateClaim; log: string }
  | { kind: "verdict"; approve: boolean; notes: string }
  | { kind: "budget"; scope: "task" | "launch"; reason: string };

/** What follows from how the agent ended: verify its work, a person's turn, or a failure. */
export type AttemptEnd =
  | { kind: "verify"; summary: string }
  | { kind: "blocked"; reason: string }
  | { kind: "budget"; scope: "task" | "launch"; reason: string }
  /** `retry`: false when the agent could not even start (the next attempt would not either). */
  | { kind: "failed"; failure: Failure; retry: boolean };

/** The facts of the run the words need. */
export interface AttemptFacts {
  /** The run's time limit. */
  timeoutMs: number;
  /** The agent's program (argv[0]). */
  program: string;
}

export function attemptEnd(outcome: Outcome, facts: AttemptFacts): AttemptEnd {
  switch (outcome.kind) {
    case "done":
      return { kind: "verify", summary: outcome.summary };
    case "blocked":
      return { kind: "blocked", reason: outcome.reason };
    case "budget":
      return { kind: "budget", scope: outcome.scope, reason: outcome.reason };
    default:
      return {
        kind: "failed",
        failure: runningFailure(outcome, facts),
        retry: !(outcome.kind === "exited" && outcome.error),
      };
  }
}

type RunningEnd = Exclude<Outcome, { kind: "done" | "blocked" | "budget" }>;

/** An attempt that ended without a done that could be verified. */
function runningFailure(outcome: RunningEnd, facts: AttemptFacts): Failure {
  const running = (reason: string, feedback: string, kind: string): Failure => ({
    reason,
    feedback,
    outcome: kind,
    from: "running",
  });
  if (outcome.kind === "verdict") {
    const reason = "agent: reported a review verdict instead of done";
    return running(reason, `${reason}; you are the implementer: report with ballador done.`, "exited");
  }
  if (outcome.kind === "refused") {
    const g = outcome.gate;
    const reason = `verify: ballador done was refused (${g.command} exited ${g.code ?? "by timeout"} on ${g.commit.slice(0, 10)}) and the agent went quiet`;
    const tail = outcome.log ? ` The end of its output:\n\n${tailMarkdown(outcome.log, null)}` : "";
    return running(
      reason,
      `${reason}.${tail}\n\nFix what fails, commit, and run ballador done again.`,
      "verify-failed",
    );
  }
  if (outcome.kind === "idle") {
    const reason = `timeout: idle for ${outcome.minutes} min without reporting done or blocked`;
    return running(
      reason,
      `${reason}. When the work is committed and verified, run ballador done --summary "..."; if you cannot go on, run ballador blocked "why".`,
      "idle",
    );
  }
  if (outcome.kind === "timeout") {
    const reason = `timeout: the run took longer than ${Math.round(facts.timeoutMs / 1000)} s`;
    return running(
      reason,
      `${reason}; the agent was stopped. Work in smaller steps and report with ballador done.`,
      "timeout",
    );
  }
  const reason = outcome.error
    ? `agent: could not start ${facts.program}: ${outcome.error}`
    : `agent: exited with ${outcome.code !== null ? `code ${outcome.code}` : `signal ${outcome.signal}`} without reporting done or blocked`;
  return running(
    reason,
    `${reason}. Finish the work, commit it, and report with ballador done (or ballador blocked).`,
    "exited",
  );
}

/** Ballador's clean verification of the reported commit, as far as the words need it. */
export interface VerdictFacts {
  ok: boolean;
  command: string | null;
  code: number | null;
  commit: string;
  tail: string;
  log: string;
  tampered: readonly string[];
}

/** Why verified work did not pass: the judge's findings after a done. */
export type Judgement =
  /** An update's attempt whose branch lacks commits the update brings in. */
  | { kind: "missing-base"; missing: readonly string[] }
  /** A pipeline stage's gate refused the work. */
  | { kind: "gate"; role: string; stageKind: StageKind; gate: GateOutcome; verdict: VerdictFacts }
  /** The clean verification failed (no pipeline). */
  | { kind: "verify-failed"; verdict: VerdictFacts }
  /** A reviewer read verified work (or work that passed its gate) and requested changes. */
  | { kind: "changes-requested"; after: "verification" | "gate"; notes: string }
  /** A pipeline's auditor read the work and requested changes. */
  | { kind: "audit"; role: string; profile: string; notes: string };

export function judgedFailure(j: Judgement): Failure {
  const verifying = (reason: string, feedback: string, outcome: string): Failure => ({
    reason,
    feedback,
    outcome,
    from: "verifying",
  });
  switch (j.kind) {
    case "missing-base": {
      const what = j.missing.map((c) => c.slice(0, 10)).join(", ");
      const all = j.missing.join(" ");
      return verifying(
        `update: the branch does not contain ${what}; the conflicts are not resolved`,
        `Your branch does not contain ${j.missing.join(", ")}. Merge ${j.missing.length === 1 ? "it" : "them"} into your branch (git merge ${all}), resolve the conflicts, commit the merge, then run ballador done.`,
        "verify-failed",
      );
    }
    case "gate": {
      const v = j.verdict;
      // A test author's verify is meant to fail: its output is no news to it.
      const tail =
        !v.ok && j.stageKind !== "tests"
          ? `\n\nThe end of the verification output (${v.command} on ${v.commit.slice(0, 10)}):\n\n${tailMarkdown(v.tail, v.log)}`
          : "";
      return verifying(
        `gate (${j.role}): ${j.gate.summary}`,
        `${gateFeedback(j.role, j.gate)}${tail}`,
        "gate-failed",
      );
    }
    case "verify-failed": {
      const v = j.verdict;
      return verifying(
        `verify: ${v.command} exited ${v.code ?? "by timeout"}`,
        `Ballador ran \`${v.command}\` on a clean checkout of your last commit ${v.commit.slice(0, 10)} and it failed (exit ${v.code ?? "timeout"}):\n\n${tailMarkdown(v.tail, v.log)}${tamperedNote(v.tampered)}`,
        "verify-failed",
      );
    }
    case "changes-requested":
      return verifying(
        "review: changes requested",
        `Your work passed ${j.after === "gate" ? "its gate" : "verification"}, but a reviewer read it and requested changes:\n\n${j.notes}`,
        "changes-requested",
      );
    case "audit":
      return verifying(
        `audit (${j.role}): changes requested by ${j.profile}`,
        `Your work passed its gate, but the ${j.role} read it and found problems that must be fixed:\n\n${j.notes}`,
        "changes-requested",
      );
  }
}

/** The cause recorded when the next attempt of a failed one starts. */
export function nextAttemptCause(
  failure: Pick<Failure, "reason">,
  next: { attempt: number; profile: string; stageRole: string | null; otherStage: boolean },
  profile: string,
): string {
  if (next.otherStage) return `back to ${next.stageRole} (${next.profile}): ${failure.reason}`;
  if (next.profile === profile) return `attempt ${next.attempt}: ${failure.reason}`;
  return `fallback to ${next.profile}: ${failure.reason}`;
}

/** What a person is told when a budget stops a task, and how to go on. */
export function budgetWords(
  scope: "task" | "launch",
  why: string,
  stopped: boolean,
  failureReason: string | null,
): { reason: string; cause: string; advice: string } {
  const reason = `budget: ${why} (the agent's own records)`;
  const whose = scope === "task" ? "the task's budget is spent" : "the launch's budget is spent";
  return {
    reason,
    cause: stopped
      ? `${whose}; the run was stopped`
      : `${failureReason ?? "the run ended"}; ${whose}, so no retry`,
    advice: `stopped: ${reason}; ${scope === "task" ? "raise budget: in .ballador/config.yaml, or retry to start a new count" : "raise budget.launch in .ballador/config.yaml, or launch again (a new launch, a new count)"}`,
  };
}

/** The task's reason after a sandboxed step tried what the sandbox refuses. */
export function violationReason(violations: readonly string[]): string {
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : "";
  return `sandbox violation: ${violations[0]}${more}`;
}
