/**
 * The run's start and its order, made by `launch` (spec 0013, "Speed"): launch holds the claim,
 * the task and the config, so it pushes the start to the runners' remote and writes the order
 * for the relay's prepared connection, which sends it before the relay's code has loaded. Built
 * from home's store and config only, as the relay builds it; never for a profile with secrets
 * (its order carries what the relay sets up: a tunnel, or values).
 */
import { readFileSync } from "node:fs";
import { git, resolveCommit } from "../../adapters/git/index.js";
import { readProvisionSpec } from "../../adapters/runfolder/index.js";
import { gitSshEnv, prepareSshInput } from "../../adapters/ssh/index.js";
import type { Project } from "../../project/index.js";
import { VERSION } from "../../version.js";
import { openPrReview, openRequests, openUpdate } from "../steering.js";
import { type RunOrder, runRefs } from "./protocol.js";
import { type RelayRun, readRelayState } from "./relay-apply.js";
import { remoteOf, runnerNamed, shareOf } from "./ssh.js";

type Claim = NonNullable<ReturnType<typeof readProvisionSpec>>;

/** The relay's view of a run from its claim and the store; a string says why there is none. */
export function relayRunFor(
  project: Project,
  runDir: string,
  branchCommit: string | null,
  say: (line: string) => void,
): RelayRun | string {
  const claim = readProvisionSpec(runDir);
  if (!claim) return `${runDir} has no provision.json`;
  const store = project.store();
  const row = store.run(claim.runId);
  const runner = row?.runner ? runnerNamed(project.config, row.runner) : null;
  const remote = remoteOf(project.config);
  if (!row) return "its run is not in the store";
  if (!runner) return `runner ${row.runner} is not in the config`;
  if (!remote) return "runners_remote is not set";
  // A relay reopened by reconcile goes on from its record: same start, nothing applied twice.
  const kept = readRelayState(runDir);
  return {
    project,
    store,
    runner,
    remote,
    runId: claim.runId,
    taskId: claim.taskId,
    runDir,
    branch: claim.branch,
    startCommit: kept?.startCommit ?? branchCommit ?? claim.baseCommit,
    baseCommit: claim.baseCommit,
    cursor: kept?.cursor ?? { event: 0, verification: 0, note: 0 },
    say,
  };
}

/** The run's start (and stacked branches) to the shared remote, under this run's refs. */
export async function pushStart(r: RelayRun, merge: readonly string[]): Promise<string[]> {
  const refs = runRefs(r.runId);
  const specs = [`+${r.startCommit}:${refs.base}`];
  const mergeRefs: string[] = [];
  for (const [i, branch] of merge.entries()) {
    const c = await resolveCommit(r.project.paths.root, `refs/heads/${branch}`);
    if (!c) throw new Error(`stacked branch ${branch} does not exist`);
    specs.push(`+${c}:${refs.merge(i + 1)}`);
    mergeRefs.push(refs.merge(i + 1));
  }
  r.say(`pushing the run's start to the runners' remote`);
  await git(["push", "-q", "--no-verify", "--", r.remote, ...specs], {
    cwd: r.project.paths.root,
    env: gitSshEnv(process.env, { dir: shareOf(r.project), remote: r.remote }),
  });
  return mergeRefs;
}

/** The order the runner's Ballador reads: everything from home's store, config and the claim. */
export function runOrder(r: RelayRun, claim: Claim, mergeRefs: string[]): RunOrder {
  const task = r.store.task(r.taskId);
  if (!task) throw new Error(`task ${r.taskId} is gone`);
  return {
    protocol: 1,
    version: VERSION,
    runId: r.runId,
    taskId: r.taskId,
    attempt: claim.attempt,
    title: task.title,
    body: task.body,
    verify: task.verify,
    profile: claim.profile,
    branch: claim.branch,
    remote: r.remote,
    baseRef: runRefs(r.runId).base,
    mergeRefs,
    config: readFileSync(r.project.paths.configFile, "utf8"),
    root: r.runner.root,
    previousFailure: claim.previousFailure,
    requests: openRequests(r.store, r.taskId).slice(-64),
    prReview: openPrReview(r.store, r.taskId).slice(-64),
    update: openUpdate(r.store, r.taskId)?.text ?? null,
    cursor: r.cursor,
    continueRun: claim.resume
      ? (r.store.runsOf(r.taskId).find((x) => x.id !== r.runId && x.runDir === claim.previousRunDir)?.id ??
        null)
      : null,
  };
}

/**
 * At launch, after the claim: the start pushed and the order left for the relay's prepared
 * connection. Any problem leaves no order: the relay then pushes and sends it itself, and
 * reports what went wrong there, as before.
 */
export async function prepareRelayOrder(project: Project, runDir: string): Promise<void> {
  try {
    const claim = readProvisionSpec(runDir);
    if (!claim) return;
    const branchCommit = claim.branchExisted
      ? await resolveCommit(claim.repoRoot, `refs/heads/${claim.branch}`)
      : null;
    const r = relayRunFor(project, runDir, branchCommit, () => undefined);
    if (typeof r === "string") return;
    const mergeRefs = await pushStart(r, claim.merge);
    prepareSshInput(runDir, JSON.stringify(runOrder(r, claim, mergeRefs)));
  } catch {
    // The relay does it again and says why it failed.
  }
}
