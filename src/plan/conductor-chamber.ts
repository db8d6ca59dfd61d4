/**
 * The conductor's chamber: what an orchestrator agent may do, and nothing more. It reads specs
 * and parts, writes spec files (only under the specs folder) and part files (only under the
 * parts folder, validated on write as `queue --dry-run` validates them), and queues. There is
 * deliberately no way from here to launch, stop, merge or report: the MCP server and the
 * planner are built on this module alone, so the confinement is in the tool set.
 */
import { readFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { collectPartFiles, loadParts } from "../adapters/files/parts.js";
import { listSpecs, SPEC_FILE_PATTERN } from "../adapters/files/specs.js";
import { ConfinedPathError, confinedPath, pathKind, writeConfined } from "../adapters/hostile/index.js";
import { formatPartError, parsePart } from "../core/part.js";
import { conductorVerifyProblem } from "../core/part-verify.js";
import { EDITABLE_STATES } from "../core/states.js";
import type { Project } from "../project/index.js";
import { UserError } from "../project/index.js";
import { type QueueOptions, type QueueResult, queueParts } from "./queue.js";
import { checkSpecs, type SpecCheckProblem } from "./specs.js";

/** A part or spec file larger than this is not a part or a spec. */
export const MAX_CHAMBER_FILE = 256 * 1024;

/** `rel` inside `folder`, at most `depth` deep and through no link; a refusal is the person's error. */
export function confined(
  project: Project,
  folder: string,
  rel: string,
  depth: number,
  label: string,
): string {
  try {
    return confinedPath(project.paths.root, folder, rel, { maxDepth: depth, label });
  } catch (err) {
    if (err instanceof ConfinedPathError) throw new UserError(err.message);
    throw err;
  }
}

function readRegular(path: string, label: string): string {
  const kind = pathKind(path);
  if (kind === "missing") throw new UserError(`${label}: no such file`);
  if (kind !== "file") throw new UserError(`${label}: not a regular file (${kind}); refused`);
  return readFileSync(path, "utf8");
}

/** Finds a spec by file name (with or without .md), number, or path relative to the root. */
export function findSpec(project: Project, ref: string) {
  const specs = listSpecs(project.paths.specsDir);
  const bare = ref.replace(/\.md$/, "");
  const spec = specs.find(
    (s) =>
      s.name === bare ||
      (/^\d+$/.test(ref) && s.number === Number(ref)) ||
      relative(project.paths.root, s.path) === ref,
  );
  if (!spec) {
    throw new UserError(
      `spec: no spec "${ref}" in ${relative(project.paths.root, project.paths.specsDir) || "."} (specs: ${specs.map((s) => s.name).join(", ") || "none"})`,
    );
  }
  return spec;
}

export function readSpecText(project: Project, ref: string): { path: string; text: string } {
  const spec = findSpec(project, ref);
  // listSpecs found it by name; read it again without following a link.
  const path = confined(project, project.paths.specsDir, basename(spec.path), 1, "spec");
  return { path: relative(project.paths.root, path), text: readRegular(path, "spec") };
}

export interface SpecWriteResult {
  path: string;
  created: boolean;
  /** What `spec check` says about this file after the write (a draft may still have some). */
  problems: SpecCheckProblem[];
}

/** Writes one spec file, `NNNN-slug.md`, directly in the specs folder. */
export function writeSpecFile(project: Project, rel: string, content: string): SpecWriteResult {
  const name = rel.replace(/^\.\//, "");
  if (!SPEC_FILE_PATTERN.test(basename(name)) || name.includes("/")) {
    throw new UserError(
      `path: "${rel}" is not a spec file name; use NNNN-slug.md (e.g. 0003-data-extraction.md) directly in the specs folder`,
    );
  }
  if (Buffer.byteLength(content) > MAX_CHAMBER_FILE) {
    throw new UserError(
      `content: ${Buffer.byteLength(content)} bytes; a spec is at most ${MAX_CHAMBER_FILE}`,
    );
  }
  const path = confined(project, project.paths.specsDir, name, 1, "path");
  const kind = pathKind(path);
  if (kind !== "missing" && kind !== "file") throw new UserError(`path: ${name} is a ${kind}; refused`);
  writeConfined(project.paths.specsDir, path, content.endsWith("\n") ? content : `${content}\n`);
  const file = relative(project.paths.root, path);
  return {
    path: file,
    created: kind === "missing",
    problems: checkSpecs(project).filter((p) => p.file === file),
  };
}

/** A part as the conductor sees it: with its task's state once queued. */
export interface ChamberPart {
  id: string;
  title: string;
  path: string;
  needs: string[];
  scope: string[];
  state: string | null;
}

export function listPartFiles(
  project: Project,
  specRef?: string,
): { parts: ChamberPart[]; problems: string[] } {
  const dir = specRef
    ? join(project.paths.partsDir, findSpec(project, specRef).name)
    : project.paths.partsDir;
  const { files } = collectPartFiles([dir], project.paths.root);
  const { parts, errors } = loadParts(project.paths.root, files);
  const states = project.store().stateMap();
  return {
    parts: parts.map((p) => ({
      id: p.id,
      title: p.title,
      path: relative(project.paths.partsDir, p.absPath),
      needs: p.needs,
      scope: p.scope,
      state: states.get(p.id) ?? null,
    })),
    problems: errors.map(formatPartError),
  };
}

export function readPartText(project: Project, rel: string): { path: string; text: string } {
  const path = confined(project, project.paths.partsDir, rel, 2, "path");
  return { path: relative(project.paths.partsDir, path), text: readRegular(path, "path") };
}

export interface PartWriteResult {
  path: string;
  id: string;
  created: boolean;
  /**
   * What `queue --dry-run` says about the whole parts folder with this part in it. A part
   * may name a dependency that is written next, so these do not refuse the write.
   */
  queueProblems: string[];
}

/**
 * Writes one part file under the parts folder (`<folder>/<id>.md`). Refused, with nothing
 * written: a bad path, front matter that does not parse or validate (the queue's own schema,
 * the field named), a `verify:` (the person's to set, never the conductor's), a file name that is not the id, an unknown profile, an id another file
 * already has, and a change to the part of a task that has started.
 */
export function writePartFile(
  project: Project,
  rel: string,
  content: string,
  opts: { person?: boolean } = {},
): PartWriteResult {
  const path = confined(project, project.paths.partsDir, rel, 2, "path");
  if (!path.endsWith(".md") || basename(path).toLowerCase() === "readme.md") {
    throw new UserError(`path: "${rel}" must name a part file, <folder>/<id>.md`);
  }
  if (Buffer.byteLength(content) > MAX_CHAMBER_FILE) {
    throw new UserError(
      `content: ${Buffer.byteLength(content)} bytes; a part is at most ${MAX_CHAMBER_FILE}`,
    );
  }
  const file = relative(project.paths.root, path);
  const parsed = parsePart(content, file);
  if (!parsed.ok) {
    throw new UserError(
      `nothing was written; ${file} is not a valid part:`,
      1,
      parsed.errors.map(formatPartError),
    );
  }
  const part = parsed.part;
  // A person (the dashboard's part editor) may set a part's verify, as in a file they write.
  if (part.verify !== undefined && !opts.person) {
    throw new UserError(`nothing was written; ${file} is refused:`, 1, [conductorVerifyProblem(file)]);
  }
  if (basename(path) !== `${part.id}.md`) {
    throw new UserError(
      `path: the file of part "${part.id}" must be named ${part.id}.md, not ${basename(path)}`,
    );
  }
  const profiles = project.config.agents.profiles;
  if (part.agent && part.agent !== "any" && !profiles[part.agent]) {
    throw new UserError(
      `agent: no profile "${part.agent}"; configured profiles: ${Object.keys(profiles).join(", ")} (or "any")`,
    );
  }
  const { files } = collectPartFiles([project.paths.partsDir], project.paths.root);
  const { parts } = loadParts(
    project.paths.root,
    files.filter((f) => resolve(f) !== resolve(path)),
  );
  const other = parts.find((p) => p.id === part.id);
  if (other) throw new UserError(`id: "${part.id}" is already the id of ${other.path}; ids must be unique`);
  const kind = pathKind(path);
  if (kind !== "missing" && kind !== "file") throw new UserError(`path: ${file} is a ${kind}; refused`);
  const state = project.store().stateMap().get(part.id);
  if (state && !EDITABLE_STATES.includes(state)) {
    throw new UserError(
      `id: task "${part.id}" is ${state}; the part of a started task is not changed (the person may stop or retry it)`,
    );
  }
  writeConfined(project.paths.partsDir, path, content.endsWith("\n") ? content : `${content}\n`);
  return {
    path: relative(project.paths.partsDir, path),
    id: part.id,
    created: kind === "missing",
    queueProblems: dryRunProblems(project),
  };
}

/** The problems `queue --dry-run` reports for the whole parts folder (none: it would queue). */
export function dryRunProblems(
  project: Project,
  targets: readonly string[] = [],
  conductor: QueueOptions["conductor"] = {},
): string[] {
  try {
    queueParts(project, targets, project.paths.root, { dryRun: true, conductor });
    return [];
  } catch (err) {
    if (err instanceof UserError) return err.details.length > 0 ? err.details : [err.message];
    throw err;
  }
}

/** `ballador queue` from the chamber: paths are relative to the parts folder and stay in it. */
export function chamberQueue(
  project: Project,
  paths: readonly string[],
  opts: { dryRun: boolean; actor: string },
): QueueResult {
  const targets = paths.map((p) =>
    p === "." || p === "" ? project.paths.partsDir : confined(project, project.paths.partsDir, p, 2, "paths"),
  );
  return queueParts(project, targets, project.paths.root, { ...opts, conductor: {} });
}
