/**
 * Verification Ballador trusts: on a fresh checkout of the branch's commit (nothing uncommitted,
 * a new process, inside the sandbox), judged by the verify command and script as they stand
 * on the project's base, never the branch's own copy. Changes to them are reported, not used.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import {
  addDetachedWorktree,
  blobAt,
  commonDirOf,
  git,
  pruneWorktrees,
  removeWorktree,
} from "../adapters/git/index.js";
import {
  readUntrusted,
  removeUntrusted,
  safeRelative,
  UntrustedPathError,
  writeUntrusted,
} from "../adapters/hostile/index.js";
import { runShell } from "../adapters/process/shell.js";
import { AGENT_DIRS } from "../adapters/runfolder/index.js";
import type { RunSandbox } from "../adapters/sandbox/index.js";
import { trimOutput } from "../core/check-output.js";
import { judgeEnvironment, judgeEnvironmentId } from "../core/judge-env.js";
import {
  baseVerifyInputs,
  type VerifyInputChanges,
  verifyInputChanges,
  verifyInputJudges,
} from "./verify-inputs.js";

export interface Verdict {
  ok: boolean;
  command: string | null;
  code: number | null;
  ms: number;
  /** The end of the output, trimmed to what matters. */
  tail: string;
  commit: string;
  /** Files that decide verification, changed on the branch (judged by the base's version instead). */
  tampered: string[];
  log: string;
  /** What was verified (see verificationKey); null when nothing was run. */
  key: string | null;
}

/**
 * What a clean verification's verdict depends on, from host-side facts only: the tree of the
 * commit (content-addressed by git: an equal hash is equal content), the verify command, the
 * base's version of every file that decides verification (the checkout is judged by those), the
 * bootstrap commands, the `copy` files of the main checkout, and the judge's environment (its
 * rule's identity: a verdict reached in another environment, e.g. the run's own HOME before
 * version 2 of this key, is never reused). Nothing an agent wrote is read except through git's
 * hash of it, so an equal key means the same bytes verified the same way.
 */
export async function verificationKey(input: {
  repoRoot: string;
  commit: string;
  projectBase: string;
  verify: string | null;
  bootstrap: readonly string[];
  copy: readonly string[];
  /** `verify_inputs:` (null: the defaults). */
  inputs?: readonly string[] | null;
  /** Verify inputs taken as the commit has them (see CleanVerifyInput.keep). */
  keep?: readonly string[];
}): Promise<string | null> {
  if (!input.verify) return null;
  const tree = (
    await git(["log", "-1", "--format=%T", "--end-of-options", input.commit], { cwd: input.repoRoot })
  ).stdout.trim();
  // The base's verify inputs (mode, blob id, path) and the package scripts the command reaches.
  const judges = await verifyInputJudges(
    input.repoRoot,
    input.projectBase,
    await baseVerifyInputs(input.repoRoot, input.projectBase, input.verify, input.inputs, input.bootstrap),
  );
  const copies: Array<[string, string]> = [];
  for (const { rel, data } of mainCopies(input.repoRoot, input.copy)) {
    copies.push([
      rel,
      data ? `${data.mode}:${createHash("sha256").update(data.bytes).digest("hex")}` : "absent",
    ]);
  }
  const keep = [...new Set(input.keep ?? [])].sort();
  const what = {
    v: 2,
    tree,
    verify: input.verify,
    judges,
    keep,
    bootstrap: input.bootstrap,
    copies,
    judge: judgeEnvironmentId(),
  };
  return createHash("sha256").update(JSON.stringify(what)).digest("hex");
}

export interface CleanVerifyInput {
  repoRoot: string;
  /** The commit to verify, resolved by the caller from the real branch (never from a worktree). */
  commit: string;
  runDir: string;
  projectBase: string;
  verify: string | null;
  bootstrap: readonly string[];
  copy: readonly string[];
  /**
   * The caller's run environment: only its identity variables (task, run, branch, attempt) are
   * used; the judge's environment is built from scratch (see core/judge-env.ts).
   */
  env: Record<string, string>;
  /** Folders agents write besides this run folder's (the worktree root, all runs' folders). */
  agentWritten?: readonly string[];
  timeoutMs: number;
  /**
   * The sandbox for the checkout (a verify policy that can write only that checkout and the
   * judge's fresh HOME and TMPDIR), or null.
   */
  sandboxFor: (tree: string, judge: JudgeDirs) => Promise<RunSandbox | null>;
  say?: (line: string) => void;
  /** Told each command's process group as it starts (merge records it for a crash). */
  onSpawn?: (pgid: number) => void;
  /** The verificationKey of these inputs, when the caller has computed it already (merge). */
  key?: string | null;
  /** `verify_inputs:` (null or absent: the defaults). */
  inputs?: readonly string[] | null;
  /** Verify inputs judged as the commit has them (a pipeline's test author's files, pinned by its gate). */
  keep?: readonly string[];
}

/** The judge's HOME and TMPDIR: made empty by the host for one verification, in the run folder. */
export interface JudgeDirs {
  home: string;
  tmp: string;
}

export async function verifyClean(input: CleanVerifyInput): Promise<Verdict> {
  const say = input.say ?? (() => {});
  const commit = input.commit;
  const log = join(input.runDir, "verify.log");
  const started = Date.now();
  if (!input.verify) {
    return { ok: true, command: null, code: 0, ms: 0, tail: "", commit, tampered: [], log, key: null };
  }
  const key = input.key !== undefined ? input.key : await verificationKey(input);
  const changes = await changesToJudge(input, input.verify);
  const tampered = changes.labels;
  // A unique name: git names the tree's admin folder after it, and runs verify concurrently.
  const tree = join(input.runDir, `verify-${basename(input.runDir)}`);
  await dropTree(input.repoRoot, tree);
  await addDetachedWorktree(input.repoRoot, tree, commit);
  const judge = freshJudgeDirs(input.runDir);
  try {
    await judgeByBase(input, tree, changes, say);
    for (const { rel, data } of mainCopies(input.repoRoot, input.copy)) {
      if (data) writeUntrusted(tree, rel, data.bytes, data.mode, { replaceLinks: true });
    }
    const sandbox = await input.sandboxFor(tree, judge);
    const env = { ...judgeEnv(input, judge), BALLADOR_VERIFY_TREE: tree };
    const run = async (label: string, command: string) => {
      const wrapped = sandbox ? await sandbox.wrapShell(command, tree) : undefined;
      return runShell(command, {
        cwd: tree,
        env,
        logFile: log,
        label,
        timeoutMs: input.timeoutMs,
        ...(input.onSpawn ? { onSpawn: input.onSpawn } : {}),
        ...(wrapped ? { wrapped } : {}),
      });
    };
    for (const command of input.bootstrap) {
      if (!command.trim()) continue;
      const b = await run("bootstrap", command);
      if (b.code !== 0) {
        return {
          ok: false,
          command: command,
          code: b.code,
          ms: Date.now() - started,
          tail: trimOutput(b.output),
          commit,
          tampered,
          log,
          key,
        };
      }
    }
    const r = await run("verify", input.verify);
    return {
      ok: r.code === 0 && !r.timedOut,
      command: input.verify,
      code: r.timedOut ? null : r.code,
      ms: Date.now() - started,
      tail: trimOutput(r.output),
      commit,
      tampered,
      log,
      key,
    };
  } finally {
    await dropTree(input.repoRoot, tree);
    dropJudgeDirs(judge);
  }
}

/**
 * The judge's HOME and TMPDIR for one verification: host-only (a new child of the host-only run
 * folder, never one of its agent-writable children) and made anew, so nothing an agent or an
 * earlier verification wrote is in them.
 */
function freshJudgeDirs(runDir: string): JudgeDirs {
  const dir = mkdtempSync(join(runDir, "judge-"));
  const judge = { home: join(dir, "home"), tmp: join(dir, "tmp") };
  mkdirSync(judge.home, { mode: 0o700 });
  mkdirSync(judge.tmp, { mode: 0o700 });
  return judge;
}

function dropJudgeDirs(judge: JudgeDirs): void {
  // rm never follows a link the verify command left; what it cannot remove is never used again.
  try {
    rmSync(dirname(judge.home), { recursive: true, force: true });
  } catch {
    // left behind, unread
  }
}

/** The verification's environment: from scratch (core/judge-env.ts), never the run's. */
function judgeEnv(input: CleanVerifyInput, judge: JudgeDirs): Record<string, string> {
  return judgeEnvironment({
    host: process.env,
    identity: input.env,
    ...judge,
    agentWritten: [...AGENT_DIRS.map((d) => join(input.runDir, d)), ...(input.agentWritten ?? [])],
  });
}

/**
 * The `copy` files as the main checkout has them: a regular file only, never through a link (it
 * could name ~/.ssh); a path outside the repository is skipped, a missing file has no data.
 */
function mainCopies(
  root: string,
  copy: readonly string[],
): Array<{ rel: string; data: { bytes: Buffer; mode: number } | null }> {
  const out: Array<{ rel: string; data: { bytes: Buffer; mode: number } | null }> = [];
  for (const file of copy) {
    let rel: string;
    try {
      rel = safeRelative(relative(root, resolve(root, file)));
    } catch {
      continue;
    }
    out.push({ rel, data: readUntrustedQuiet(root, rel) });
  }
  return out;
}

/** A regular file of the main checkout (no link anywhere on its path), or null. */
function readUntrustedQuiet(root: string, rel: string): { bytes: Buffer; mode: number } | null {
  try {
    const bytes = readUntrusted(root, rel, 64 * 1024 * 1024);
    if (!bytes) return null;
    return { bytes, mode: statSync(join(root, rel)).mode & 0o777 };
  } catch (err) {
    if (err instanceof UntrustedPathError) return null;
    throw err;
  }
}

/** The verify inputs the commit changed from the base (what judgeByBase puts back). */
async function changesToJudge(input: CleanVerifyInput, verify: string): Promise<VerifyInputChanges> {
  const { repoRoot, projectBase } = input;
  const inputs = await baseVerifyInputs(repoRoot, projectBase, verify, input.inputs, input.bootstrap);
  return verifyInputChanges(repoRoot, projectBase, input.commit, inputs);
}

/**
 * Puts the base's verify inputs into the checkout: each changed file as the base has it (or
 * removed when the base has none), and package.json with the base's reached scripts. The
 * checkout is the branch's, so any of its files may be a link: writes never follow one (a link
 * in the way is replaced by a real folder: this tree is ours).
 */
async function judgeByBase(
  input: CleanVerifyInput,
  tree: string,
  changes: VerifyInputChanges,
  say: (line: string) => void,
): Promise<void> {
  const keep = new Set(input.keep ?? []);
  for (const p of changes.files) {
    if (keep.has(p)) continue;
    const base = await blobAt(input.repoRoot, input.projectBase, p, 64 * 1024 * 1024);
    if ("text" in base) {
      const mode = (
        await git(["ls-tree", "--end-of-options", input.projectBase, "--", p], { cwd: input.repoRoot })
      ).stdout.startsWith("100755")
        ? 0o755
        : 0o644;
      writeUntrusted(tree, p, base.text, mode, { replaceLinks: true });
    } else {
      removeUntrusted(tree, p);
    }
    say(`${p} differs from ${input.projectBase}: verifying with the base's version`);
  }
  const manifest = changes.manifest;
  if (manifest) {
    if (manifest.text === null) removeUntrusted(tree, "package.json");
    else writeUntrusted(tree, "package.json", manifest.text, 0o644, { replaceLinks: true });
    say(
      `package.json's ${manifest.changed.join(", ")} differ from ${input.projectBase}: verifying with the base's (the branch's dependencies stay)`,
    );
  }
}

async function dropTree(repo: string, tree: string): Promise<void> {
  if (existsSync(tree)) {
    await removeWorktree(repo, tree, { force: true }).catch(() => undefined);
    rmSync(tree, { recursive: true, force: true });
  }
  // A prune only when git still holds this tree's admin folder (a crash, a removal that failed):
  // one git process fewer on each side of every verification (issue 35).
  if (await adminLeft(repo, tree)) await pruneWorktrees(repo).catch(() => undefined);
}

/** Whether the repository's worktrees/ holds a folder git would have named after `tree`. */
async function adminLeft(repo: string, tree: string): Promise<boolean> {
  const name = basename(tree);
  try {
    const admin = readdirSync(join(await commonDirOf(repo), "worktrees"));
    return admin.some((e) => e === name || (e.startsWith(name) && /^\d+$/.test(e.slice(name.length))));
  } catch (err) {
    // No worktrees/ folder: nothing registered. Anything else unreadable: prune as before.
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}
