/**
 * Refs of a sandboxed run. No sandboxed process ever writes the repository's real refs: the
 * folder that holds the task's branch ref (refs/heads/ballador/ for ballador/<id>) is replaced,
 * inside the sandbox only, by a per-run copy (see Policy.binds). Commits on the task's branch
 * land in that copy; after every sandboxed step the host reads back the task's own ref from it
 * (a regular file holding an object id, nothing else), checks that the commit exists in the
 * repository, and moves the real branch with the old value as a guard. Any other change in the
 * copy (another task's branch, main when the prefix has no folder) is a sandbox violation: it
 * never reached the real refs, and the step that tried it is recorded and its task fails.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { commonDirOf, objectType, refFolderOf, refsUnder, updateRef } from "../adapters/git/index.js";
import {
  entryKind,
  freshFolder,
  readUntrusted,
  type TreeEntry,
  UntrustedPathError,
  walkUntrusted,
  writeUntrusted,
} from "../adapters/hostile/index.js";
import { runFolder } from "../adapters/runfolder/index.js";
import type { JjStepStart } from "./run-jj.js";

/** What the copy held when the step started: path inside the folder -> object id. */
export interface RefCopy {
  branch: string;
  folder: string;
  written: Map<string, string>;
  own: string | null;
  /** A jj run's step: where its copy of the operation heads started (see run-jj.ts). */
  jj?: JjStepStart;
}

function leafOf(branch: string): string {
  const slash = branch.lastIndexOf("/");
  return slash > 0 ? branch.slice(slash + 1) : branch;
}

/**
 * Makes the per-run copies anew (whatever the last step left there is gone) from the real refs,
 * and makes sure the real folders they are mounted over exist.
 */
export async function prepareRefCopy(repo: string, runDir: string, branch: string): Promise<RefCopy> {
  const { agent } = runFolder(runDir);
  const common = await commonDirOf(repo);
  const folder = refFolderOf(branch);
  mkdirSync(join(common, folder), { recursive: true });
  mkdirSync(join(common, "logs", folder), { recursive: true });
  freshFolder(agent.refs);
  freshFolder(agent.reflogs);
  const prefix = `${folder.split("\\").join("/")}/`;
  const written = new Map<string, string>();
  for (const [ref, id] of await refsUnder(repo, prefix)) {
    const rel = ref.slice(prefix.length);
    writeUntrusted(agent.refs, rel, `${id}\n`);
    written.set(rel, id);
  }
  return { branch, folder, written, own: written.get(leafOf(branch)) ?? null };
}

export interface RefSync {
  /** The real branch moved to the agent's commit. */
  moved: { from: string | null; to: string } | null;
  /** Attempts at refs that are not the task's own, and anything else wrong with the copy. */
  violations: string[];
  /** Why the task's own ref was not taken, when it was not. */
  refused: string | null;
}

/** Every regular file under the copy (links and odd types are reported, never followed). */
function listCopy(root: string, violations: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (entryKind(root) !== "dir") return out;
  const visit = (e: TreeEntry): void => {
    if (e.kind !== "file") {
      violations.push(`refs/heads copy: ${e.rel} is ${e.kind === "link" ? "a symbolic link" : "not a file"}`);
      return;
    }
    let text: string | null = null;
    try {
      text = readUntrusted(root, e.rel, 4096)?.toString("utf8").trim() ?? null;
    } catch (err) {
      if (!(err instanceof UntrustedPathError)) throw err;
    }
    out.set(e.rel, text ?? "");
  };
  // *.lock: git's own, from an interrupted update
  walkUntrusted(root, visit, (name) => name.endsWith(".lock"));
  return out;
}

/** After a sandboxed step: take the task's own ref from the copy, report every other change. */
export async function syncOwnRef(
  repo: string,
  runDir: string,
  copy: RefCopy,
  runId: string,
): Promise<RefSync> {
  const result: RefSync = { moved: null, violations: [], refused: null };
  const root = runFolder(runDir).agent.refs;
  const now = listCopy(root, result.violations);
  const leaf = leafOf(copy.branch);
  const under = copy.folder.slice("refs/heads".length).replace(/^\//, "");
  const label = (rel: string) => (under ? `${under}/${rel}` : rel);
  for (const rel of new Set([...copy.written.keys(), ...now.keys()])) {
    if (rel === leaf) continue;
    const was = copy.written.get(rel);
    const is = now.get(rel);
    if (was === is) continue;
    const name = label(rel);
    if (was === undefined) result.violations.push(`tried to create branch ${name}`);
    else if (is === undefined) result.violations.push(`tried to delete branch ${name}`);
    else result.violations.push(`tried to move branch ${name} to ${is.slice(0, 12)}`);
  }
  const own = now.get(leaf);
  if (own === undefined) {
    if (copy.own !== null)
      result.refused = `the task's branch ref was deleted inside the sandbox; ${copy.branch} keeps ${copy.own.slice(0, 10)}`;
    return result;
  }
  if (own === copy.own) return result;
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(own)) {
    result.refused = `the task's branch ref holds something other than a commit id; ${copy.branch} not moved`;
    return result;
  }
  if ((await objectType(repo, own)) !== "commit") {
    result.refused = `the task's branch points at ${own.slice(0, 10)}, which is not a commit in the repository; not moved`;
    return result;
  }
  const real = (await refsUnder(repo, `refs/heads/${copy.branch}`)).get(`refs/heads/${copy.branch}`) ?? null;
  if (real === own) return result; // taken in already (a reconcile after the supervisor's own sync)
  const ok = await updateRef(
    repo,
    `refs/heads/${copy.branch}`,
    own,
    copy.own,
    `ballador: commits of run ${runId}`,
  );
  if (ok) result.moved = { from: copy.own, to: own };
  else
    result.refused = `${copy.branch} was moved by someone else during the run; the agent's ${own.slice(0, 10)} was not applied`;
  return result;
}
