/**
 * The jj side of a sandboxed step (vcs: jj; docs/specs/0015-jujutsu.md). Before it, the run's
 * copy of the operation heads is made anew from the task's own chain; after it, the host reads the
 * agent's one operation back (checked: a regular file named as an operation id that jj loads),
 * records every bookmark that differs there from the step's start as a violation (never adopted:
 * the person's repository never saw it), and takes only the task's commit, through the git store's
 * branch moved with its old value as a guard and `jj git import`.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { objectType, refsUnder, updateRef } from "../adapters/git/index.js";
import {
  adoptOpStore,
  gitStoreOf,
  importGitRefs,
  readAgentOp,
  readTaskOp,
  seedOpHeads,
  seedOpStore,
  seedRunGitStore,
  seedRunObjects,
  seedSecureConfigMetadata,
} from "../adapters/jj/index.js";
import { runShell } from "../adapters/process/shell.js";
import { runFolder } from "../adapters/runfolder/index.js";
import type { JjPolicy, RunSandbox } from "../adapters/sandbox/index.js";
import { adoptKeepRefs, seedKeepRefs } from "./run-jj-keep.js";

/** Where a jj step started: the operation the copy was seeded with, and the task's commit then. */
export interface JjStepStart {
  root: string;
  workspace: string;
  bookmark: string;
  opFile: string;
  startOp: string;
  own: string | null;
  /** The per-run copies of the operation store. */
  opStoreCopy: string;
}

async function branchCommit(root: string, bookmark: string): Promise<string | null> {
  const ref = `refs/heads/${bookmark}`;
  return (await refsUnder(root, ref)).get(ref) ?? null;
}

/**
 * Seeds the copy with the task's own chain: the last operation the host checked for it (so its
 * workspace is not stale on the next step, the next attempt or the reviewer's run), or the
 * repository's heads for the task's first step.
 */
export async function beforeJjStep(runDir: string, jj: JjPolicy): Promise<JjStepStart> {
  const copy = runFolder(runDir).agent.refs;
  const last = readTaskOp(jj.opFile);
  let startOp: string;
  if (last) {
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(copy, { recursive: true });
    writeFileSync(`${copy}/${last}`, "");
    startOp = last;
  } else startOp = await seedOpHeads(jj.root, copy);
  seedOpStore(jj.root, jj.opStoreCopy);
  seedRunObjects(jj.opStoreCopy, runFolder(runDir).agent.objects);
  seedRunGitStore(gitStoreOf(jj.root), jj.opStoreCopy);
  seedSecureConfigMetadata(jj.root, runFolder(runDir).agent.home);
  await seedKeepRefs(jj.root, jj.opStoreCopy, runFolder(runDir).host.jjKeep);
  return {
    root: jj.root,
    workspace: jj.workspace,
    bookmark: jj.bookmark,
    opFile: jj.opFile,
    startOp,
    own: await branchCommit(jj.root, jj.bookmark),
    opStoreCopy: jj.opStoreCopy,
  };
}

export interface JjSync {
  moved: { from: string | null; to: string } | null;
  violations: string[];
  refused: string | null;
}

export async function afterJjStep(runDir: string, start: JjStepStart, runId: string): Promise<JjSync> {
  const out: JjSync = { moved: null, violations: [], refused: null };
  // The agent's new operations and views first: the host reads its head from the real store.
  for (const p of adoptOpStore(start.root, start.opStoreCopy).problems)
    out.violations.push(`jj operation store: ${p}`);
  // The git objects were adopted before (afterSandboxedStep): a keep ref needs its commit there.
  const keep = await adoptKeepRefs(start.root, start.opStoreCopy, runFolder(runDir).host.jjKeep);
  for (const p of keep.problems) out.violations.push(`jj keep refs: ${p}`);
  const read = await readAgentOp(start.root, runFolder(runDir).agent.refs, {
    workspace: start.workspace,
    ownBookmark: start.bookmark,
    startOp: start.startOp,
  });
  // No jj operation in the step: nothing to take (and a stacked workspace's first change is a
  // merge of its dependencies, two commits below an empty one: not a problem yet).
  const unchanged = read.op === start.startOp;
  for (const p of read.problems)
    if (!(unchanged && p.startsWith("the workspace's change")))
      out.violations.push(`jj operation heads: ${p}`);
  if (unchanged) return out;
  for (const m of read.moved) {
    if (m.expected === null) out.violations.push(`tried to create bookmark ${m.name}`);
    else if (m.found === null) out.violations.push(`tried to delete bookmark ${m.name}`);
    else out.violations.push(`tried to move bookmark ${m.name} to ${m.found.slice(0, 12)}`);
  }
  if (!read.op || !read.head) return out;
  mkdirSync(dirname(start.opFile), { recursive: true });
  writeFileSync(start.opFile, `${read.op}\n`);
  if (read.head === start.own) return out;
  if ((await objectType(start.root, read.head)) !== "commit") {
    out.refused = `the workspace's change ${read.head.slice(0, 10)} is not a commit in the repository; not taken`;
    return out;
  }
  const now = await branchCommit(start.root, start.bookmark);
  if (now === read.head) return out; // taken in already (a reconcile after the supervisor's own take)
  const ok = await updateRef(
    start.root,
    `refs/heads/${start.bookmark}`,
    read.head,
    start.own,
    `ballador: the change of run ${runId}`,
  );
  if (!ok) {
    out.refused = `${start.bookmark} was moved by someone else during the run; the agent's ${read.head.slice(0, 10)} was not taken`;
    return out;
  }
  await importGitRefs(start.root);
  out.moved = { from: start.own, to: read.head };
  return out;
}

/** What a step's snapshot runs in: the step's own sandbox and environment (the agent's). */
export interface JjSnapshotIn {
  sandbox: RunSandbox;
  env: NodeJS.ProcessEnv;
  workspace: string;
  logFile: string;
}

/**
 * The agent's edits become part of its change only when jj snapshots the workspace, which the
 * agent's own jj does (any command, and `ballador done`). A step in which it ran none would leave
 * them out; so after every step `jj util snapshot` runs in the workspace, inside the step's
 * sandbox with the step's environment. Never host-side: the tree, the workspace's `.jj` and the
 * run's HOME (jj's user config) are the agent's writing, and a config there can name programs jj
 * runs (a signing program, for one); inside the sandbox they can do nothing the agent could not.
 * Its operation lands in the run's copy of the heads, where afterJjStep reads it like any other.
 * Returns why it failed, or null (a failure is said, not fatal: the step's own operations stand).
 */
export async function snapshotJjStep(s: JjSnapshotIn): Promise<string | null> {
  const argv = ["jj", "--no-pager", "--color", "never", "util", "snapshot"];
  const wrapped = await s.sandbox.wrapArgv(argv, s.workspace);
  const r = await runShell(argv.join(" "), {
    cwd: s.workspace,
    env: s.env,
    logFile: s.logFile,
    label: "jj snapshot",
    timeoutMs: 10 * 60_000,
    wrapped,
  });
  if (r.code === 0) return null;
  const tail = r.output.trim().split("\n").slice(-3).join(" ");
  return `jj util snapshot in the workspace failed (exit ${r.code ?? r.signal})${tail ? `: ${tail}` : ""}`;
}
