/**
 * Delivery: `merge` (locally, re-verified on the merged result, in dependency order) and `pr`
 * (push and open a pull request with the brief as its body, through gh).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { findProgram, resolveProfile } from "../adapters/agents/profiles.js";
import {
  addDetachedWorktree,
  currentBranch,
  git,
  isAncestor,
  resolveCommit,
  worktreeTopLevel,
} from "../adapters/git/index.js";
import { makeRunFolder } from "../adapters/runfolder/index.js";
import { RunSandbox } from "../adapters/sandbox/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import type { PartVerifyOverride } from "../core/part-verify.js";
import { type Progress, silentProgress } from "../core/progress.js";
import { watcherRuns } from "../notify/index.js";
import {
  branchFor,
  type Project,
  pausedAt,
  refused,
  removeMergeDir,
  requireTask,
  runVariables,
  UserError,
  worktreeRootFor,
  writeMergeMarker,
} from "../project/index.js";
import { policyForRun, reconcile } from "../run/index.js";
import { type Verdict, verificationKey, verifyClean, writeBrief } from "../verify/index.js";
import { requireVerifiedOrConsent } from "./merge-checks.js";
import { checkPartVerify } from "./merge-part-verify.js";
import { branchVerifyChanges, checkVerifyChange } from "./merge-verify-change.js";

const exec = promisify(execFile);

export interface MergeResult {
  task: string;
  commit: string;
  base: string;
  fastForward: boolean;
  verified: boolean;
  /** Why verification was not run again (an identical tree verified the same way), or null. */
  verificationReused: string | null;
  /** Merged with no verify command (the person passed --unverified). */
  unverified: boolean;
  /** Verify inputs the branch changed, merged because the person accepted them (--accept-verify-change). */
  acceptedVerifyChanges: string[];
  unblocked: string[];
  /** Whether a `launch --watch` is conducting (it starts what became ready). */
  watcher: boolean;
  /** The part's own verify command the person accepted (--accept-part-verify), or null. */
  partVerify: PartVerifyOverride | null;
}

export async function merge(
  project: Project,
  id: string,
  opts: {
    actor?: string;
    say?: (l: string) => void;
    progress?: Progress;
    acceptPartVerify?: boolean;
    unverified?: boolean;
    acceptVerifyChange?: boolean;
  } = {},
): Promise<MergeResult> {
  const say = opts.say ?? (() => {});
  const store = project.store();
  const config = project.config;
  const root = project.paths.root;
  // A merge killed earlier may have left its worktrees and a verify behind: clean those first.
  await reconcile(project, { repair: true });
  const task = requireTask(project, id);
  if (task.state !== "review")
    throw new UserError(
      `task ${id} is ${task.state}; only a task in review can be merged`,
      4,
      [],
      "wrong_state",
    );
  const paused = pausedAt(config, task);
  if (paused)
    throw new UserError(
      `task ${id} is paused after ${paused} for your check, with stages still to run: ballador approve ${id} continues its pipeline (or ballador request-changes ${id} "..." sends it back)`,
      4,
      [],
      "wrong_state",
    );
  const partVerify = checkPartVerify(project, task, opts.acceptPartVerify === true);
  const unmerged = task.needs.filter((d) => store.task(d)?.state !== "merged");
  if (unmerged.length > 0) {
    throw new UserError(
      `task ${id} needs ${unmerged.join(", ")}, not merged yet: merge ${unmerged.length === 1 ? "it" : "them"} first (dependency order)`,
    );
  }
  await requireVerifiedOrConsent(project, task, { unverified: opts.unverified === true });
  const baseRef = `refs/heads/${config.base}`;
  const baseCommit = await resolveCommit(root, baseRef);
  if (!baseCommit)
    throw new UserError(
      `base "${config.base}" is not a local branch; merge needs a branch to move (set base in .ballador/config.yaml)`,
    );
  const branch = task.branch ?? branchFor(config, id);
  const head = await resolveCommit(root, branch);
  if (!head) throw new UserError(`branch ${branch} of ${id} does not exist`);
  const verifyChanges = await branchVerifyChanges(root, config, task, baseCommit, head);
  checkVerifyChange(id, verifyChanges, opts.acceptVerifyChange === true);

  // Moving the base must not trample a person's work in the main checkout.
  const checkedOut = (await currentBranch(root)) === config.base;
  if (checkedOut) {
    // Untracked files (new parts, notes) are no obstacle to a fast-forward; changes to tracked ones are.
    const dirty = (await git(["status", "--porcelain", "--untracked-files=no"], { cwd: root })).stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3));
    if (dirty.length > 0) {
      throw new UserError(
        `${root} has ${config.base} checked out with uncommitted changes (${dirty.slice(0, 5).join(", ")}); commit or stash them first`,
      );
    }
  }

  // The merge folder is host-only (a marker, logs) with the verification's writable children;
  // the marker lets the next command clean up after a merge that was killed (reconcile).
  const mergeDir = join(project.paths.stateDir, "merges", `${id}-${Date.now()}`);
  const tree = join(mergeDir, "tree");
  makeRunFolder(mergeDir);
  writeMergeMarker(mergeDir, {
    pid: process.pid,
    task: id,
    startedAt: new Date().toISOString(),
    pgid: null,
    sockets: [],
  });
  const fastForward = config.merge_strategy === "ff" && (await isAncestor(root, baseCommit, head));
  await addDetachedWorktree(root, tree, fastForward ? head : baseCommit);
  try {
    if (!fastForward) {
      say(`merging ${branch} into ${config.base} in a temporary worktree`);
      const ident = ["-c", "user.name=Ballador", "-c", "user.email=ballador@localhost"];
      const hasIdent = (await git(["config", "user.email"], { cwd: root, allowFail: true })).code === 0;
      const r = await git(
        [
          ...(hasIdent ? [] : ident),
          "merge",
          "--no-ff",
          "-m",
          `Merge ${branch}: ${task.title}`,
          "--end-of-options",
          head,
        ],
        {
          cwd: tree,
          allowFail: true,
        },
      );
      if (r.code !== 0) {
        const files = (
          await git(["diff", "--name-only", "--diff-filter=U"], { cwd: tree, allowFail: true })
        ).stdout
          .trim()
          .split("\n")
          .filter(Boolean);
        await git(["merge", "--abort"], { cwd: tree, allowFail: true });
        throw new UserError(
          `${branch} does not merge cleanly into ${config.base}${files.length ? `: conflicts in ${files.join(", ")}` : ""}. Bring ${config.base} into it first: ballador update ${id} (its agent resolves the conflicts, and the result is verified before it is back in review).`,
        );
      }
    }
    const mergeCommit = (await git(["rev-parse", "HEAD"], { cwd: tree })).stdout.trim();
    const { verdict, reused } = await verifyHostCommit(project, task, {
      tree,
      dir: mergeDir,
      commit: mergeCommit,
      baseCommit,
      what: "merged tree",
      doing: "the merged result",
      say,
      progress: opts.progress,
      step: "merge.verify",
    });
    store.addVerification({
      taskId: id,
      runId: null,
      commit: mergeCommit,
      kind: "merge",
      command: verdict.command,
      passed: verdict.ok,
      exitCode: verdict.code,
      ms: verdict.ms,
      detail: reused ? `reused: ${reused}` : null,
      key: verdict.key,
      tail: verdict.ok ? null : verdict.tail,
      log: verdict.log,
    });
    if (!verdict.ok) {
      throw new UserError(
        `the merged result fails verification (${verdict.command} exited ${verdict.code}); ${config.base} was not moved. Log: ${verdict.log}`,
        1,
        verdict.tail.split("\n"),
      );
    }
    // Move the base only now, and only if nobody moved it meanwhile.
    if (checkedOut) {
      const top = await worktreeTopLevel(root);
      await git(["merge", "--ff-only", "--quiet", mergeCommit], { cwd: top });
    } else {
      await git(["update-ref", "-m", `ballador merge ${id}`, baseRef, mergeCommit, baseCommit], {
        cwd: root,
      });
    }
    const before = new Set(
      store
        .tasks()
        .filter((t) => t.state === "ready")
        .map((t) => t.id),
    );
    store.transition(id, "merged", {
      cause: `merged into ${config.base} at ${mergeCommit.slice(0, 10)}`,
      actor: opts.actor ?? "cli",
    });
    store.addArtifact(id, "merge", mergeCommit);
    const unblocked = store
      .tasks()
      .filter((t) => t.state === "ready" && !before.has(t.id))
      .map((t) => t.id);
    return {
      task: id,
      commit: mergeCommit,
      base: config.base,
      fastForward,
      verified: verdict.command !== null,
      verificationReused: reused,
      unverified: verdict.command === null,
      acceptedVerifyChanges: verifyChanges,
      unblocked,
      watcher: watcherRuns(project.paths.stateDir),
      partVerify,
    };
  } finally {
    await RunSandbox.stopAll();
    await removeMergeDir(root, mergeDir);
  }
}

export interface PrResult {
  task: string;
  url: string;
  branch: string;
  remote: string;
  warnings: string[];
}

export async function openPullRequest(
  project: Project,
  id: string,
  opts: { draft?: boolean; allowBaseBehind?: boolean; say?: (warning: string) => void } = {},
): Promise<PrResult> {
  const store = project.store();
  const config = project.config;
  const root = project.paths.root;
  const task = requireTask(project, id);
  if (task.state !== "review")
    throw new UserError(
      `task ${id} is ${task.state}; a pull request is opened for a task in review`,
      4,
      [],
      "wrong_state",
    );
  const gh = findProgram("gh", root);
  if (!gh)
    throw new UserError(
      "gh (GitHub CLI) is not installed; install it (https://cli.github.com) and run gh auth login",
    );
  try {
    await exec(gh, ["auth", "status"], { cwd: root, timeout: 30_000 });
  } catch {
    throw new UserError("gh is not authenticated; run: gh auth login");
  }
  if ((await git(["remote", "get-url", config.remote], { cwd: root, allowFail: true })).code !== 0) {
    throw new UserError(
      `no git remote "${config.remote}"; add one (git remote add ${config.remote} URL) or set remote in .ballador/config.yaml`,
    );
  }
  // Before anything is pushed or opened: a pull request against a remote base that lacks
  // work merged here would carry that work too.
  const { warnings, behind } = await remoteBaseWarnings(project);
  if (behind && !opts.allowBaseBehind)
    throw refused(
      "base_behind",
      `${behind}; nothing was pushed or opened. Push the base first (git push ${config.remote} ${config.base}), or open it as it is: ballador pr ${id} --allow-base-behind`,
    );
  for (const w of warnings) opts.say?.(w);
  const branch = task.branch ?? branchFor(config, id);
  const push = await git(["push", "--quiet", config.remote, `refs/heads/${branch}:refs/heads/${branch}`], {
    cwd: root,
    allowFail: true,
  });
  if (push.code !== 0)
    throw new UserError(`git push ${config.remote} ${branch} failed:\n${push.stderr.trim()}`);
  const brief = await writeBrief(project, id);
  const args = [
    "pr",
    "create",
    "--base",
    config.base,
    "--head",
    branch,
    "--title",
    task.title,
    "--body-file",
    brief.path,
    ...(opts.draft ? ["--draft"] : []),
  ];
  let stdout: string;
  try {
    ({ stdout } = await exec(gh, args, { cwd: root, timeout: 120_000 }));
  } catch (err) {
    throw new UserError(
      `gh pr create failed: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`,
    );
  }
  const url = stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^https?:\/\//.test(l))
    .pop();
  if (!url) throw new UserError(`gh pr create printed no pull request URL:\n${stdout}`);
  store.addArtifact(id, "pull-request", url);
  return { task: id, url, branch, remote: config.remote, warnings };
}

/**
 * A pull request is compared with the remote's base. When the local base has commits the
 * remote lacks (other tasks merged locally), the PR would carry them too: say so, and what to push.
 */
async function remoteBaseWarnings(project: Project): Promise<{ warnings: string[]; behind: string | null }> {
  const { base, remote } = project.config;
  const root = project.paths.root;
  const local = await resolveCommit(root, `refs/heads/${base}`);
  const ls = await git(["ls-remote", "--heads", "--end-of-options", remote, `refs/heads/${base}`], {
    cwd: root,
    allowFail: true,
  });
  const remoteSha = ls.stdout.split(/\s+/)[0] ?? "";
  if (!local) return { warnings: [], behind: null };
  if (ls.code !== 0 || !/^[0-9a-f]{40,64}$/.test(remoteSha)) {
    return {
      warnings: [
        `${remote} has no branch ${base}: the pull request has no base to compare with; push it first: git push ${remote} ${base}`,
      ],
      behind: null,
    };
  }
  if (remoteSha === local) return { warnings: [], behind: null };
  const known =
    (await git(["cat-file", "-e", `${remoteSha}^{commit}`], { cwd: root, allowFail: true })).code === 0;
  if (known && (await isAncestor(root, remoteSha, local))) {
    const n = (await git(["rev-list", "--count", `${remoteSha}..${local}`], { cwd: root })).stdout.trim();
    const behind = `${remote}/${base} is behind your ${base} by ${n} commit${n === "1" ? "" : "s"} (work merged locally): the pull request would carry them too`;
    return { warnings: [`${behind}; push the base first: git push ${remote} ${base}`], behind };
  }
  return {
    warnings: [
      `${remote}/${base} and your ${base} have diverged; the pull request is compared with ${remote}'s`,
    ],
    behind: null,
  };
}

/**
 * Verifies a commit Ballador made in a host-only worktree (a merge, an update), in the sandbox,
 * judged by the base's verify script; an identical tree verified the same way before is reused.
 */
export async function verifyHostCommit(
  project: Project,
  task: TaskRow,
  opts: {
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
  },
): Promise<{ verdict: Verdict; reused: string | null }> {
  const config = project.config;
  const root = project.paths.root;
  const store = project.store();
  // Re-verify the merged result, inside the sandbox, judged by the base's verify script. The
  // sandbox writes only the verification checkout: no ref, not even the base's, is writable.
  const profile = resolveProfile(
    config,
    task.agent && task.agent !== "any" ? task.agent : config.agents.default,
  );
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
  const verify =
    task.verify ??
    config.verify ??
    // A blob, not a commit: resolveCommit would peel it to ^{commit} and never find it.
    ((await git(["cat-file", "-e", `${opts.baseCommit}:verify.sh`], { cwd: root, allowFail: true })).code ===
    0
      ? "./verify.sh"
      : null);
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
  const earlier = key ? store.passedVerification(key) : null;
  let reused: string | null = null;
  let verdict: Verdict;
  if (earlier) {
    reused = `the ${opts.what} is identical to the one verified by ${earlier.kind} verification #${earlier.seq} of ${earlier.taskId} (${earlier.commit?.slice(0, 10) ?? "?"}, ${earlier.at}), with the same verify command, base verify files, bootstrap and copies`;
    opts.say(`verification reused: ${reused}; not run again`);
    verdict = {
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
  } else {
    const doing = `verifying ${opts.doing}${verify ? `: ${verify}` : ""}`;
    opts.say(doing);
    const step = (opts.progress ?? silentProgress)(opts.step ?? "verify", doing);
    verdict = await verifyClean({
      ...what,
      key,
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
    }).finally(() => step.end());
  }
  return { verdict, reused };
}
