/**
 * observe/'s door for the two reads the fast path answers (`status --json`, `next --json`,
 * src/cli/read-fast.ts): the status report and the conductor's page of next tasks, without the
 * dashboard's sessions the whole door carries. The status report (with the run folders'
 * denials reader) loads only when asked for, so `next` does not load it.
 */
import type { Project } from "../../project/reading/index.js";
import type { StatusReport } from "../status.js";

export { nextWithConflicts } from "../read.js";

export async function statusReport(project: Project): Promise<StatusReport> {
  return (await import("../status.js")).statusReport(project);
}
