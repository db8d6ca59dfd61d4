// `pr` through jj's git backend: the task's bookmark pushed to a git remote.
import { type JjOptions, jj } from "./run.js";

/**
 * `jj git push --bookmark <name> --remote <remote>` (jj runs `git push` itself; the git store's
 * hooks folder is read-only in every run's sandbox, so no hook an agent planted runs). A new
 * bookmark is pushed without `--allow-new` questions: Ballador owns `ballador/*`.
 */
export async function pushBookmark(
  root: string,
  remote: string,
  bookmark: string,
  opts: JjOptions = {},
): Promise<void> {
  await jj(root, ["bookmark", "track", `${bookmark}@${remote}`], { ...opts, allowFail: true });
  await jj(root, ["git", "push", "--remote", remote, "--bookmark", bookmark], opts);
}
