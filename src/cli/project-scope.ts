/**
 * A command's project, open for the length of its work: shared by the command tree and the
 * read fast path (read-fast.ts), which must behave alike.
 */
import type { Project } from "../project/reading/index.js";
import { line } from "./output.js";

export async function withProjectAt<T>(cwd: string, fn: (project: Project) => Promise<T> | T): Promise<T> {
  const { openProject } = await import("../project/reading/index.js");
  const project = await openProject(cwd);
  // With task sources, a state this command changes is told to the tracker before it exits.
  const tracked = Object.keys(project.config.sources.trackers).length > 0;
  const notify = tracked ? await import("../notify/index.js") : null;
  notify?.watchTrackerWrites(project, (text) => process.stderr.write(`ballador: ${line(text)}\n`));
  try {
    return await fn(project);
  } finally {
    try {
      await notify?.settleTrackerWrites();
    } finally {
      project.close();
    }
  }
}
