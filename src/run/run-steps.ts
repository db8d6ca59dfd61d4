/**
 * Around every sandboxed step of a run (bootstrap, before_launch, the agent, its hooks): before
 * it, the per-run ref copies are made anew from the real refs; after it, the run's objects are
 * adopted (checked) and the task's own branch is moved from the copy (checked); anything else
 * the step did to refs is returned as violations. The copy's starting point is also kept in the
 * host-only run folder, so a person's `stop` or a reconcile after a crash can take the work in.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Adoption } from "../adapters/git/index.js";
import { runFolder } from "../adapters/runfolder/index.js";
import type { JjPolicy } from "../adapters/sandbox/index.js";
import { afterJjStep, beforeJjStep, type JjSnapshotIn, snapshotJjStep } from "./run-jj.js";
import { adoptRunObjects } from "./run-objects.js";
import { prepareRefCopy, type RefCopy, type RefSync, syncOwnRef } from "./run-refs.js";

/** `jj`: the run's policy says its tree is a jj workspace (its operation heads are copied instead). */
export async function beforeSandboxedStep(
  repo: string,
  runDir: string,
  branch: string,
  jj?: JjPolicy,
): Promise<RefCopy> {
  const copy: RefCopy = jj
    ? { branch, folder: "", written: new Map(), own: null, jj: await beforeJjStep(runDir, jj) }
    : await prepareRefCopy(repo, runDir, branch);
  if (copy.jj) copy.own = copy.jj.own;
  writeFileSync(
    runFolder(runDir).host.refCopy,
    JSON.stringify({
      branch: copy.branch,
      folder: copy.folder,
      own: copy.own,
      written: [...copy.written],
      ...(copy.jj ? { jj: copy.jj } : {}),
    }),
  );
  return copy;
}

export interface StepAfter extends RefSync {
  adoption: Adoption;
  /** Why the step's jj snapshot failed (its own operations are still taken). */
  snapshotFailed?: string;
}

/**
 * Three stages, the same for a git and a jj run, each needing the one before: the jj workspace
 * snapshotted (`snapshot`: for a jj step whose sandbox is still at hand, so edits made without a
 * jj command are part of the change; a run taken in after a stop or a crash has none, its edits
 * wait for the next jj command there); the run's objects adopted (checked; a jj run's were
 * written into the run's folder mounted over the store's), since the task's ref may only point
 * at a commit the repository has; then the task's own ref taken in from the copy (a git branch,
 * or a jj run's operation and bookmark).
 */
export async function afterSandboxedStep(
  repo: string,
  runDir: string,
  copy: RefCopy,
  runId: string,
  snapshot?: JjSnapshotIn,
): Promise<StepAfter> {
  const snapshotFailed = copy.jj && snapshot ? await snapshotJjStep(snapshot) : null;
  const adoption = await adoptRunObjects(repo, runDir);
  const sync = copy.jj
    ? await afterJjStep(runDir, copy.jj, runId)
    : await syncOwnRef(repo, runDir, copy, runId);
  return {
    ...sync,
    violations: [...sync.violations, ...objectsRefused(adoption)],
    adoption,
    ...(snapshotFailed ? { snapshotFailed } : {}),
  };
}

/** The violations of an adoption: each object it refused. */
function objectsRefused(adoption: Adoption): string[] {
  return adoption.refused.map((r) => `git object refused: ${r}`);
}

/** The copy a step started from, as recorded in the host-only run folder, or null. */
export function recordedCopy(runDir: string): RefCopy | null {
  try {
    const raw = JSON.parse(readFileSync(runFolder(runDir).host.refCopy, "utf8")) as {
      branch: string;
      folder: string;
      own: string | null;
      written: Array<[string, string]>;
      jj?: RefCopy["jj"];
    };
    return {
      branch: raw.branch,
      folder: raw.folder,
      own: raw.own,
      written: new Map(raw.written),
      ...(raw.jj ? { jj: raw.jj } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * A run that ended without its supervisor (stopped by a person, or its session died): its
 * objects and its commits on the task's branch are taken in, as they would have been. Returns
 * the violations seen, for the caller to record.
 */
export async function takeInRunWork(repo: string, runDir: string, runId: string): Promise<string[]> {
  const copy = recordedCopy(runDir);
  if (!copy) return objectsRefused(await adoptRunObjects(repo, runDir));
  const after = await afterSandboxedStep(repo, runDir, copy, runId);
  return [...after.violations, ...(after.refused ? [after.refused] : [])];
}
