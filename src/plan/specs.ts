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
import type { Project } from "../project/index.js";
import { refused, usage } from "../project/index.js";

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
  const owners = new Map<string, string[]>();
  for (const p of parts) {
    const owner = p.spec
      ? specs.find((s) => resolve(project.paths.root, p.spec as string) === s.path)
      : specs.find((s) => resolve(project.paths.partsDir, s.name) === resolve(p.absPath, ".."));
    if (owner) {
      counts.set(owner.name, (counts.get(owner.name) ?? 0) + 1);
      owners.set(owner.name, [...(owners.get(owner.name) ?? []), p.id]);
    }
  }
  return { parts, errors, counts, owners };
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

/** The problems of one spec on its own: its sections and its status. */
export function checkSpecFile(s: SpecFile, file: string): SpecCheckProblem[] {
  const problems: SpecCheckProblem[] = [];
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
  return problems;
}

/** The dates (YYYY-MM-DD) of a spec's History entries, latest first. */
export function historyDates(text: string): string[] {
  const m = /^##\s+History\s*$([\s\S]*?)(?=^##\s|(?![\s\S]))/im.exec(text);
  const body = m?.[1] ?? "";
  return [...body.matchAll(/^\s*[-*]\s*(\d{4}-\d{2}-\d{2})/gm)]
    .map((x) => x[1] as string)
    .sort()
    .reverse();
}

export function checkSpecs(project: Project): SpecCheckProblem[] {
  const specs = listSpecs(project.paths.specsDir);
  const problems: SpecCheckProblem[] = [];
  for (const s of specs) problems.push(...checkSpecFile(s, relative(project.paths.root, s.path)));
  const { parts, errors, owners } = partsBySpec(project, specs);
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
  problems.push(...staleHistories(project, specs, owners));
  return problems;
}

/**
 * A living spec stays alive: once every part of a spec is merged, its History should have an
 * entry dated on or after the last merge (dates are days, so the same day counts).
 */
function staleHistories(
  project: Project,
  specs: SpecFile[],
  owners: Map<string, string[]>,
): SpecCheckProblem[] {
  const out: SpecCheckProblem[] = [];
  const store = project.store();
  const states = store.stateMap();
  for (const s of specs) {
    const ids = owners.get(s.name) ?? [];
    if (ids.length === 0 || !ids.every((id) => states.get(id) === "merged")) continue;
    const lastMerge = ids
      .flatMap((id) =>
        store
          .events(id)
          .filter((e) => e.to === "merged")
          .map((e) => e.at),
      )
      .sort()
      .pop();
    if (!lastMerge) continue;
    const day = lastMerge.slice(0, 10);
    const latest = historyDates(s.text)[0];
    if (!latest || latest < day) {
      out.push({
        file: relative(project.paths.root, s.path),
        problem: `all ${ids.length} part${ids.length === 1 ? " is" : "s are"} merged (last on ${day}) but History has no entry since${latest ? ` (latest: ${latest})` : ""}`,
        fix: `add "- ${day}: what was built and what changed in the design" under ## History`,
      });
    }
  }
  return out;
}
