/**
 * What shell completion offers beyond the command tree: task ids, spec numbers and names,
 * profile names. Read straight from the store and the spec folder, without reconcile, because
 * it runs on every Tab press.
 */
import { listSpecs } from "../adapters/files/specs.js";
import { openProject } from "../project/index.js";

export type CompletionKind = "task" | "spec" | "profile";

export async function completionValues(cwd: string, kind: CompletionKind): Promise<string[]> {
  const project = await openProject(cwd);
  try {
    if (kind === "task")
      return project
        .store()
        .tasks({ lean: true })
        .map((t) => t.id);
    if (kind === "profile") return ["any", ...Object.keys(project.config.agents.profiles)];
    return listSpecs(project.paths.specsDir).flatMap((s) => [String(s.number), s.name]);
  } finally {
    project.close();
  }
}
