/**
 * A Ballador project in a jj repository (vcs: jj, bubblewrap), for the end-to-end jj tests: the
 * verification project of test/helpers/verification.ts, made a jj repository after its commits;
 * this jj first on PATH for Ballador and its agents. Colocated by default; `colocate: false` makes
 * it a repository of `jj git init` without --colocate (its git store `.jj/repo/store/git`, no
 * `.git`), and the project's `git` then reads that store.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { git } from "../helpers/cli.js";
import { JJ, JJ_BIN_DIR } from "../helpers/jj.js";
import type { Step } from "../helpers/runtime.js";
import { makeVerifyProject, type VerifyProject } from "../helpers/verification.js";

export async function makeJjProject(
  config: Record<string, unknown> = {},
  opts: { cloned?: boolean; colocate?: boolean } = {},
): Promise<VerifyProject> {
  const p = await makeVerifyProject({ sandbox: "bwrap", config: { vcs: "jj", ...config } });
  p.env.PATH = `${JJ_BIN_DIR}:${p.env.PATH ?? "/usr/bin:/bin"}`;
  if (opts.cloned) cloneInPlace(p.dir);
  if (opts.colocate === false) await ownStore(p);
  else execFileSync(JJ, ["git", "init", "--colocate"], { cwd: p.dir, env: jjEnv(p), stdio: "ignore" });
  const waitState = p.waitState;
  p.waitState = (id, states, ms = 90_000) => waitState(id, states, ms);
  return p;
}

/**
 * The checkout's git folder replaced by a `git clone` of it, as a person who cloned has: its
 * `.git/packed-refs` holds the remote's refs (every clone and every `git gc` make one).
 */
function cloneInPlace(dir: string): void {
  const tmp = mkdtempSync(`${dir}-clone-`);
  execFileSync("git", ["clone", "-q", dir, join(tmp, "c")], { stdio: "ignore" });
  rmSync(join(dir, ".git"), { recursive: true, force: true });
  renameSync(join(tmp, "c", ".git"), join(dir, ".git"));
  rmSync(tmp, { recursive: true, force: true });
}

/**
 * The project's history moved into a repository of `jj git init` (not colocated): `.git` set
 * aside, its main fetched into jj's own store by git (jj's fetch needs git 2.42), imported, and
 * the person's working copy a new change on main (the snapshot of the files jj's init made is
 * abandoned: the same files as main's).
 */
async function ownStore(p: VerifyProject): Promise<void> {
  const src = join(p.parent, "source.git");
  await rename(join(p.dir, ".git"), src);
  const jjIn = (args: string[]) => execFileSync(JJ, args, { cwd: p.dir, env: jjEnv(p), stdio: "ignore" });
  jjIn(["git", "init", "--no-colocate"]);
  const store = join(p.dir, ".jj", "repo", "store", "git");
  execFileSync("git", ["--git-dir", store, "fetch", "-q", src, "main:refs/heads/main"], { env: p.env });
  rmSync(join(store, "FETCH_HEAD"), { force: true });
  const first = execFileSync(JJ, ["log", "--no-graph", "-r", "@", "-T", "commit_id"], {
    cwd: p.dir,
    env: jjEnv(p),
    encoding: "utf8",
  }).trim();
  jjIn(["git", "import"]);
  jjIn(["new", "main"]);
  jjIn(["abandon", first]);
  p.git = (args) => git(["--git-dir", store, ...args], p.dir, p.env);
}

function jjEnv(p: VerifyProject): NodeJS.ProcessEnv {
  return { ...p.env, JJ_CONFIG: "/dev/null", JJ_USER: "Person", JJ_EMAIL: "person@example.invalid" };
}

/** jj at the person's checkout (the default workspace); its output. */
export async function jjOut(p: VerifyProject, args: string[]): Promise<string> {
  return execFileSync(JJ, ["--no-pager", "--color", "never", ...args], {
    cwd: p.dir,
    env: jjEnv(p),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    // A repository an attack broke can make jj loop (an operation its own parent): fail, not hang.
    timeout: 60_000,
  });
}

/** An agent's jj inside its sandbox: an identity given per command (the run's env has none). */
export function agentJj(args: string): string {
  return `JJ_USER=Agent JJ_EMAIL=agent@example.invalid jj --no-pager ${args}`;
}

/** Writes a file, commits it with jj, reports done: a scripted agent's jj run. */
export function jjDone(path: string, content: string, message: string): Step[] {
  return [
    { write: { path, content } },
    { run: agentJj(`commit -m '${message}'`) },
    { done: { summary: `wrote ${path}` } },
  ];
}
