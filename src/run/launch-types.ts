/** What a launch is asked (LaunchOptions) and what it answers (LaunchResult), shared by its stages. */
import type { Progress } from "../core/progress.js";
import type { Deferred } from "../core/schedule.js";
import type { Budget } from "../core/usage.js";

export interface LaunchOptions {
  tasks?: string[];
  max?: number;
  base?: string;
  dryRun?: boolean;
  actor?: string;
  /** A note fed back into the prompt (retry after a failure). */
  previousFailure?: string | null;
  /** The attempt number home gave this run: a runner's run carries home's (spec 0013). */
  attempt?: number;
  /** Launch an existing worktree again with the same attempt (resume). */
  resume?: boolean;
  /** Continue the agent's previous conversation where its preset can (retry and resume). */
  continueConversation?: boolean;
  onProgress?: (line: string) => void;
  /** The wait for sessions to provision (with `wait`), as the step launch.wait. */
  progress?: Progress;
  /** Return only when every started task has provisioned (its agent started) or failed. */
  wait?: boolean;
  /** The caller has just reconciled (the watcher's beat): skip it here. */
  reconciled?: boolean;
  /** The downbeat these runs belong to (launch --watch: one for all its waves); default: a new one. */
  launchId?: string;
  /** This launch's budget, over the config's `budget.launch`. */
  launchBudget?: Budget;
  /** Where the runs live: a runner's name, `any` (the freest runner) or `local` (spec 0013); default: each part's runner:, else local. */
  on?: string;
}

export interface Started {
  id: string;
  runId: string;
  profile: string;
  branch: string;
  worktree: string;
  session: string;
  attempt: number;
  /** The runner it lives on; null: this machine. */
  runner: string | null;
}

/** A task this launch did not start: `log` is its launch log when there is one. */
export interface LaunchFailure {
  id: string;
  reason: string;
  log: string | null;
}

export interface LaunchResult {
  started: Started[];
  /** Overlapping declared scopes with running or in-review tasks: a warning, not a refusal. */
  warnings: string[];
  failed: LaunchFailure[];
  deferred: Deferred[];
  dryRun: boolean;
  plan: Array<{ id: string; profile: string }>;
  /** The downbeat the started runs belong to, and what it may spend (null: no launch budget). */
  launch: { id: string; budget: Budget | null } | null;
}
