#!/usr/bin/env node
/**
 * A stand-in for Groundcrew's dispatch (issue 11), for the bench's `dispatch` section, since
 * Groundcrew itself needs Node 24 and packages that are not on the registry. It makes, per task,
 * the calls the issue counted in Groundcrew: four git (base resolution, branch lookup,
 * `worktree add`, one more in the new worktree) and two tmux (a session started with the agent
 * directly in it, one option set), from one Node process, the tasks at once.
 *
 *   node bench/dispatch-standin.js <repo> <worktree-root> <tmux-socket> <agent command> <id>...
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
const [repo, root, socket, agent, ...ids] = process.argv.slice(2);
const branchMade = (branch) =>
  exec("git", ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: repo }).then(
    () => true,
    () => false,
  );

await Promise.all(
  ids.map(async (id) => {
    const path = join(root, id);
    const branch = `standin/${id}`;
    const base = (await exec("git", ["rev-parse", "--verify", "main^{commit}"], { cwd: repo })).stdout.trim();
    const exists = await exec("git", ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], {
      cwd: repo,
    }).then(
      () => true,
      () => false,
    );
    // Adds at once can catch one another's admin folder half made (as Ballador's do): retried.
    for (let attempt = 0; ; attempt++) {
      const made = exists || (attempt > 0 && (await branchMade(branch)));
      try {
        await exec(
          "git",
          ["worktree", "add", "-q", ...(made ? [path, branch] : ["-b", branch, path, base])],
          {
            cwd: repo,
          },
        );
        break;
      } catch (err) {
        if (attempt >= 8 || !/commondir|gitdir|locked/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
      }
    }
    await exec("git", ["rev-parse", "--absolute-git-dir"], { cwd: path });
    await exec("tmux", ["-L", socket, "new-session", "-d", "-s", id, "-c", path, agent], { cwd: path });
    await exec("tmux", ["-L", socket, "set-option", "-t", id, "remain-on-exit", "on"], { cwd: path });
  }),
);
