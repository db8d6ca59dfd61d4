/** Facts every claim of one launch needs (tmux, its sessions, commits, worktrees), looked up once. */
import { listWorktrees, refsUnder, resolveCommit } from "../adapters/git/index.js";
import { Tmux } from "../adapters/tmux/index.js";
import { ensureShimDir, type Project } from "../project/index.js";

export function tmuxFor(project: Project): Tmux {
  return new Tmux({ socket: project.config.tmux_socket });
}

/** Facts every claim of one launch needs, looked up once and shared. */
export interface LaunchFacts {
  tmux: Tmux;
  sessions: Set<string>;
  shimDir: string;
  /** The node program that runs the supervisors (runtime.node, checked, or this process's). */
  supervisorNode: string;
  commitOf(rev: string): Promise<string | null>;
  /** Whether a local branch exists: every branch listed by one for-each-ref per launch (issue 35). */
  branchExists(branch: string): Promise<boolean>;
  worktrees(): ReturnType<typeof listWorktrees>;
}

export async function launchFacts(project: Project, supervisorNode = process.execPath): Promise<LaunchFacts> {
  const tmux = tmuxFor(project);
  const commits = new Map<string, Promise<string | null>>();
  let worktrees: ReturnType<typeof listWorktrees> | null = null;
  let branches: ReturnType<typeof refsUnder> | null = null;
  const sessions = new Set(
    await tmux
      .listSessions()
      .then((l) => l.map((s) => s.name))
      .catch(() => [] as string[]),
  );
  return {
    tmux,
    sessions,
    shimDir: ensureShimDir(project.paths.stateDir),
    supervisorNode,
    commitOf(rev) {
      let c = commits.get(rev);
      if (!c) {
        c = resolveCommit(project.paths.root, rev);
        commits.set(rev, c);
      }
      return c;
    },
    async branchExists(branch) {
      branches ??= refsUnder(project.paths.root, "refs/heads/");
      return (await branches).has(`refs/heads/${branch}`);
    },
    worktrees() {
      worktrees ??= listWorktrees(project.paths.root);
      return worktrees;
    },
  };
}
