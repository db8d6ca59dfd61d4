/**
 * What shell completion offers beyond the command tree: task ids, spec numbers and names,
 * profile names. Read straight from the store and the spec folder, without reconcile, because
 * it runs on every Tab press.
 */
import { listSpecs } from "../adapters/files/specs.js";
import type { Project } from "./open.js";

export type CompletionKind = "task" | "spec" | "profile";

/** The values of one kind in a project the face opened (and closes). */
export function completionValues(project: Project, kind: CompletionKind): string[] {
  if (kind === "task")
    return project
      .store()
      .tasks({ lean: true })
      .map((t) => t.id);
  if (kind === "profile") return ["any", ...Object.keys(project.config.agents.profiles)];
  return listSpecs(project.paths.specsDir).flatMap((s) => [String(s.number), s.name]);
}
