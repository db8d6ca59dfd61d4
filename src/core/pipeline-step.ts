/**
 * What happens after a pipeline stage's gate passed (issue 16, made a table in issue 30): the
 * next stage starts, its auditor reads, the person checks (pause_after), or, past the last
 * stage, the reviewer and review. Pure; the supervisor does what it says.
 */
import { type GateOutcome, gateOutcome, type Stage } from "./pipeline.js";

export type PipelineStep =
  /** Past the last stage: review, after the reviewer's read when `review` says so. */
  | { kind: "finish"; review: boolean }
  /** The person checks the work before `next` starts. */
  | { kind: "pause"; next: Stage }
  /** `next` is an auditor: it reads the work, its verdict is the gate. */
  | { kind: "audit"; next: Stage }
  /** `next`'s first run starts in this session. */
  | { kind: "start"; next: Stage };

/** The step after `index`'s gate passed; `reviewer`: the run has a reviewer profile. */
export function pipelineStep(stages: readonly Stage[], index: number, reviewer: boolean): PipelineStep {
  const stage = stages[index] as Stage;
  const next = stages[index + 1];
  // An auditor that just read the work is the last reader: no second read by the reviewer.
  if (!next) return { kind: "finish", review: reviewer && stage.kind !== "audit" };
  if (stage.pauseAfter) return { kind: "pause", next };
  if (next.kind === "audit") return { kind: "audit", next };
  return { kind: "start", next };
}

/** The pipeline's name for a person: its own, or its roles in order. */
export function pipelineLabel(name: string | null, stages: readonly Stage[]): string {
  return name ?? stages.map((s) => s.role).join(" → ");
}

export function finishCause(pipeline: string, last: string, head: string, reviewed: boolean): string {
  return `pipeline ${pipeline}: every stage passed its gate (last: ${last} on ${head.slice(0, 10)})${reviewed ? "; reviewer approved" : ""}`;
}

export function pauseCause(taskId: string, stage: string, next: string): string {
  return `paused after ${stage} for the person's check: ballador approve ${taskId} continues with ${next}; ballador request-changes ${taskId} "..." sends it back to ${stage}`;
}

export function stageStartCause(
  next: Stage,
  count: number,
  profile: string,
  stage: string,
  head: string,
): string {
  return `stage ${next.index + 1} of ${count}: ${next.role} (${profile}) starts; ${stage} passed its gate on ${head.slice(0, 10)}`;
}

export function stageCannotStart(role: string): string {
  return `agent: the ${role} stage cannot start (its profile's program is not found, or its attempts are used up)`;
}

/** An auditor's read as far as its gate needs it. */
export interface AuditRead {
  verdict: boolean;
  approve: boolean;
  notes: string;
  profile: string;
}

/** The auditor's gate: its verdict is the one check. */
export function auditGate(v: AuditRead): GateOutcome {
  return gateOutcome([
    {
      name: "the auditor's verdict",
      ok: v.verdict && v.approve,
      detail: v.verdict
        ? `${v.approve ? "approved" : "changes requested"} by ${v.profile}${v.notes ? `: ${v.notes.split("\n")[0]}` : ""}`
        : `no verdict from ${v.profile}`,
    },
  ]);
}

export function auditNoVerdict(profile: string, role: string, runs: number): string {
  return `audit: no verdict from ${profile} (${role}) after ${runs} run(s)`;
}
