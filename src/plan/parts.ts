import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { listSpecs } from "../adapters/files/specs.js";
import { taskIdProblem } from "../core/ids.js";
import { type PartFileFields, renderPartFile } from "../core/part.js";
import { scopePatternProblem } from "../core/scope.js";
import type { Project } from "../project/index.js";
import { notFound, refused, usage } from "../project/index.js";

/** A new part as `part new` is asked for it: the file's fields, its body written from them. */
export type NewPartInput = Omit<PartFileFields, "body">;

export function newPart(project: Project, input: NewPartInput): { path: string } {
  const idProblem = taskIdProblem(input.id);
  if (idProblem) throw usage("invalid_id", idProblem);
  for (const n of input.needs) {
    const p = taskIdProblem(n);
    if (p) throw usage("invalid_id", `--needs: ${p}`);
  }
  for (const glob of input.scope) {
    const problem = scopePatternProblem(glob);
    if (problem) throw usage("invalid_scope", `--scope: ${problem}`);
  }
  const specs = listSpecs(project.paths.specsDir);
  let folder = "unsorted";
  let specPath: string | undefined;
  if (input.spec) {
    const s = specs.find(
      (x) =>
        x.name === input.spec ||
        String(x.number) === input.spec?.replace(/^0+/, "") ||
        relative(project.paths.root, x.path) === input.spec,
    );
    if (!s) {
      throw notFound(
        "spec_not_found",
        `no spec "${input.spec}" in ${relative(project.paths.root, project.paths.specsDir) || "."} (specs: ${specs.map((x) => x.name).join(", ") || "none; create one with ballador spec new"})`,
      );
    }
    folder = s.name;
    specPath = relative(project.paths.root, s.path);
  }
  if (input.agent && input.agent !== "any" && !project.config.agents.profiles[input.agent]) {
    throw notFound(
      "profile_not_found",
      `--agent: no profile "${input.agent}" (configured: ${Object.keys(project.config.agents.profiles).join(", ")}, or "any")`,
    );
  }
  const dir = join(project.paths.partsDir, folder);
  const path = join(dir, `${input.id}.md`);
  if (existsSync(path))
    throw refused("exists", `${relative(project.paths.root, path)} already exists; edit it instead`);
  mkdirSync(dir, { recursive: true });
  const body = `## Goal\n${input.title}\n\n## Context\n\n## Constraints\n\n## Acceptance criteria\n- \n\n## How to verify\n${input.verify ?? project.config.verify ?? "Run the project's verify command."}\n`;
  const text = renderPartFile({ ...input, ...(specPath ? { spec: specPath } : {}), body });
  writeFileSync(`${path}.tmp`, text, { flag: "wx" });
  renameSync(`${path}.tmp`, path);
  return { path: relative(project.paths.root, path) };
}
