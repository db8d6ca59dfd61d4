// The per-run copy of jj's operation heads: the jj counterpart of the per-run ref copy. The
// agent's jj reads and writes `op_heads/heads` through a copy mounted over the real folder, so
// its operations (a bookmark moved, the base rewritten, another workspace edited) never become
// the person's repository's state. The host reads the agent's one head back, checks it, and takes
// from it only the task's commit.
import { execFile } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { type JjOptions, jj } from "./run.js";
import { gitStoreOf } from "./version.js";
import { listBookmarks } from "./workspace.js";

const execFileAsync = promisify(execFile);

const OP_ID = /^[0-9a-f]{128}$/;

/** The real heads folder, over which the run's copy is mounted. */
export function realOpHeads(root: string): string {
  return join(root, ".jj", "repo", "op_heads", "heads");
}

/** The operation ids in a heads folder: names only, each a regular file with an operation's id. */
function headsIn(dir: string): { ids: string[]; strays: string[] } {
  const ids: string[] = [];
  const strays: string[] = [];
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    if (OP_ID.test(name) && st.isFile()) ids.push(name);
    else strays.push(name);
  }
  return { ids, strays };
}

/**
 * Makes (or refreshes) the run's copy in `copyDir` from the repository's current operation: the
 * agent starts from the person's latest. Returns the operation it starts from. Two or more heads
 * (jj processes that ran at once, seen once under load) are what jj merges on its next load: the
 * host lets jj do that (`op log` loads the repository at its heads and records the merge) and
 * seeds the one operation jj loaded. Seeding them all made the agent's jj merge them inside the
 * run, and every bookmark change of the heads but the first by name looked like the agent's.
 */
export async function seedOpHeads(root: string, copyDir: string, opts: JjOptions = {}): Promise<string> {
  const { ids } = headsIn(realOpHeads(root));
  if (ids.length === 0) throw new Error(`${realOpHeads(root)} holds no operation head`);
  let start = ids[0] as string;
  if (ids.length > 1) {
    start = (await jj(root, ["op", "log", "--no-graph", "-n", "1", "-T", "id"], opts)).stdout.trim();
    if (!OP_ID.test(start))
      throw new Error(`jj op log named no operation: ${JSON.stringify(start.slice(0, 200))}`);
  }
  rmSync(copyDir, { recursive: true, force: true });
  mkdirSync(copyDir, { recursive: true });
  writeFileSync(join(copyDir, start), "");
  return start;
}

export interface AgentOp {
  /** The agent's operation (null: none usable; `problems` says why). */
  op: string | null;
  /** The task's commit at that operation. */
  head: string | null;
  /** Bookmarks that differ at the agent's operation from where the run started (never adopted). */
  moved: { name: string; expected: string | null; found: string | null }[];
  problems: string[];
}

/**
 * Reads the run's copy after a step. Exactly one head is expected (jj leaves one after each of
 * its commands, or the start and its successor when killed mid-update); its name must be an operation id with an operation in the store (jj loads it:
 * `--at-op` fails on anything else). Anything else in the folder is a problem, recorded.
 */
export async function readAgentOp(
  root: string,
  copyDir: string,
  run: { workspace: string; ownBookmark: string; startOp: string },
  opts: JjOptions = {},
): Promise<AgentOp> {
  const found = headsIn(copyDir);
  // A jj killed -9 while it updated the heads leaves its lock file and both heads (it adds the new
  // one before it removes its parent): jj itself reads that as the new head, and so does this. The
  // copy is made anew before the next step, so a stale lock never blocks the agent's next jj.
  const strays = found.strays.filter((s) => !(s === "lock" && lstatSync(join(copyDir, s)).isFile()));
  const ids =
    found.ids.length === 2
      ? await newerOf(root, found.ids as [string, string], run.startOp, opts)
      : found.ids;
  const problems = strays.map((s) => `not an operation head: ${JSON.stringify(s)}`);
  if (ids.length !== 1) problems.push(`${found.ids.length} operation heads (one expected)`);
  const op = ids.length === 1 ? (ids[0] as string) : null;
  if (!op) return { op: null, head: null, moved: [], problems };
  const at = { ...opts };
  const atOp = (id: string) => ["--at-op", id];
  const loaded = await jj(root, [...atOp(op), "op", "log", "-n", "1", "--no-graph", "-T", "id"], {
    ...at,
    allowFail: true,
  });
  if (loaded.code !== 0 || !loaded.stdout.startsWith(op.slice(0, 12))) {
    problems.push(`operation ${op.slice(0, 12)} does not load: ${loaded.stderr.trim().split("\n")[0]}`);
    return { op: null, head: null, moved: [], problems };
  }
  let before: Map<string, string | null>;
  let after: Map<string, string | null>;
  try {
    [before, after] = await Promise.all([bookmarksAt(root, run.startOp, at), bookmarksAt(root, op, at)]);
  } catch (err) {
    // Its operation names a view (or parents) that is not there: the agent's chain is broken.
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    problems.push(`operation ${op.slice(0, 12)} does not load: ${why}`);
    return { op: null, head: null, moved: [], problems };
  }
  const moved = [];
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    if (name === run.ownBookmark) continue;
    const [e, f] = [before.get(name) ?? null, after.get(name) ?? null];
    if (e !== f) moved.push({ name, expected: e, found: f });
  }
  const revset = `coalesce(${run.workspace}@ ~ empty(), ${run.workspace}@-)`;
  const log = await jj(
    root,
    [...atOp(op), "log", "--no-graph", "-r", revset, "-T", 'commit_id ++ "\\n"'],
    at,
  );
  const heads = log.stdout.split("\n").filter(Boolean);
  if (heads.length !== 1) problems.push(`the workspace's change is ${heads.length} commits (one expected)`);
  return { op, head: heads.length === 1 ? (heads[0] as string) : null, moved, problems };
}

/**
 * Of two operation heads, the newer: the one beside the run's start, or the one whose parent is
 * the other (a jj killed between adding its new head and removing its parent's, at any of its
 * commits); both when neither (recorded as a problem).
 */
async function newerOf(
  root: string,
  pair: [string, string],
  start: string,
  opts: JjOptions,
): Promise<string[]> {
  if (pair.includes(start)) return pair.filter((id) => id !== start);
  for (const [id, other] of [pair, [pair[1], pair[0]]] as const) {
    const log = await jj(root, ["--at-op", id, "op", "log", "--no-graph", "-n", "2", "-T", 'id ++ "\\n"'], {
      ...opts,
      allowFail: true,
    });
    if (log.code === 0 && log.stdout.split("\n")[1] === other) return [id];
  }
  return pair;
}

function bookmarksAt(root: string, op: string, opts: JjOptions): Promise<Map<string, string | null>> {
  return listBookmarks(root, { ...opts, atOp: op });
}

/**
 * Brings a commit the agent made into the repository's view under a bookmark Ballador owns: the
 * commit's objects are in the shared git store, but jj knows a commit only through an operation,
 * and the agent's operations are not taken. So the host points the git store's branch of that
 * name at it (after git says it is a commit) and lets jj import it (`jj git import`), as jj
 * imports any git branch. The agent cannot write the git store's refs/heads (read-only inside).
 */
export async function adoptCommit(
  root: string,
  bookmark: string,
  commit: string,
  opts: JjOptions = {},
): Promise<void> {
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`not a commit id: ${JSON.stringify(commit)}`);
  const gitDir = gitStoreOf(root);
  const git = (args: string[]) =>
    execFileAsync("git", ["-c", "core.hooksPath=/dev/null", "--git-dir", gitDir, ...args], {
      encoding: "utf8",
    });
  const type = (await git(["cat-file", "-t", commit])).stdout.trim();
  if (type !== "commit") throw new Error(`${commit.slice(0, 12)} is a ${type}, not a commit`);
  await git(["update-ref", "-m", "ballador: adopt the task's commit", `refs/heads/${bookmark}`, commit]);
  await jj(root, ["git", "import"], opts);
}

/**
 * Lets jj take in the git store's branches now (`jj git import`), after the host moved one (a
 * task's adopted commit, a merged base): the bookmark at home moves at once, not at the person's
 * next jj command.
 */
export async function importGitRefs(root: string, opts: JjOptions = {}): Promise<void> {
  await jj(root, ["git", "import"], opts);
}

/**
 * Where the host keeps a task's last checked operation (host-only, under the state folder): a
 * run's next step, its next attempt and the reviewer's run continue that chain, and the brief
 * reads the change's evolution at it.
 */
export function taskOpFile(stateDir: string, taskId: string): string {
  return join(stateDir, "jj-ops", taskId);
}

/** The operation id in a task's op file, or null (none yet, or not an id). */
export function readTaskOp(file: string): string | null {
  try {
    const id = readFileSync(file, "utf8").trim();
    return OP_ID.test(id) ? id : null;
  } catch {
    return null;
  }
}
