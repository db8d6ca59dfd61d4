/** Undoing a half-made launch: what provisioning created is removed, the task fails truthfully. */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { commitsAhead, deleteBranch, pruneWorktrees, removeWorktree } from "../../adapters/git/index.js";
import { isAlive, killGroup } from "../../adapters/process/shell.js";
import { runFolder } from "../../adapters/runfolder/index.js";
import type { RunRow } from "../../adapters/store/index.js";
import { Tmux } from "../../adapters/tmux/index.js";
import type { Project } from "../../project/index.js";
import { isJjProject } from "../vcs-names.js";
import { endRunFailingTask } from "./end-run.js";
import { removeTaskWorkspace } from "./jj-workspaces.js";

/**
 * A launch that failed after its claim (`message`: why): its launch log says so, then what it
 * made is undone and the task fails with the message's first line.
 */
export async function rollbackFailedLaunch(
  project: Project,
  run: RunRow,
  message: string,
  opts: { ownSession?: boolean } = {},
): Promise<void> {
  try {
    writeFileSync(runFolder(run.runDir).host.launchLog, `\nlaunch failed: ${message}\n`, { flag: "a" });
  } catch {
    // the run folder itself may be what failed
  }
  await rollbackProvisioning(
    project,
    project.store().run(run.id) ?? run,
    `launch: ${message.split("\n")[0]}`,
    message,
    opts,
  );
}

export async function rollbackProvisioning(
  project: Project,
  run: RunRow,
  reason: string,
  detail: string,
  opts: { ownSession?: boolean } = {},
): Promise<string[]> {
  const store = project.store();
  const done: string[] = [];
  // A bootstrap step of a dead launcher may still be running in the worktree: end it first.
  const stepFile = runFolder(run.runDir).host.stepPid;
  if (existsSync(stepFile)) {
    const pgid = Number(readFileSync(stepFile, "utf8"));
    if (Number.isInteger(pgid) && pgid > 1 && isAlive(pgid)) {
      killGroup(pgid, "SIGKILL");
      done.push(`ended the interrupted step (process group ${pgid})`);
    }
    rmSync(stepFile, { force: true });
  }
  const tmux = new Tmux({ socket: project.config.tmux_socket });
  try {
    // From inside the run's own session (it failed while provisioning itself), the session
    // closes when this process exits: killing it now would end the clean-up half-way.
    if (!opts.ownSession && (await tmux.hasSession(run.session))) {
      await tmux.killSession(run.session);
      done.push(`killed session ${run.session}`);
    }
  } catch {
    // tmux missing: there is no session to remove
  }
  const root = project.paths.root;
  if (run.createdWorktree && isJjProject(project)) {
    // The jj workspace's record is jj's (made before its folder): forgotten even without the folder.
    if (await removeTaskWorkspace(project, run.taskId, run.worktree).catch(() => false))
      done.push(`forgot jj workspace of ${run.taskId}`);
  } else if (run.createdWorktree && existsSync(run.worktree)) {
    // This launch made it: a lock in it came from its own bootstrap (sandboxed, but the
    // worktree's private git folder is writable there).
    await removeWorktree(root, run.worktree, { force: true, evenLocked: true }).catch(() => undefined);
    done.push(`removed worktree ${run.worktree}`);
  }
  await pruneWorktrees(root).catch(() => undefined);
  if (run.createdBranch) {
    // Only a branch this launch made, and only while it holds no work.
    const ahead = await commitsAhead(root, run.base, run.branch).catch(() => -1);
    if (ahead === 0) {
      await deleteBranch(root, run.branch, { force: true }).catch(() => undefined);
      done.push(`deleted branch ${run.branch}`);
    }
  }
  endRunFailingTask(
    store,
    run,
    { outcome: "launch-failed", detail },
    { cause: "launch rolled back", actor: "ballador", reason },
  );
  return done;
}
