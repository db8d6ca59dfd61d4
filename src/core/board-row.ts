/**
 * A task as the dashboard's board shows it: written by the server (observe/board), read by the
 * page (dashboard/web, which may take types from here and nothing else), so both sides of the
 * wire hold one definition. Agent text in it (titles, questions) is data: the page renders it as
 * text only.
 */
import type { PartVerifyOverride } from "./part-verify.js";
import type { TaskState } from "./states.js";

/** What a live run's agent waits for a person about. */
export interface BoardWaiting {
  /** The run that waits. */
  runId: string;
  /** Since when it waits (ISO time). */
  since: string;
  /** What it asked: the agent's words, bounded. */
  asked: string;
  /** When Ballador typed the unattended nudge, if it did. */
  nudgedAt: string | null;
}

export interface BoardRow {
  id: string;
  title: string;
  state: TaskState;
  reason: string | null;
  agent: string;
  role: string | null;
  attempt: number;
  priority: number;
  since: string;
  needs: string[];
  branch: string | null;
  denials: number;
  notes: number;
  /** The agent waits for a person (its question), while its run is live. */
  waiting: BoardWaiting | null;
  /** Its pipeline stage ("2/3 implementer"), or null without a pipeline (issue 16). */
  stage: string | null;
  /** What its runs used, from the agents' own records ("12.3k tokens, $0.42"), or null. */
  cost: string | null;
  /** The part's own verify command when it is not the project's (issue 28), or null. */
  partVerify: PartVerifyOverride | null;
  /** Its newest verification ran no verify command: nothing checked its work. */
  unverified: boolean;
  /** The runner its newest run was on (spec 0013), or null: this machine. */
  runner: string | null;
}

/** What changed on the board since the page's last message. */
export interface BoardPatch {
  upsert: BoardRow[];
  remove: string[];
  review: string[];
  /** The suggested merge order, when it has been computed for the current review set. */
  order?: string[];
}
