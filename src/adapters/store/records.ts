/**
 * What a task gathers on its way: stage gates, notes, verifications and artifacts.
 * Append-only; each write is one immediate transaction.
 */
import { checkTail } from "../../core/check-output.js";
import { now, type SqlRow } from "./connection.js";
import { toArtifact, toGate, toNote, toVerification } from "./rows.js";
import { RunLedger } from "./runs.js";
import type { ArtifactRow, GateRow, NoteRow, VerificationRow } from "./types.js";

export class TaskRecords extends RunLedger {
  // ---- stage gates -------------------------------------------------------------------------

  addGate(g: Omit<GateRow, "seq" | "at">): void {
    this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO stage_gates (at, task_id, run_id, stage, role, passed, start_commit, commit_sha, summary, checks, files)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          now(),
          g.taskId,
          g.runId,
          g.stage,
          g.role,
          g.passed ? 1 : 0,
          g.startCommit,
          g.commit,
          g.summary,
          JSON.stringify(g.checks),
          JSON.stringify(g.files),
        );
    });
  }

  gates(taskId: string): GateRow[] {
    return this.logOf("stage_gates", taskId).map(toGate);
  }

  // ---- notes -------------------------------------------------------------------------------

  addNote(
    taskId: string,
    runId: string | null,
    kind: NoteRow["kind"],
    text: string,
    author: string | null = null,
  ): void {
    this.tx(() => {
      this.db
        .prepare("INSERT INTO notes (at, task_id, run_id, kind, text, author) VALUES (?, ?, ?, ?, ?, ?)")
        .run(now(), taskId, runId, kind, text, author);
    });
  }

  notes(taskId: string): NoteRow[] {
    return this.logOf("notes", taskId).map(toNote);
  }

  /** task id -> how many notes it has, in one query: a cheap change marker for whole-queue views. */
  noteCounts(): Map<string, number> {
    const rows = this.db.prepare("SELECT task_id, COUNT(*) AS n FROM notes GROUP BY task_id").all() as Array<{
      task_id: string;
      n: number;
    }>;
    return new Map(rows.map((r) => [r.task_id, r.n]));
  }

  // ---- verifications and artifacts ---------------------------------------------------------

  addVerification(
    v: Omit<VerificationRow, "seq" | "at" | "key" | "tail" | "log"> & {
      key?: string | null;
      tail?: string | null;
      log?: string | null;
    },
  ): void {
    this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO verifications (at, task_id, run_id, commit_sha, kind, command, passed, exit_code, ms, detail, key, tail, log)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          now(),
          v.taskId,
          v.runId,
          v.commit,
          v.kind,
          v.command,
          v.passed ? 1 : 0,
          v.exitCode,
          v.ms,
          v.detail,
          v.key ?? null,
          // Escaped (and bounded) on the way in too: whoever reads the row gets inert text.
          v.tail ? checkTail(v.tail) : null,
          v.log || null,
        );
    });
  }

  /**
   * The newest passing verification Ballador itself ran (clean or merge, never an agent's gate)
   * with this key, or null.
   */
  passedVerification(key: string): VerificationRow | null {
    const r = this.db
      .prepare(
        "SELECT * FROM verifications WHERE key = ? AND passed = 1 AND kind IN ('clean', 'merge') ORDER BY seq DESC LIMIT 1",
      )
      .get(key) as SqlRow | undefined;
    return r ? toVerification(r) : null;
  }

  /**
   * Tasks verified by nothing: the newest verification Ballador ran for them (clean, update or
   * merge; never an agent's gate) had no verify command. One grouped read for the whole queue.
   */
  unverifiedTaskIds(): Set<string> {
    const rows = this.db
      .prepare(
        `SELECT v.task_id AS id FROM verifications v
         JOIN (SELECT task_id, MAX(seq) AS seq FROM verifications
               WHERE kind IN ('clean', 'update', 'merge') GROUP BY task_id) l ON v.seq = l.seq
         WHERE v.command IS NULL`,
      )
      .all() as Array<{ id: string }>;
    return new Set(rows.map((r) => r.id));
  }

  verifications(taskId: string): VerificationRow[] {
    return this.logOf("verifications", taskId).map(toVerification);
  }

  addArtifact(taskId: string, kind: string, value: string): void {
    this.tx(() => {
      this.db
        .prepare("INSERT INTO artifacts (at, task_id, kind, value) VALUES (?, ?, ?, ?)")
        .run(now(), taskId, kind, value);
    });
  }

  artifacts(taskId: string): ArtifactRow[] {
    return this.logOf("artifacts", taskId).map(toArtifact);
  }
}
