/**
 * The project's door for reading (docs/specs/0017-cost-startup.md): open the configuration and
 * the task store, and what reading the queue needs of the project (costs, stage labels, the
 * sandbox's warning line). `status`, `next` and the read fast path come in here instead of the
 * project's whole door, which pulls the git worktree, tmux, hostile and run-folder adapters
 * into every command that loads it.
 */
export { costByTask, costOfRuns, type TaskCost } from "../cost.js";
export { openProject, type Project, type ProjectPaths, requireTask } from "../open.js";
export { stageLabel } from "../pipeline.js";
export { sandboxWeakenedLine } from "../sandbox-warning.js";
