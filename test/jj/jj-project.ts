/**
 * A Ballador project in a jj repository (vcs: jj, bubblewrap), for the end-to-end jj tests: the
 * verification project of test/helpers/verification.ts, made a jj repository after its commits;
 * this jj first on PATH for Ballador and its agents. Colocated by default; `colocate: false` makes
 * it a repository of `jj git init` without --colocate (its git store `.jj/repo/store/git`, no
 * `.git`), and the project's `git` then reads that store.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { git } from "../helpers/cli.js";
import { JJ, JJ_BIN_DIR } from "../helpers/jj.js";
import { alive, fileContains, gate, type Step, waitFor } from "../helpers/runtime.js";
import { makeVerifyProject, type VerifyProject, writePart } from "../helpers/verification.js";

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

/**
 * A part `id` whose agent commits early work with jj and waits at a gate; its supervisor is
 * killed -9 there, and this returns once its session and its orphaned agent are gone.
 */
export async function killSupervisorAtGate(p: VerifyProject, id: string): Promise<void> {
  await writePart(p, id, {
    steps: [
      { write: { path: "early.txt", content: "early\n" } },
      // The retry runs the script again: early.txt is committed already then (jj would commit an empty change).
      {
        run: `if [ -n "$(${agentJj("diff --name-only")})" ]; then ${agentJj("commit -m 'early work'")}; fi`,
      },
      gate(p, id),
      ...jjDone(`${id}.txt`, `${id}\n`, `add ${id}`),
    ],
  });
  await p.ok(["queue"]);
  await p.ok(["launch"]);
  const run = await waitFor(
    async () => {
      const r = (await p.show(id)).runs.at(-1);
      return r && r.status === "running" && r.agentPid !== null && r.supervisorPid !== null
        ? { supervisorPid: r.supervisorPid, agentPid: r.agentPid }
        : undefined;
    },
    `the supervisor of ${id} to start its agent`,
    90_000,
  );
  // The agent is at its gate once its early commit is made (in its own chain of operations,
  // the run's heads copy: not home yet).
  const runDir = (await p.show(id)).runs.at(-1)?.runDir as string;
  await waitFor(
    async () => ((await fileContains(join(runDir, "session.log"), "3/")) ? true : undefined),
    "the agent at its gate",
    60_000,
  );
  process.kill(run.supervisorPid, "SIGKILL");
  await waitFor(async () => ((await p.sessions()).length === 0 ? true : undefined), "the session to close");
  await waitFor(async () => (alive(run.agentPid) ? undefined : true), "the orphaned agent to end", 30_000);
}

/** Every file under a folder (one level of subfolders) with its bytes. */
export function filesIn(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory())
      for (const f of readdirSync(join(dir, e.name)))
        out.set(`${e.name}/${f}`, readFileSync(join(dir, e.name, f), "hex"));
    else out.set(e.name, readFileSync(join(dir, e.name), "hex"));
  }
  return out;
}

/**
 * Parts a and b (a described once before its commit) and c stacked on both, queued and launched
 * until all three are in review: a in two jj commits, b and c in one.
 */
export async function threePartsToReview(p: VerifyProject): Promise<void> {
  await writePart(p, "a", {
    steps: [
      { write: { path: "a.txt", content: "draft\n" } },
      { run: agentJj("describe -m 'first try at a'") },
      ...jjDone("a.txt", "a\n", "add a"),
    ],
  });
  await writePart(p, "b", { steps: jjDone("b.txt", "b\n", "add b") });
  await writePart(p, "c", {
    needs: ["a", "b"],
    steps: [{ run: "test -f a.txt && test -f b.txt" }, ...jjDone("c.txt", "c\n", "add c")],
  });
  await p.ok(["queue"]);
  await p.ok(["launch"]);
  await p.reaches("a", "review");
  await p.reaches("b", "review");
  await p.ok(["launch"]);
  await p.reaches("c", "review");
}
