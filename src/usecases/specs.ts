import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { collectPartFiles, loadParts } from "../adapters/files/parts.js";
import {
  listSpecs,
  nextSpecNumber,
  renderSpec,
  SPEC_SECTIONS,
  type SpecFile,
} from "../adapters/files/specs.js";
import { slugify } from "../core/ids.js";
import { refused, usage } from "./errors.js";
import type { Project } from "./project.js";

export function newSpec(
  project: Project,
  title: string,
  today = new Date(),
): { path: string; number: number; name: string } {
  if (title.trim().length === 0)
    throw usage("missing_title", 'a spec needs a title: ballador spec new "Data extraction"');
  const dir = project.paths.specsDir;
  mkdirSync(dir, { recursive: true });
  const number = nextSpecNumber(listSpecs(dir));
  const name = `${String(number).padStart(4, "0")}-${slugify(title)}`;
  const path = join(dir, `${name}.md`);
  if (existsSync(path)) throw refused("exists", `${relative(project.paths.root, path)} already exists`);
  const text = renderSpec({ number, title: title.trim(), date: today.toISOString().slice(0, 10) });
  writeFileSync(`${path}.tmp`, text, { flag: "wx" });
  renameSync(`${path}.tmp`, path);
  mkdirSync(join(project.paths.partsDir, name), { recursive: true });
  return { path: relative(project.paths.root, path), number, name };
}

export interface SpecSummary {
  number: number;
  name: string;
  title: string;
  status: string;
  path: string;
  parts: number;
}

/** Parts belong to a spec by their `spec:` field or, lacking one, by the folder they sit in. */
function partsBySpec(project: Project, specs: SpecFile[]) {
  const { files } = collectPartFiles([project.paths.partsDir], project.paths.root);
  const { parts, errors } = loadParts(project.paths.root, files);
  const counts = new Map<string, number>();
  for (const p of parts) {
    const owner = p.spec
      ? specs.find((s) => resolve(project.paths.root, p.spec as string) === s.path)
      : specs.find((s) => resolve(project.paths.partsDir, s.name) === resolve(p.absPath, ".."));
    if (owner) counts.set(owner.name, (counts.get(owner.name) ?? 0) + 1);
  }
  return { parts, errors, counts };
}

export function listSpecSummaries(project: Project): SpecSummary[] {
  const specs = listSpecs(project.paths.specsDir);
  const { counts } = partsBySpec(project, specs);
  return specs.map((s) => ({
    number: s.number,
    name: s.name,
    title: s.title,
    status: s.status,
    path: relative(project.paths.root, s.path),
    parts: counts.get(s.name) ?? 0,
  }));
}

export interface SpecCheckProblem {
  file: string;
  problem: string;
  fix: string;
}

export function checkSpecs(project: Project): SpecCheckProblem[] {
  const specs = listSpecs(project.paths.specsDir);
  const problems: SpecCheckProblem[] = [];
  for (const s of specs) {
    const file = relative(project.paths.root, s.path);
    for (const section of SPEC_SECTIONS) {
      if (!s.sections.some((h) => h.toLowerCase() === section.toLowerCase())) {
        problems.push({
          file,
          problem: `missing section "## ${section}"`,
          fix: `add a "## ${section}" heading`,
        });
      }
    }
    if (s.status === "unknown") {
      problems.push({
        file,
        problem: "no status in the front matter",
        fix: "add `status: draft` (or accepted, superseded)",
      });
    }
  }
  const { parts, errors } = partsBySpec(project, specs);
  for (const e of errors) {
    problems.push({
      file: e.line ? `${e.path}:${e.line}` : e.path,
      problem: e.message,
      fix: "correct the part's front matter",
    });
  }
  for (const p of parts) {
    if (p.spec && !existsSync(resolve(project.paths.root, p.spec))) {
      problems.push({
        file: p.path,
        problem: `links to spec "${p.spec}", which does not exist`,
        fix: `correct the spec: path (specs: ${specs.map((s) => relative(project.paths.root, s.path)).join(", ") || "none"})`,
      });
    }
  }
  return problems;
}
