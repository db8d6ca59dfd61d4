/**
 * What `merge` and `update` share: a host-only merge folder with a detached worktree to merge in
 * (cleaned up after, or by the next command's reconcile when killed), git's identity for a merge
 * commit Ballador makes, and the verification of that commit in the sandbox, recorded.
 */
import { join } from "node:path";
import { resolveProfile } from "../adapters/agents/profiles.js";
import { addDetachedWorktree, git } from "../adapters/git/index.js";
import { makeRunFolder } from "../adapters/runfolder/index.js";
import { RunSandbox } from "../adapters/sandbox/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import { type Progress, silentProgress } from "../core/progress.js";
import {
  type Project,
  removeMergeDir,
  runVariables,
  worktreeRootFor,
  writeMergeMarker,
} from "../project/index.js";
import { policyForRun } from "../run/index.js";
import { type CleanVerifyInput, type Verdict, verificationKey, verifyClean } from "../verify/index.js";

/** Where a host merge happens: the folder (marker, logs) and the worktree inside it. */
export interface HostMergeDir {
  dir: string;
  tree: string;
}

/**
 * Runs `work` in a fresh host-only merge folder (`merges/<name>-<now>`) with a detached worktree
 * at `checkout`. The folder holds the verification's writable children; its marker lets the next
 * command clean up after a merge that was killed (reconcile). Removed after, whatever happens.
 */
export async function withHostWorktree<T>(
  project: Project,
  task: string,
  name: string,
  checkout: string,
  work: (at: HostMergeDir) => Promise<T>,
): Promise<T> {
  const root = project.paths.root;
  const dir = join(project.paths.stateDir, "merges", `${name}-${Date.now()}`);
  const tree = join(dir, "tree");
  makeRunFolder(dir);
  writeMergeMarker(dir, {
    pid: process.pid,
    task,
    startedAt: new Date().toISOString(),
    pgid: null,
    sockets: [],
  });
  await addDetachedWorktree(root, tree, checkout);
  try {
    return await work({ dir, tree });
  } finally {
    await RunSandbox.stopAll();
    await removeMergeDir(root, dir);
  }
}

/** `-c` options naming Ballador as the committer when the repository names nobody. */
export async function mergeIdentity(root: string): Promise<string[]> {
  const hasIdent = (await git(["config", "user.email"], { cwd: root, allowFail: true })).code === 0;
  return hasIdent ? [] : ["-c", "user.name=Ballador", "-c", "user.email=ballador@localhost"];
}

/** Records a host commit's verdict in the store (a failure keeps its output's end). */
export function recordHostVerification(
  project: Project,
  taskId: string,
  commit: string,
  kind: "merge" | "update",
  verdict: Verdict,
  detail: string | null,
): void {
  project.store().addVerification({
    taskId,
    runId: null,
    commit,
    kind,
    command: verdict.command,
    passed: verdict.ok,
    exitCode: verdict.code,
    ms: verdict.ms,
    detail,
    key: verdict.key,
    tail: verdict.ok ? null : verdict.tail,
    log: verdict.log,
  });
}

export interface HostCommitCheck {
  tree: string;
  dir: string;
  commit: string;
  baseCommit: string;
  /** "merged tree": what an earlier verification's tree is identical to. */
  what: string;
  /** "the merged result": what is being verified, for the progress line. */
  doing: string;
  say: (l: string) => void;
  /** The long part, the verify command, as a step named `step` (merge.verify, update.verify). */
  progress?: Progress;
  step?: string;
}

/**
 * Verifies a commit Ballador made in a host-only worktree (a merge, an update), in the sandbox,
 * judged by the base's verify script; an identical tree verified the same way before is reused.
 */
export async function verifyHostCommit(
  project: Project,
  task: TaskRow,
  opts: HostCommitCheck,
): Promise<{ verdict: Verdict; reused: string | null }> {
  const config = project.config;
  const root = project.paths.root;
  const profile = resolveProfile(
    config,
    task.agent && task.agent !== "any" ? task.agent : config.agents.default,
  );
  const verify = await hostVerifyCommand(project, task, opts.baseCommit);
  const what = {
    repoRoot: root,
    commit: opts.commit,
    projectBase: opts.baseCommit,
    verify,
    bootstrap: config.bootstrap,
    copy: config.copy,
    inputs: config.verify_inputs,
  };
  // The same bytes verified the same way before (the branch's clean verification when this
  // is a fast-forward): that verdict stands, and the merge says so.
  const key = await verificationKey(what);
  const earlier = key ? project.store().passedVerification(key) : null;
  if (earlier) {
    const reused = `the ${opts.what} is identical to the one verified by ${earlier.kind} verification #${earlier.seq} of ${earlier.taskId} (${earlier.commit?.slice(0, 10) ?? "?"}, ${earlier.at}), with the same verify command, base verify files, bootstrap and copies`;
    opts.say(`verification reused: ${reused}; not run again`);
    const verdict: Verdict = {
      ok: true,
      command: verify,
      code: 0,
      ms: 0,
      tail: "",
      commit: opts.commit,
      tampered: [],
      log: "",
      key,
    };
    return { verdict, reused };
  }
  const doing = `verifying ${opts.doing}${verify ? `: ${verify}` : ""}`;
  opts.say(doing);
  const step = (opts.progress ?? silentProgress)(opts.step ?? "verify", doing);
  const verdict = await verifyInSandbox(project, task, profile, opts, { ...what, key }).finally(() =>
    step.end(),
  );
  return { verdict, reused: null };
}

/** The task's verify command, else the project's, else the base's verify.sh when it has one. */
async function hostVerifyCommand(
  project: Project,
  task: TaskRow,
  baseCommit: string,
): Promise<string | null> {
  const { config } = project;
  if (task.verify != null) return task.verify;
  if (config.verify != null) return config.verify;
  // A blob, not a commit: resolveCommit would peel it to ^{commit} and never find it.
  const hasScript =
    (await git(["cat-file", "-e", `${baseCommit}:verify.sh`], { cwd: project.paths.root, allowFail: true }))
      .code === 0;
  return hasScript ? "./verify.sh" : null;
}

/**
 * Re-verifies the commit inside the sandbox, judged by the base's verify script. The sandbox
 * writes only the verification checkout: no ref, not even the base's, is writable.
 */
function verifyInSandbox(
  project: Project,
  task: TaskRow,
  profile: ReturnType<typeof resolveProfile>,
  opts: HostCommitCheck,
  what: Omit<CleanVerifyInput, "runDir" | "env" | "agentWritten" | "timeoutMs" | "sandboxFor">,
): Promise<Verdict> {
  const config = project.config;
  const root = project.paths.root;
  // Only the identity: verifyClean builds the judge's environment (fresh HOME and TMPDIR).
  const env = runVariables({
    taskId: task.id,
    runId: `merge-${task.id}`,
    worktree: opts.tree,
    branch: config.base,
    attempt: task.attempt,
    runDir: opts.dir,
    promptFile: "",
  });
  return verifyClean({
    ...what,
    runDir: opts.dir,
    env,
    agentWritten: [worktreeRootFor(config, root), project.paths.runsDir],
    timeoutMs: 30 * 60_000,
    sandboxFor: async (checkout, judge) => {
      const policy = await policyForRun(project, {
        worktree: opts.tree,
        runDir: opts.dir,
        branch: config.base,
        profile,
        kind: "verify",
        verifyTree: checkout,
        judge,
      });
      return policy ? RunSandbox.start(policy, { runDir: opts.dir, tmp: judge.tmp }) : null;
    },
    onSpawn: (pgid) =>
      writeMergeMarker(opts.dir, {
        pid: process.pid,
        task: task.id,
        startedAt: new Date().toISOString(),
        pgid,
        sockets: RunSandbox.socketPaths(),
      }),
    say: opts.say,
  });
}
