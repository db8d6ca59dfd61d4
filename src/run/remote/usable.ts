/** Whether a runner may take runs: until `runner check` records its verdict, every runner may. */
import type { Project } from "../../project/index.js";
import type { RunnerEntry } from "./ssh.js";

export function runnerProblem(_project: Project, _runner: RunnerEntry): string | null {
  return null;
}
