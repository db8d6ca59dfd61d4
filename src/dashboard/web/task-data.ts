/** What GET /api/tasks/:id answers (observe/taskPage): the data a task's page is drawn from. */

import type { PartVerify } from "./part-verify.js";

export interface Note {
  seq: number;
  at: string;
  kind: string;
  text: string;
  runId: string | null;
  author?: string | null;
}

export interface TaskPageData {
  waiting: { since: string; asked: string; nudgedAt: string | null } | null;
  unverified?: boolean;
  task: {
    id: string;
    title: string;
    state: string;
    reason: string | null;
    agent: string | null;
    role: string | null;
    attempt: number;
    branch: string | null;
    spec: string | null;
    needs: string[];
    scope: string[];
    body: string;
    stateChangedAt: string;
  };
  events: Array<{
    seq: number;
    at: string;
    from: string | null;
    to: string;
    cause: string;
    actor: string;
    detail: string | null;
  }>;
  runs: Array<{
    id: string;
    attempt: number;
    profile: string;
    /** The runner it lived on (spec 0013); null: this machine. */
    runner?: string | null;
    status: string;
    startedAt: string;
    endedAt: string | null;
    outcome: string | null;
    exitCode: number | null;
    detail: string | null;
  }>;
  notes: Note[];
  dependents: string[];
  verifications: Array<{
    seq: number;
    at: string;
    kind: string;
    command: string | null;
    passed: boolean;
    exitCode: number | null;
    ms: number;
    commit: string | null;
    detail: string | null;
    /** A failed check's output, its end (escaped when kept): the agent's code wrote it, shown as text. */
    tail: string | null;
    log: string | null;
  }>;
  brief: {
    markdown: string;
    data: { head: string | null; fork: string | null; outsideScope: string[]; tampered: string[] };
  } | null;
  briefError: string | null;
  denials: {
    runs: Array<{
      run: string;
      profile: string;
      denials: Array<{ host: string; port: number | null; count: number; at: string }>;
    }>;
    suggestions: Array<{ host: string; global: string; perProfile: string[] }>;
  };
  diff: Array<{ file: string; text: string; truncated: boolean; added: number; removed: number }>;
  spec: { path: string; text: string | null } | null;
  live: boolean;
  partVerify: PartVerify | null;
  /** When it merged, and the commit the base moved to (issue 34). */
  merged: { commit: string; at: string } | null;
}
