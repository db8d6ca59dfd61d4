/**
 * The pull request after `pr`, through gh: `feedback --from-pr` sends its review comments back to
 * the task's agent (the same path as `request-changes`), and `sync` follows its state (merged on
 * the forge: the task is merged and its dependents start; closed: flagged; new comments or
 * failing checks: flagged). Comments are hostile data (see src/core/pr-review.ts).
 */
import { findProgram } from "../adapters/agents/profiles.js";
import { GhError, ghApi, ghApiList, type PullRef, parsePullUrl } from "../adapters/gh/index.js";
import { currentBranch, git, isAncestor, resolveCommit, worktreeTopLevel } from "../adapters/git/index.js";
import type { TaskRow } from "../adapters/store/index.js";
import { formatPrFeedback, type PrComment, parsePrComments } from "../core/pr-review.js";
import { type Progress, silentProgress } from "../core/progress.js";
import { watcherRuns } from "../notify/index.js";
import { type Project, requireTask, UserError } from "../project/index.js";
import { RETRYABLE, type RetryResult, retry } from "../run/index.js";

/** The task's pull request: the newest one `pr` recorded. */
export function pullRequestOf(project: Project, id: string): PullRef | null {
  const urls = project
    .store()
    .artifacts(id)
    .filter((a) => a.kind === "pull-request")
    .map((a) => a.value);
  const url = urls.at(-1);
  return url ? parsePullUrl(url) : null;
}

function requireGh(project: Project): string {
  const gh = findProgram("gh", project.paths.root);
  if (!gh)
    throw new UserError(
      "gh (GitHub CLI) is not installed; install it (https://cli.github.com) and run gh auth login",
    );
  return gh;
}

function forgeError(err: unknown): never {
  if (err instanceof GhError) throw new UserError(`${err.message}\n(is gh authenticated? gh auth status)`);
  throw err;
}

/** Every review, line comment and conversation comment of the pull request. */
export async function readPrComments(
  project: Project,
  ref: PullRef,
  gh = requireGh(project),
): Promise<{ comments: PrComment[]; truncated: boolean }> {
  const base = `repos/${ref.owner}/${ref.repo}`;
  const cwd = project.paths.root;
  try {
    const [reviews, lines, conversation] = await Promise.all([
      ghApiList(gh, ref.host, `${base}/pulls/${ref.number}/reviews`, cwd),
      ghApiList(gh, ref.host, `${base}/pulls/${ref.number}/comments`, cwd),
      ghApiList(gh, ref.host, `${base}/issues/${ref.number}/comments`, cwd),
    ]);
    return {
      comments: parsePrComments({
        reviews: reviews.items,
        lineComments: lines.items,
        conversation: conversation.items,
      }),
      truncated: reviews.truncated || lines.truncated || conversation.truncated,
    };
  } catch (err) {
    forgeError(err);
  }
}

/** The comments already sent back to the agent (their keys, "line:123"). */
function sentKeys(project: Project, id: string): Set<string> {
  return new Set(
    project
      .store()
      .artifacts(id)
      .filter((a) => a.kind === "pr-comment")
      .map((a) => a.value),
  );
}

/** A comment as sent: everything but its words (those are in the stored feedback). */
export type SentComment = Omit<PrComment, "body" | "at">;

export interface FeedbackResult extends RetryResult {
  pullRequest: string;
  sent: SentComment[];
  /** New comments left out for size (the next `feedback --from-pr` sends them). */
  omitted: number;
  /** Comments sent back by an earlier `feedback --from-pr`, not sent again (see --all). */
  alreadySent: number;
}

/**
 * `feedback TASK --from-pr`: the pull request's comments not sent before (all with `all`) go
 * into the prompt of the task's next attempt, quoted, with the person's own words if given.
 */
export async function feedbackFromPr(
  project: Project,
  id: string,
  opts: { launch: boolean; message?: string | null; all?: boolean; actor?: string },
): Promise<FeedbackResult> {
  const task = requireTask(project, id);
  // Refused before anything is asked of the forge.
  if (!RETRYABLE.includes(task.state))
    throw new UserError(
      `task ${id} is ${task.state}; feedback sends back a task in review (or a failed, blocked or stopped one)`,
      4,
      [],
      "wrong_state",
    );
  const ref = pullRequestOf(project, id);
  if (!ref)
    throw new UserError(
      `task ${id} has no pull request; open one with: ballador pr ${id}`,
      3,
      [],
      "no_pull_request",
    );
  const { comments } = await readPrComments(project, ref);
  const sent = opts.all ? new Set<string>() : sentKeys(project, id);
  const fresh = comments.filter((c) => !sent.has(c.key));
  const alreadySent = comments.length - fresh.length;
  if (fresh.length === 0 && !opts.message)
    throw new UserError(
      `${ref.url} has no ${alreadySent > 0 ? `new review comments (${alreadySent} already sent back; --all sends them again)` : "review comments"}; nothing was sent back`,
      4,
      [],
      "no_new_comments",
    );
  const feedback = fresh.length > 0 ? formatPrFeedback(ref.url, fresh) : null;
  const store = project.store();
  const r = await retry(project, id, {
    launch: opts.launch,
    message: opts.message ?? null,
    prReview: feedback?.text ?? null,
    verb: "feedback",
    ...(opts.actor ? { actor: opts.actor } : {}),
    onRecord: () => {
      for (const c of feedback?.included ?? []) store.addArtifact(id, "pr-comment", c.key);
    },
  });
  return {
    ...r,
    pullRequest: ref.url,
    sent: (feedback?.included ?? []).map(({ body: _body, at: _at, ...c }) => c),
    omitted: feedback?.omitted.length ?? 0,
    alreadySent,
  };
}

// ---- sync ---------------------------------------------------------------------------------

export interface SyncEntry {
  task: string;
  url: string;
  /** On the forge. */
  state: "open" | "closed" | "merged" | "unknown";
  /** The task's state here, after sync. */
  taskState: TaskRow["state"];
  /** Review comments not yet sent back with feedback --from-pr. */
  newComments: number;
  /** Names of checks that failed on the pull request's head. */
  failingChecks: string[];
  /** What needs the person, in words (may be empty). */
  flags: string[];
}

export interface SyncResult {
  pulls: SyncEntry[];
  /** Tasks marked merged because their pull request merged on the forge. */
  merged: string[];
  /** Tasks that became ready because of those merges. */
  unblocked: string[];
  /** Whether a `launch --watch` is conducting (it starts what became ready). */
  watcher: boolean;
  /** The local base, fast-forwarded to the remote's after a merge on the forge. */
  baseMoved: { from: string; to: string } | null;
  warnings: string[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const sha = (v: unknown): string | null =>
  typeof v === "string" && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(v) ? v : null;

const FAILED = new Set(["failure", "timed_out", "cancelled", "action_required", "startup_failure"]);

async function failingChecks(gh: string, ref: PullRef, head: string | null, cwd: string): Promise<string[]> {
  if (!head) return [];
  try {
    const r = await ghApi(
      gh,
      ref.host,
      `repos/${ref.owner}/${ref.repo}/commits/${head}/check-runs?per_page=100`,
      cwd,
    );
    const runs = isObj(r) && Array.isArray(r.check_runs) ? r.check_runs : [];
    return runs
      .filter((c): c is Json => isObj(c) && typeof c.conclusion === "string" && FAILED.has(c.conclusion))
      .map((c) => (typeof c.name === "string" ? c.name.slice(0, 200) : "(unnamed check)"));
  } catch {
    return []; // checks are a hint; a forge without the checks API is no reason to stop
  }
}

/**
 * `sync`: the state of every open task's pull request. A merge on the forge marks the task merged
 * (dependents become ready, as after `merge`), after bringing the remote's base into the local
 * base when that is a fast-forward (dependents start from the local base).
 */
export async function sync(
  project: Project,
  opts: { actor?: string; progress?: Progress } = {},
): Promise<SyncResult> {
  const store = project.store();
  const actor = opts.actor ?? "sync";
  const withPr = store
    .tasks()
    .filter((t) => t.state !== "merged" && t.state !== "abandoned")
    .map((t) => ({ task: t, ref: pullRequestOf(project, t.id) }))
    .filter((x): x is { task: TaskRow; ref: PullRef } => x.ref !== null);
  const result: SyncResult = {
    pulls: [],
    merged: [],
    unblocked: [],
    watcher: false,
    baseMoved: null,
    warnings: [],
  };
  if (withPr.length === 0) return result;
  const gh = requireGh(project);
  const mergedOnForge: MergedOnForge = [];
  const reading = (n: number) => `reading pull requests on the forge: ${n} of ${withPr.length}`;
  const step = (opts.progress ?? silentProgress)("sync", reading(0));
  try {
    await readPulls(project, gh, withPr, result, mergedOnForge, (n) => step.update(reading(n)));
    if (mergedOnForge.length > 0) {
      step.update("bringing the remote's base into the local base");
      await bringInRemoteBase(
        project,
        mergedOnForge.map((m) => m.commit),
        result,
      );
    }
  } finally {
    step.end();
  }
  const before = new Set(
    store
      .tasks()
      .filter((t) => t.state === "ready")
      .map((t) => t.id),
  );
  for (const m of mergedOnForge) {
    const now = store.task(m.task.id);
    if (now?.state !== "review") {
      m.entry.flags.push(
        `merged on the forge, but the task is ${now?.state ?? "gone"} here: nothing changed (stop or abandon it)`,
      );
      continue;
    }
    store.transition(m.task.id, "merged", {
      cause: `pull request merged on the forge${m.commit ? ` at ${m.commit.slice(0, 10)}` : ""}: ${m.ref.url}`,
      actor,
    });
    if (m.commit) store.addArtifact(m.task.id, "merge", m.commit);
    m.entry.taskState = "merged";
    result.merged.push(m.task.id);
  }
  result.unblocked = store
    .tasks()
    .filter((t) => t.state === "ready" && !before.has(t.id))
    .map((t) => t.id);
  result.watcher = watcherRuns(project.paths.stateDir);
  return result;
}

type MergedOnForge = Array<{ task: TaskRow; ref: PullRef; commit: string | null; entry: SyncEntry }>;

/** Reads each pull request's state, comments and checks into `result`; `read(n)` after each. */
async function readPulls(
  project: Project,
  gh: string,
  withPr: Array<{ task: TaskRow; ref: PullRef }>,
  result: SyncResult,
  mergedOnForge: MergedOnForge,
  read: (n: number) => void,
): Promise<void> {
  const store = project.store();
  const root = project.paths.root;
  for (const { task, ref } of withPr) {
    read(result.pulls.length);
    const entry: SyncEntry = {
      task: task.id,
      url: ref.url,
      state: "unknown",
      taskState: task.state,
      newComments: 0,
      failingChecks: [],
      flags: [],
    };
    result.pulls.push(entry);
    let pull: unknown;
    try {
      pull = await ghApi(gh, ref.host, `repos/${ref.owner}/${ref.repo}/pulls/${ref.number}`, root);
    } catch (err) {
      entry.flags.push(`could not read the pull request: ${(err as Error).message.split("\n")[0]}`);
      continue;
    }
    if (!isObj(pull)) {
      entry.flags.push("gh answered something that is not a pull request");
      continue;
    }
    if (pull.merged === true) {
      entry.state = "merged";
      mergedOnForge.push({ task, ref, commit: sha(pull.merge_commit_sha), entry });
      continue;
    }
    if (pull.state === "closed") {
      entry.state = "closed";
      entry.flags.push(
        `closed on the forge without merging: reopen it, or retry/abandon the task (ballador abandon ${task.id})`,
      );
      const note = `pull request closed without merging: ${ref.url}`;
      if (!store.notes(task.id).some((n) => n.kind === "system" && n.text === note))
        store.addNote(task.id, null, "system", note);
      continue;
    }
    entry.state = "open";
    const { comments } = await readPrComments(project, ref, gh).catch(() => ({ comments: [] }));
    const sent = sentKeys(project, task.id);
    entry.newComments = comments.filter((c) => !sent.has(c.key)).length;
    if (entry.newComments > 0)
      entry.flags.push(
        `${entry.newComments} new review comment${entry.newComments === 1 ? "" : "s"}: ballador feedback ${task.id} --from-pr`,
      );
    const head = isObj(pull.head) ? sha(pull.head.sha) : null;
    entry.failingChecks = await failingChecks(gh, ref, head, root);
    if (entry.failingChecks.length > 0)
      entry.flags.push(
        `failing checks (${entry.failingChecks.join(", ")}): ballador feedback ${task.id} --from-pr, or retry --message`,
      );
  }
}

/**
 * After a merge on the forge, the local base lacks it, and dependents start from the local base:
 * fetch the remote's base and fast-forward the local one to it (never anything but a
 * fast-forward, never over uncommitted changes); otherwise say what to do.
 */
async function bringInRemoteBase(
  project: Project,
  commits: Array<string | null>,
  result: SyncResult,
): Promise<void> {
  const { base, remote } = project.config;
  const root = project.paths.root;
  const tracking = `refs/remotes/${remote}/${base}`;
  const fetched = await git(
    ["fetch", "--quiet", "--no-tags", "--end-of-options", remote, `+refs/heads/${base}:${tracking}`],
    { cwd: root, allowFail: true },
  );
  if (fetched.code !== 0) {
    result.warnings.push(
      `git fetch ${remote} ${base} failed (${fetched.stderr.trim().split("\n")[0] ?? ""}): your ${base} may lack the merged work; dependents start from it`,
    );
    return;
  }
  const local = await resolveCommit(root, `refs/heads/${base}`);
  const theirs = await resolveCommit(root, tracking);
  if (!local || !theirs) return;
  const missing: string[] = [];
  for (const c of commits) {
    if (c && (await resolveCommit(root, c)) && !(await isAncestor(root, c, local))) missing.push(c);
  }
  if (local === theirs || (missing.length === 0 && commits.every((c) => c !== null))) return;
  if (!(await isAncestor(root, local, theirs))) {
    result.warnings.push(
      `your ${base} and ${remote}/${base} have diverged: dependents start from your ${base}, which lacks the work merged on the forge; bring it in (git pull ${remote} ${base}) before launching them`,
    );
    return;
  }
  if ((await currentBranch(root)) === base) {
    const top = await worktreeTopLevel(root);
    const ff = await git(["merge", "--ff-only", "--quiet", theirs], { cwd: top, allowFail: true });
    if (ff.code !== 0) {
      result.warnings.push(
        `could not fast-forward your checked-out ${base} to ${remote}/${base} (${ff.stderr.trim().split("\n")[0] ?? ""}): run git pull ${remote} ${base} before launching dependents`,
      );
      return;
    }
  } else {
    await git(["update-ref", "-m", `ballador sync: ${remote}/${base}`, `refs/heads/${base}`, theirs, local], {
      cwd: root,
    });
  }
  result.baseMoved = { from: local, to: theirs };
}
