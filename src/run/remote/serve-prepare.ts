/**
 * The runner's side, before its run starts (spec 0013): a throwaway repository and store per
 * run under the runner's root, the base fetched from the shared remote, the plan written as
 * its config, the one task queued and launched with the runner's own supervisor. Nothing here
 * reaches home: the order is all the runner knows.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { git } from "../../adapters/git/index.js";
import { gitSshEnv, shareDir } from "../../adapters/ssh/index.js";
import { openProject, type Project } from "../../project/index.js";
import { launch } from "../launch.js";
import type { RunOrder } from "./protocol.js";
import { forgetRemoteMasked, writeRemoteMasked } from "./runner-masked.js";
import { forgetRunnerSecrets, keepSecrets } from "./runner-secrets.js";
import { continuation, readyAgain, repoOf, type Since, sinceNow, useRepo } from "./serve-continue.js";

/** The branch the runner's throwaway repository starts its task from. */
export const RUNNER_BASE = "ballador-base";
/** The runner's tmux socket: every run of this runner user lives there (attach goes there). */
export const RUNNER_SOCKET = "ballador-runner";

const IDENTITY = ["-c", "user.name=Ballador", "-c", "user.email=ballador@localhost"];

/** The runner's root as a path: "~/..." is the runner user's home (it arrives quoted, never expanded by a shell). */
function rootPath(root: string): string {
  return root === "~" ? homedir() : root.startsWith("~/") ? join(homedir(), root.slice(2)) : resolve(root);
}

/** Where a run lives on the runner: its own folder under the root. */
export function runnerRunDir(root: string, runId: string): string {
  return join(rootPath(root), "runs", runId);
}

/**
 * git's ssh to the shared remote from this runner: one connection shared by the runs here
 * (its socket under the root), unless the runner user set git's ssh themselves.
 */
export async function runnerGitEnv(
  order: Pick<RunOrder, "root" | "remote">,
): Promise<Record<string, string>> {
  if (process.env.GIT_SSH || process.env.GIT_SSH_COMMAND) return {};
  const own = await git(["config", "--get", "core.sshCommand"], {
    cwd: rootPath(order.root),
    allowFail: true,
  });
  if (own.stdout.trim()) return {};
  return gitSshEnv(process.env, { dir: shareDir(join(rootPath(order.root), "ssh")), remote: order.remote });
}

/** The plan as the runner's config: home's words, minus what stays home, pointed at the runner's base. */
export function runnerConfig(configText: string): string {
  const doc = (parse(configText) as Record<string, unknown> | null) ?? {};
  for (const key of ["notify", "runners", "runners_remote"]) delete doc[key];
  // Secrets are never had here: their sources are home's, masked ones come as stand-ins.
  const profiles = (doc.agents as { profiles?: Record<string, Record<string, unknown> | null> } | undefined)
    ?.profiles;
  for (const p of Object.values(profiles ?? {})) if (p && typeof p === "object") delete p.secrets;
  doc.base = RUNNER_BASE;
  doc.tmux_socket = RUNNER_SOCKET;
  // The runner's store holds only this task: nothing to stack on.
  doc.stack = false;
  return stringify(doc);
}

/** Fetches the base (and stacked branches) and merges the stacked ones, with no hook and no agent. */
async function prepareRepo(order: RunOrder, repo: string): Promise<void> {
  mkdirSync(repo, { recursive: true });
  const gitEnv = runnerGitEnv(order);
  await git(["init", "-q", repo], { cwd: repo });
  const specs = [`+${order.baseRef}:refs/heads/${RUNNER_BASE}`];
  for (const [i, ref] of order.mergeRefs.entries()) specs.push(`+${ref}:refs/heads/ballador-stack-${i + 1}`);
  await git(["fetch", "-q", "--no-tags", "--", order.remote, ...specs], { cwd: repo, env: await gitEnv });
  await git(["checkout", "-q", RUNNER_BASE], { cwd: repo });
  for (let i = 1; i <= order.mergeRefs.length; i++) {
    const r = await git([...IDENTITY, "merge", "-q", "--no-edit", `ballador-stack-${i}`], {
      cwd: repo,
      allowFail: true,
    });
    if (r.code !== 0) {
      await git(["merge", "--abort"], { cwd: repo, allowFail: true });
      throw new Error(`the stacked branches do not merge on the runner: ${r.stderr.trim().slice(0, 500)}`);
    }
  }
  mkdirSync(join(repo, ".ballador"), { recursive: true });
  writeFileSync(join(repo, ".ballador", "config.yaml"), runnerConfig(order.config));
  // The runner's state and its config edit are its own: never part of what it pushes.
  writeFileSync(join(repo, ".git", "info", "exclude"), ".ballador/\n", { flag: "a" });
}

/** Queues the one task in the throwaway store, as the order names it. */
function queueTask(project: Project, order: RunOrder): void {
  project.store().queueParts(
    [
      {
        id: order.taskId,
        title: order.title,
        spec: null,
        agent: order.profile,
        role: null,
        scope: [],
        needs: [],
        verify: order.verify,
        priority: 0,
        body: order.body,
        partPath: null,
        partHash: `runner:${order.runId}`,
      },
    ],
    "runner",
  );
  // The person's steering is in home's store: the prompt here reads it from this one.
  const store = project.store();
  for (const text of order.requests) store.addNote(order.taskId, null, "request", text);
  for (const text of order.prReview) store.addNote(order.taskId, null, "pr-review", text);
  if (order.update) store.addNote(order.taskId, null, "update", order.update);
}

export interface RunnerRun {
  dir: string;
  repo: string;
  project: Project;
  reattached: boolean;
  /** What the runner's store held for the task before this run: its events start after. */
  since: Since;
  /** Why an earlier conversation was not continued, when it was asked for. */
  note: string | null;
}

/**
 * Starts the order's run on this runner, or finds it when it was started before (a reattach:
 * the order file is written first, so a second order never starts a second run).
 */
export async function startOrFind(order: RunOrder): Promise<RunnerRun> {
  const dir = runnerRunDir(order.root, order.runId);
  const orderFile = join(dir, "order.json");
  const sinceFile = join(dir, "since.json");
  if (existsSync(orderFile)) {
    const earlier = JSON.parse(readFileSync(orderFile, "utf8")) as { taskId?: string };
    if (earlier.taskId !== order.taskId)
      throw new Error(`run ${order.runId} on this runner is another task's`);
    const repo = repoOf(dir);
    const project = await openProject(repo);
    // A supervisor that has not asked yet asks this runner-serve (one that has keeps its own).
    if (order.secrets) await keepSecrets(project.paths.stateDir, order.profile, order.secrets);
    const since = existsSync(sinceFile)
      ? (JSON.parse(readFileSync(sinceFile, "utf8")) as Since)
      : { event: 0, verification: 0, note: 0 };
    return { dir, repo, project, reattached: true, since, note: null };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Never a secret's value on the runner's disk: the order is kept without it.
  writeFileSync(orderFile, JSON.stringify({ ...order, config: undefined, secrets: undefined }), {
    flag: "wx",
  });
  const cont = order.continueRun
    ? await continuation(order, (id) => runnerRunDir(order.root, id), runnerConfig(order.config))
    : null;
  const start = typeof cont === "object" && cont !== null ? cont : await freshStart(order, dir);
  const { project, repo } = start;
  if (start === cont) {
    useRepo(dir, repo);
    readyAgain(project, order);
    forgetRemoteMasked(project.paths.stateDir);
    forgetRunnerSecrets(project.paths.stateDir);
  }
  if (order.masked) writeRemoteMasked(project.paths.stateDir, order.masked);
  if (order.secrets) await keepSecrets(project.paths.stateDir, order.profile, order.secrets);
  const since = sinceNow(project, order.taskId);
  writeFileSync(sinceFile, JSON.stringify(since));
  const result = await launch(project, {
    tasks: [order.taskId],
    actor: "runner",
    // The store was made just now: it holds no run to reconcile.
    reconciled: true,
    previousFailure: order.previousFailure,
    attempt: order.attempt,
    continueConversation: start === cont,
  });
  // A failed start is in the store (the task failed, with the reason) and streams back as its end.
  const deferred = result.deferred[0];
  if (result.started.length === 0 && result.failed.length === 0)
    throw new Error(`the runner could not launch: ${deferred?.why ?? "nothing started"}`);
  const note = typeof cont === "string" ? `a new conversation on the runner: ${cont}` : null;
  return { dir, repo, project, reattached: false, since, note };
}

/** A run of its own: a throwaway repository from the order's refs, the one task queued. */
async function freshStart(order: RunOrder, dir: string): Promise<{ repo: string; project: Project }> {
  const repo = join(dir, "repo");
  await prepareRepo(order, repo);
  const project = await openProject(repo);
  queueTask(project, order);
  return { repo, project };
}
