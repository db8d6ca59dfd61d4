import { existsSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { assertNotOption, type GitError, git, gitFailure, gitStoreFor, NotAGitRepoError } from "./run.js";

/** The top of the main checkout, even when `cwd` is inside a linked worktree. */
export async function mainCheckoutRoot(cwd: string): Promise<string> {
  const found = plainCheckoutAbove(cwd);
  if (found !== null) return found;
  const args = ["rev-parse", "--path-format=absolute", "--git-common-dir"];
  const res = await git(args, { cwd, allowFail: true });
  if (res.code !== 0) throw notARepoOr(args, res, cwd);
  const commonDir = res.stdout.trim();
  // A linked worktree shares the main checkout's .git directory; its parent is that checkout.
  if (basename(commonDir) === ".git") return dirname(commonDir);
  // Separate git dir (--separate-git-dir) or bare repository: no parent to lean on.
  return worktreeTopLevel(cwd);
}

const layouts = new Map<string, Promise<{ commonDir: string; objectFormat: "sha1" | "sha256" }>>();

/**
 * The repository's own git folder and object format, asked in one git process once per
 * process and path (every sandboxed step and every adoption of objects needs them).
 */
export function repoLayout(repo: string): Promise<{ commonDir: string; objectFormat: "sha1" | "sha256" }> {
  let layout = layouts.get(repo);
  if (!layout) {
    layout = git(["rev-parse", "--path-format=absolute", "--git-common-dir", "--show-object-format"], {
      cwd: repo,
    }).then((r) => {
      const [commonDir = "", format = ""] = r.stdout.trim().split("\n");
      return { commonDir, objectFormat: format.trim() === "sha256" ? "sha256" : "sha1" };
    });
    layouts.set(repo, layout);
    layout.catch(() => layouts.delete(repo));
  }
  return layout;
}

/** The repository's own git folder (see repoLayout). */
export async function commonDirOf(repo: string): Promise<string> {
  return (await repoLayout(repo)).commonDir;
}

/** Variables that change how git finds a repository and that Ballador's git calls keep (the
 * location variables, GIT_DIR and the like, are dropped from every call: run.ts). */
const DISCOVERY_ENV = ["GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"];

/**
 * The common case without a git process (each read command would otherwise spawn two before
 * its first query): the nearest folder above `cwd` with a `.git` directory of its own (not a
 * symlink, owned by this user, with a HEAD) is the main checkout. Anything else (a linked
 * worktree's `.git` file, another owner, discovery variables) is left to git: null.
 */
function plainCheckoutAbove(cwd: string): string | null {
  if (DISCOVERY_ENV.some((v) => process.env[v] !== undefined)) return null;
  const uid = process.getuid?.();
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const dotGit = join(dir, ".git");
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(dotGit);
    } catch {
      st = undefined;
    }
    if (st !== undefined) {
      const plain =
        st.isDirectory() && (uid === undefined || st.uid === uid) && existsSync(join(dotGit, "HEAD"));
      return plain ? dir : null;
    }
    if (dirname(dir) === dir) return null;
  }
}

/** The top of the worktree that contains `cwd` (linked or main). */
export async function worktreeTopLevel(cwd: string): Promise<string> {
  const args = ["rev-parse", "--show-toplevel"];
  const res = await git(args, { cwd, allowFail: true });
  if (res.code !== 0) throw notARepoOr(args, res, cwd);
  return res.stdout.trim();
}

function notARepoOr(
  args: string[],
  res: { stdout: string; stderr: string; code: number },
  cwd: string,
): GitError {
  const stderr = res.stderr.trim();
  // "dubious ownership" also exits 128, but the fix differs (safe.directory), so keep its text.
  if (/not a git repository/i.test(stderr)) {
    return new NotAGitRepoError(
      `not a git repository: ${cwd} (run inside a git checkout, or \`git init\` first)`,
      args,
      res.code,
      stderr,
      cwd,
    );
  }
  return gitFailure(args, res, cwd);
}

/** The checked-out branch's short name, or null when HEAD is detached. */
export async function currentBranch(cwd: string): Promise<string | null> {
  // A jj repository's own git store is bare: no branch is checked out at its root (its HEAD
  // names one all the same), so the base is moved with update-ref, never by a checkout's merge.
  if (gitStoreFor(cwd) !== null) return null;
  const args = ["symbolic-ref", "--quiet", "HEAD"];
  const res = await git(args, { cwd, allowFail: true });
  // Exit 1 with --quiet means "HEAD is not a symbolic ref", i.e. detached.
  if (res.code === 1) return null;
  if (res.code !== 0) throw gitFailure(args, res, cwd);
  const ref = res.stdout.trim();
  // Not using --short: it may answer "heads/x" when a tag shares the name.
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}

/** The full sha of the commit `rev` names, or null when it names no commit. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  assertNotOption("revision", rev);
  const args = ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`];
  const res = await git(args, { cwd, allowFail: true });
  if (res.code === 0) return res.stdout.trim();
  // --verify --quiet exits 1 for "does not resolve"; anything else is a real failure.
  if (res.code === 1) return null;
  throw gitFailure(args, res, cwd);
}

/** Whether `name` is acceptable as a new branch name. */
export async function isValidBranchName(name: string): Promise<boolean> {
  // "-x" would be read as an option; "@" and "@{...}" are revision shorthands that
  // check-ref-format --branch accepts or expands but that make confusing branch names.
  if (name === "" || name.startsWith("-") || name === "@" || name.includes("@{")) return false;
  // check-ref-format needs no repository; any directory that surely exists will do.
  const res = await git(["check-ref-format", "--branch", name], {
    cwd: tmpdir(),
    allowFail: true,
  });
  return res.code === 0 && res.stdout.trim() === name;
}

/** Whether the local branch `branch` exists in `repo`. */
export async function branchExists(repo: string, branch: string): Promise<boolean> {
  const args = ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`];
  const res = await git(args, { cwd: repo, allowFail: true });
  if (res.code === 0) return true;
  if (res.code === 1) return false;
  throw gitFailure(args, res, repo);
}

/** Deletes a local branch; `force` deletes it even when unmerged. */
export async function deleteBranch(
  repo: string,
  branch: string,
  opts: { force?: boolean } = {},
): Promise<void> {
  assertNotOption("branch", branch);
  await git(["branch", opts.force ? "-D" : "-d", "--end-of-options", branch], { cwd: repo });
}

/** Whether commit `a` is an ancestor of (or equal to) commit `b`. */
export async function isAncestor(repo: string, a: string, b: string): Promise<boolean> {
  assertNotOption("revision", a);
  assertNotOption("revision", b);
  const args = ["merge-base", "--is-ancestor", "--end-of-options", a, b];
  const res = await git(args, { cwd: repo, allowFail: true });
  if (res.code === 0) return true;
  if (res.code === 1) return false;
  throw gitFailure(args, res, repo);
}

/** How many commits `branch` has that `base` does not. */
export async function commitsAhead(repo: string, base: string, branch: string): Promise<number> {
  assertNotOption("revision", base);
  assertNotOption("revision", branch);
  const res = await git(["rev-list", "--count", "--end-of-options", `${base}..${branch}`, "--"], {
    cwd: repo,
  });
  return Number.parseInt(res.stdout.trim(), 10);
}

/** Files changed on `branch` since it forked from `base` (three-dot diff). */
export async function changedFiles(repo: string, base: string, branch: string): Promise<string[]> {
  assertNotOption("revision", base);
  assertNotOption("revision", branch);
  // --no-renames lists both sides of a rename, which is what conflict prediction needs.
  const res = await git(
    ["diff", "--name-only", "-z", "--no-renames", "--end-of-options", `${base}...${branch}`, "--"],
    { cwd: repo },
  );
  return splitNul(res.stdout);
}

/**
 * What each path is at a commit, as `<mode> <object id>` (null: absent), read from the object
 * store through ls-tree: byte-for-byte identity without reading any checkout.
 */
export async function entriesAt(
  repo: string,
  commit: string,
  paths: readonly string[],
): Promise<Map<string, string | null>> {
  assertNotOption("revision", commit);
  const out = new Map<string, string | null>(paths.map((p) => [p, null]));
  // In batches: a test author may write many files, and argument lists have limits.
  for (let i = 0; i < paths.length; i += 500) {
    const batch = paths.slice(i, i + 500);
    const ls = await git(["ls-tree", "-z", "--full-tree", "--end-of-options", commit, "--", ...batch], {
      cwd: repo,
    });
    for (const entry of splitNul(ls.stdout)) {
      const tab = entry.indexOf("\t");
      const [mode, , sha] = entry.slice(0, tab).split(" ");
      const path = entry.slice(tab + 1);
      if (out.has(path)) out.set(path, `${mode} ${sha}`);
    }
  }
  return out;
}

export function splitNul(text: string): string[] {
  return text.split("\0").filter((part) => part !== "");
}

interface TreeEntry {
  mode: string;
  type: string;
  sha: string;
  /** Bytes of a blob; NaN for a tree or a submodule. */
  size: number;
}

/** The entries at `rev` of the paths that exist there, from one `git ls-tree -l`. */
async function treeEntries(
  repo: string,
  rev: string,
  paths: readonly string[],
): Promise<Map<string, TreeEntry>> {
  assertNotOption("revision", rev);
  const out = new Map<string, TreeEntry>();
  if (paths.length === 0) return out;
  const ls = await git(["ls-tree", "-l", "-z", "--end-of-options", rev, "--", ...paths], {
    cwd: repo,
    allowFail: true,
  });
  if (ls.code !== 0) return out;
  for (const e of splitNul(ls.stdout)) {
    const tab = e.indexOf("\t");
    if (tab <= 0) continue;
    const [mode = "", type = "", sha = "", size = ""] = e.slice(0, tab).split(/ +/);
    out.set(e.slice(tab + 1), { mode, type, sha, size: Number(size) });
  }
  return out;
}

/** Why `path` is not a regular committed file of at most `maxBytes` at `rev`, or null. */
function entryProblem(
  path: string,
  rev: string,
  entry: TreeEntry | undefined,
  maxBytes: number,
): string | null {
  if (!entry) return `${path} is not committed on ${rev}`;
  if (entry.type !== "blob" || (entry.mode !== "100644" && entry.mode !== "100755") || !entry.sha)
    return `${path} on ${rev} is not a regular file (${entry.mode === "120000" ? "a symbolic link" : entry.type})`;
  if (entry.size > maxBytes) return `${path} on ${rev} is larger than ${maxBytes} bytes`;
  return null;
}

/**
 * A file's text as it stands at a revision, read through git (never from a checkout, where it
 * could be a link to a file the reader must not see). Only a regular blob counts: a symlink
 * (mode 120000), a submodule or a folder is reported as such.
 */
export async function blobAt(
  repo: string,
  rev: string,
  path: string,
  maxBytes = 1024 * 1024,
): Promise<{ text: string } | { missing: string }> {
  const entry = (await treeEntries(repo, rev, [path])).get(path);
  const problem = entryProblem(path, rev, entry, maxBytes);
  if (problem !== null || !entry) return { missing: problem ?? `${path} is not committed on ${rev}` };
  return { text: (await git(["cat-file", "blob", entry.sha], { cwd: repo })).stdout };
}

/**
 * blobAt's checks without the text, for many paths (each with its own size limit) in one git
 * call: what keeps each from being a regular committed file at `rev` (null: nothing).
 */
export async function committedProblems(
  repo: string,
  rev: string,
  limits: ReadonlyMap<string, number>,
): Promise<Map<string, string | null>> {
  const entries = await treeEntries(repo, rev, [...limits.keys()]);
  return new Map([...limits].map(([path, max]) => [path, entryProblem(path, rev, entries.get(path), max)]));
}

/**
 * Refs under a prefix (e.g. refs/heads/ballador/), or under any of several, with the objects
 * they name, in one git call. `commitsOnly` leaves out refs that do not name a commit.
 */
export async function refsUnder(
  repo: string,
  prefix: string | readonly string[],
  opts: { commitsOnly?: boolean } = {},
): Promise<Map<string, string>> {
  const patterns = typeof prefix === "string" ? [prefix] : [...prefix];
  const map = new Map<string, string>();
  if (patterns.length === 0) return map; // no pattern would list every ref
  const r = await git(["for-each-ref", "--format=%(objectname) %(objecttype) %(refname)", ...patterns], {
    cwd: repo,
    allowFail: true,
  });
  for (const line of r.stdout.split("\n")) {
    // A ref name has no spaces.
    const [sha, type, ref] = line.split(" ");
    if (sha && ref && (!opts.commitsOnly || type === "commit")) map.set(ref, sha);
  }
  return map;
}

/** The type of an object ("commit", "tree", ...), or null when the repository lacks it. */
export async function objectType(repo: string, id: string): Promise<string | null> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id)) return null;
  const r = await git(["cat-file", "-t", id], { cwd: repo, allowFail: true });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Moves a ref to `to`, only if it still points at `from` (null: only if it does not exist). */
export async function updateRef(
  repo: string,
  ref: string,
  to: string,
  from: string | null,
  message: string,
): Promise<boolean> {
  const zero = "0".repeat(to.length);
  const r = await git(["update-ref", "-m", message, ref, to, from ?? zero], { cwd: repo, allowFail: true });
  return r.code === 0;
}

/**
 * The folder holding a branch's loose ref (the sandbox binds a per-run copy over it): ballador/x ->
 * refs/heads/ballador; x -> refs/heads.
 */
export function refFolderOf(branch: string): string {
  const slash = branch.lastIndexOf("/");
  return join("refs", "heads", slash > 0 ? branch.slice(0, slash) : "");
}
