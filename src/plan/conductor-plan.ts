/**
 * `ballador plan`: the conductor writes the parts of one spec in the spec's parts folder (its
 * one writable place). They are validated as the person's own would be (`queue --dry-run`,
 * plus scope overlaps between parts that may run at once); started tasks' parts are put back
 * as they were after each attempt. A valid plan may be queued at once (`--queue`).
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { collectPartFiles, loadParts } from "../adapters/files/parts.js";
import { readAgentFile, writeConfined } from "../adapters/hostile/index.js";
import { planPrompt } from "../core/conductor-prompt.js";
import { drawTree } from "../core/graph.js";
import { concurrentOverlaps, parallelWaves, type ScopeOverlap } from "../core/plan.js";
import type { Progress } from "../core/progress.js";
import { EDITABLE_STATES } from "../core/states.js";
import type { Project } from "../project/index.js";
import {
  type ChamberPart,
  confined,
  dryRunProblems,
  findSpec,
  MAX_CHAMBER_FILE,
} from "./conductor-chamber.js";
import { guideInput } from "./conductor-install.js";
import {
  type ConductorRecord,
  conduct,
  DEFAULT_CONDUCTOR_ATTEMPTS,
  finish,
  newConductorRunId,
  specListing,
  startSession,
} from "./conductor-session.js";
import { type QueueResult, queueParts } from "./queue.js";

/** A part the plan holds: as the chamber lists it. */
export type PlannedPart = ChamberPart;

export interface PlanResult {
  run: ConductorRecord;
  spec: string;
  folder: string;
  valid: boolean;
  parts: PlannedPart[];
  waves: string[][];
  overlaps: ScopeOverlap[];
  graph: string;
  problems: string[];
  /** The parts of started tasks the conductor changed, put back as they were. */
  restored: string[];
  queued: QueueResult | null;
}

/** The spec being planned and its parts folder, as the conductor found them. */
interface Planning {
  spec: ReturnType<typeof findSpec>;
  specRel: string;
  folder: string;
  folderRel: string;
  /** Started tasks' parts are not the conductor's to change: kept here, put back after each attempt. */
  started: Map<string, { id: string; state: string; text: string }>;
  /** A verify the person wrote before the conductor ran stays theirs; any other is refused. */
  conductor: { personFiles: Map<string, string> };
  /** The parts already there, for the prompt. */
  existing: Array<{ id: string; file: string; state: string | null; started: boolean }>;
}

/** What the attempts' checks found, kept for the result. */
interface Findings {
  restored: string[];
  overlaps: ScopeOverlap[];
  hard: string[];
}

export async function planSpec(
  project: Project,
  specRef: string,
  opts: { queue?: boolean; attempts?: number; progress?: Progress } = {},
): Promise<PlanResult> {
  const p = preparePlanning(project, specRef);
  const s = await startSession(project, {
    kind: "plan",
    id: newConductorRunId("plan", p.spec.name, new Date()),
    target: p.folderRel,
    output: p.folder,
    outputEnv: p.folder,
  });
  const found: Findings = { restored: [], overlaps: [], hard: [] };
  const prompt = planPrompt({
    guide: guideInput(project),
    repo: project.paths.root,
    spec: { name: p.spec.name, path: p.specRel, text: p.spec.text },
    specs: specListing(project),
    folder: p.folder,
    existing: p.existing,
  });
  await conduct(
    project,
    s,
    opts.attempts ?? DEFAULT_CONDUCTOR_ATTEMPTS,
    prompt,
    p.folderRel,
    () => checkPlan(project, p, found),
    opts.progress,
  );
  const valid = found.hard.length === 0 && s.record.outsideChanges.length === 0;
  finish(s, valid);
  return planResult(project, p, s.record, found, valid, opts.queue === true);
}

function loadFolder(project: Project, folder: string) {
  const { files } = collectPartFiles([folder], project.paths.root);
  return loadParts(project.paths.root, files);
}

/** Finds the spec, makes its parts folder, and notes the parts already there (and whose they are). */
function preparePlanning(project: Project, specRef: string): Planning {
  const spec = findSpec(project, specRef);
  mkdirSync(project.paths.partsDir, { recursive: true });
  const folder = confined(project, project.paths.partsDir, spec.name, 2, spec.name);
  mkdirSync(folder, { recursive: true });
  const states = project.store().stateMap();
  const started: Planning["started"] = new Map();
  const before = loadFolder(project, folder).parts;
  const existing = before.map((p) => {
    const state = states.get(p.id) ?? null;
    const isStarted = state !== null && !EDITABLE_STATES.includes(state);
    if (isStarted) {
      const read = readAgentFile(p.absPath, MAX_CHAMBER_FILE);
      if ("text" in read) started.set(p.absPath, { id: p.id, state: state as string, text: read.text });
    }
    return { id: p.id, file: relative(project.paths.root, p.absPath), state, started: isStarted };
  });
  return {
    spec,
    specRel: relative(project.paths.root, spec.path),
    folder,
    folderRel: relative(project.paths.root, folder),
    started,
    conductor: { personFiles: new Map(before.map((p) => [p.path, p.hash])) },
    existing,
  };
}

/** One attempt's check: started parts put back, only regular files, a clean dry run, this spec's parts. */
function checkPlan(
  project: Project,
  p: Planning,
  found: Findings,
): { problems: string[]; overlaps: string[] } {
  const problems = restoreStarted(project, p, found.restored);
  for (const odd of oddEntries(p.folder, project.paths.root)) {
    problems.push(
      `${odd} is not a regular file (a link or a special file); only part files belong in ${p.folderRel}`,
    );
  }
  const { parts } = loadFolder(project, p.folder);
  if (parts.length === 0) {
    problems.push(`no part files were written in ${p.folderRel}: write one <id>.md per part there`);
  } else {
    problems.push(...dryRunProblems(project, [p.folder], p.conductor));
  }
  for (const part of parts) {
    if (part.spec && part.spec !== p.specRel)
      problems.push(`${part.path}: spec: "${part.spec}" is not this spec; use spec: ${p.specRel}`);
  }
  found.hard = problems;
  found.overlaps = concurrentOverlaps(parts);
  return { problems, overlaps: found.overlaps.map((o) => o.message) };
}

/** Puts back every started task's part the conductor changed or removed; each is a problem. */
function restoreStarted(project: Project, p: Planning, restored: string[]): string[] {
  const problems: string[] = [];
  for (const [abs, keep] of p.started) {
    const now = readAgentFile(abs, MAX_CHAMBER_FILE);
    if ("text" in now && now.text === keep.text) continue;
    rmSync(abs, { recursive: true, force: true });
    writeConfined(p.folder, abs, keep.text);
    const rel = relative(project.paths.root, abs);
    if (!restored.includes(rel)) restored.push(rel);
    problems.push(
      `${rel} is the part of task "${keep.id}", which is ${keep.state}: it was put back; do not change or remove it`,
    );
  }
  return problems;
}

/** Entries in the folder that are not regular files or folders (links, FIFOs, sockets). */
function oddEntries(dir: string, root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (!e.isFile()) out.push(relative(root, full));
    }
  };
  walk(dir);
  return out;
}

/** The plan as it stands: its parts, waves and graph, queued first when it is valid and asked. */
function planResult(
  project: Project,
  p: Planning,
  record: ConductorRecord,
  found: Findings,
  valid: boolean,
  queue: boolean,
): PlanResult {
  const { parts } = loadFolder(project, p.folder);
  const now = project.store().stateMap();
  const planned: PlannedPart[] = parts.map((part) => ({
    id: part.id,
    title: part.title,
    path: relative(project.paths.root, part.absPath),
    needs: part.needs,
    scope: part.scope,
    state: now.get(part.id) ?? null,
  }));
  const queued =
    valid && queue
      ? queueParts(project, [p.folder], project.paths.root, { actor: "conductor", conductor: p.conductor })
      : null;
  const after = project.store().stateMap();
  const graph = drawTree(
    planned.map((x) => ({ id: x.id, needs: x.needs, title: x.title, state: after.get(x.id) ?? "planned" })),
  );
  const last = record.attempts[record.attempts.length - 1];
  return {
    run: record,
    spec: p.specRel,
    folder: p.folderRel,
    valid,
    parts: planned,
    waves: parallelWaves(planned),
    overlaps: found.overlaps,
    graph,
    problems: last?.problems ?? [],
    restored: found.restored,
    queued,
  };
}
