/**
 * The downbeat: start ready tasks, each in its own worktree and tmux session, up to the limits.
 * The launcher claims every task in the store (one live run per task, enforced by SQLite) and
 * opens its session, all at once; each session then provisions itself (provision.ts). Every
 * step is recorded so a crash at any point can be rolled back by reconcile.
 *
 * Its stages: pick the candidates and plan who starts (launch-pick.ts), refuse what cannot
 * start, record the downbeat, claim and open each task (launch-claim.ts), and with `wait`
 * watch them provision (launch-wait.ts).
 */
import { randomBytes } from "node:crypto";
import { withGitFacts } from "../adapters/git/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import { newLaunchId } from "../core/ids.js";
import type { Assignment } from "../core/schedule.js";
import type { Budget } from "../core/usage.js";
import { type Project, supervisorNode } from "../project/index.js";
import { type ClaimOutcome, claimAndOpen } from "./launch-claim.js";
import { launchFacts } from "./launch-facts.js";
import {
  fullRows,
  overlapWarnings,
  pickCandidates,
  planStart,
  refuseSpentLaunch,
  refuseUnstartable,
  requireBase,
} from "./launch-pick.js";
import type { LaunchOptions, LaunchResult } from "./launch-types.js";
import { awaitProvisioned } from "./launch-wait.js";
import { reconcile } from "./recover/index.js";
import { placeRuns } from "./remote/place.js";
import { warmRunners } from "./remote/ssh.js";
import { runnerProblem } from "./remote/usable.js";

export { tmuxFor } from "./launch-facts.js";
export type { LaunchFailure, LaunchOptions, LaunchResult, Started } from "./launch-types.js";

/** What a launch may spend: the option's, else the config's `budget.launch`; null when neither sets any. */
export function launchBudgetOf(project: Project, override?: Budget): Budget | null {
  const b = override ?? project.config.budget.launch ?? {};
  return b.tokens === undefined && b.usd === undefined ? null : b;
}

export async function launch(project: Project, opts: LaunchOptions = {}): Promise<LaunchResult> {
  // One reading of the repository for the claims (the base and each branch asked once, issue
  // 35); the wait below watches other processes move refs, so it stays outside.
  const result = await withGitFacts(() => claimReady(project, opts));
  if (opts.wait && !result.dryRun) await awaitProvisioned(project, result, opts);
  return result;
}

async function claimReady(project: Project, opts: LaunchOptions): Promise<LaunchResult> {
  await requireBase(project, opts);
  if (!opts.reconciled) await reconcile(project, { repair: true });
  const { start, deferred } = planStart(project, pickCandidates(project, opts), opts);
  refuseSpentLaunch(project, opts, start.length);
  const byId = fullRows(project, start);
  const result: LaunchResult = {
    started: [],
    warnings: [],
    failed: [],
    deferred,
    dryRun: opts.dryRun === true,
    plan: start,
    launch: null,
  };
  await refuseUnstartable(
    project,
    start,
    start.map((a) => byId.get(a.id) as TaskRow),
    result.warnings,
  );
  overlapWarnings(project, start, byId, result.warnings);
  const { places, deferred: full } = placeRuns(
    project,
    start.map((a) => ({ task: byId.get(a.id) as TaskRow, profile: a.profile })),
    opts.on,
    runnerProblem,
  );
  for (const d of full)
    start.splice(
      start.findIndex((a) => a.id === d.id),
      1,
    );
  result.deferred.push(...full);
  // Before anything is recorded: a runtime.node that does not run refuses the whole launch.
  const node = start.length > 0 ? (await supervisorNode(project.config)).path : process.execPath;
  if (opts.dryRun) return result;
  // The runners' SSH connections open while the claims are made: the relays' sessions share them.
  warmRunners(
    project,
    [...places.values()].filter((p): p is string => p !== null),
  );
  if (start.length > 0) result.launch = openLaunch(project, opts);
  // Nothing to start (a conductor's beat with every machine full): no tmux or git call for it.
  if (start.length > 0)
    sortOutcomes(result, await claimAll(project, start, byId, places, opts, result.launch?.id ?? null, node));
  return result;
}

/** The downbeat's record: the runs it starts belong to it, and it holds what they may spend. */
function openLaunch(project: Project, opts: LaunchOptions): NonNullable<LaunchResult["launch"]> {
  const row = project.store().createLaunch({
    id: opts.launchId ?? newLaunchId(new Date(), randomBytes(3).toString("hex")),
    startedAt: new Date().toISOString(),
    actor: opts.actor ?? "launch",
    budget: launchBudgetOf(project, opts.launchBudget),
  });
  return { id: row.id, budget: row.budget };
}

/** Every claim at once: each session then provisions itself, in parallel with the others. */
async function claimAll(
  project: Project,
  start: readonly Assignment[],
  byId: ReadonlyMap<string, TaskRow>,
  places: ReadonlyMap<string, string | null>,
  opts: LaunchOptions,
  launchId: string | null,
  node: string,
): Promise<ClaimOutcome[]> {
  const facts = await launchFacts(project, node);
  return Promise.all(
    start.map((a) =>
      claimAndOpen(project, byId.get(a.id) as TaskRow, a.profile, opts, facts, {
        launchId,
        runner: places.get(a.id) ?? null,
      }),
    ),
  );
}

function sortOutcomes(result: LaunchResult, outcomes: readonly ClaimOutcome[]): void {
  for (const outcome of outcomes) {
    if ("runId" in outcome) result.started.push(outcome);
    else if (outcome.skipped) result.deferred.push({ id: outcome.id, why: outcome.reason });
    else result.failed.push(outcome);
  }
}
