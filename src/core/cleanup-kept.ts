/**
 * Why `cleanup --all` keeps the worktree of a task that is neither merged nor abandoned: said
 * out loud, with the way to remove it, so a kept failed task is no silent leftover.
 */
import type { TaskState } from "./states.js";

export function keptWhy(id: string, state: TaskState): string {
  switch (state) {
    case "failed":
    case "stopped":
    case "blocked":
      return `it is ${state}; its work stays for \`ballador retry ${id}\`${state === "failed" ? "" : ` or \`ballador resume ${id}\``} (to remove it: \`ballador abandon ${id}\`, then cleanup)`;
    case "review":
      return `it is in review; merge it (\`ballador merge ${id}\`) or abandon it, then cleanup`;
    case "running":
    case "verifying":
      return `it is ${state}`;
    default:
      return `it is ${state}; only merged or abandoned tasks are cleaned up`;
  }
}
