/** Whether a runner may take a run: only after a passing `runner check` that still holds (spec 0013). */
import { type Project, usableRunner } from "../../project/index.js";
import type { RunnerEntry } from "./ssh.js";

export function runnerProblem(project: Project, runner: RunnerEntry, profile?: string): string | null {
  const use = usableRunner(project.config, project.paths.stateDir, runner.name, profile);
  return use.ok ? null : use.reason;
}
