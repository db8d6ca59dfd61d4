/**
 * Loading parts into the task store, in stages: read the batch, validate all of it (front
 * matter, ids, dependencies, cycles, profiles; any problem rejects the whole batch and nothing
 * is written), then write it in one transaction (or, dry, say what would be written).
 */
import { relative } from "node:path";
import { collectPartFiles, type LoadedParts, loadParts, specLinkProblem } from "../adapters/files/parts.js";
import { git } from "../adapters/git/index.js";
import type { QueuedPart } from "../adapters/store/index.js";
import { validateGraph } from "../core/graph.js";
import { formatPartError, type PartParseError } from "../core/part.js";
import { conductorVerifyProblem, type PartVerifyOverride, partVerifyOverride } from "../core/part-verify.js";
import { resolvePipeline } from "../core/pipeline.js";
import {
  dryRunCounts,
  graphProblemLines,
  partitionWrites,
  unchangedDuplicateProblems,
  unknownProfileProblems,
} from "../core/queue-check.js";
import type { Project } from "../project/index.js";
import { notFound, problems as problemsError } from "../project/index.js";

export interface QueueResult {
  files: number;
  inserted: string[];
  updated: string[];
  unchanged: string[];
  /** Parts whose file changed but whose task has started: left as they were, loudly. */
  skipped: Array<{ id: string; state: string; path: string }>;
  dryRun: boolean;
  /** Parts queued (or that would be) with a verify command that is not the project's. */
  verifyOverrides: Array<{ id: string } & PartVerifyOverride>;
}

export interface QueueOptions {
  dryRun?: boolean;
  actor?: string;
  /**
   * Queued for the conductor (the MCP queue tool, plan): a new or changed part carrying
   * `verify:` is refused, except files in `personFiles` (path -> hash: the person's own text,
   * unchanged since before the conductor ran).
   */
  conductor?: { personFiles?: ReadonlyMap<string, string> };
}

export function queueParts(
  project: Project,
  inputs: readonly string[],
  cwd: string,
  opts: QueueOptions = {},
): QueueResult {
  const batch = readBatch(project, inputs, cwd);
  const problems = batchProblems(project, batch, opts);
  if (problems.length > 0) {
    throw problemsError(
      "invalid_parts",
      `nothing was queued; ${problems.length} problem${problems.length === 1 ? "" : "s"}:`,
      problems,
    );
  }
  const store = project.store();
  const states = store.stateMap();
  const hashes = store.partHashes();
  const { write, skipped } = partitionWrites(batch.parts, states, hashes);
  const toWrite = write.map(queuedPart);
  const verifyOverrides = overridesOf(toWrite, project.config.verify);
  const files = batch.files.length;
  const unchangedIds = batch.sameTasks.map((t) => t.id);
  if (opts.dryRun) {
    const counts = dryRunCounts(toWrite, states, hashes, unchangedIds);
    return { files, ...counts, skipped, dryRun: true, verifyOverrides };
  }
  // One transaction: every part of the batch is written, or none.
  const written = store.queueParts(toWrite, opts.actor ?? "cli");
  written.unchanged.push(...unchangedIds);
  return { files, ...written, skipped, dryRun: false, verifyOverrides };
}

type LoadedPart = LoadedParts["parts"][number];

/** The batch as read: the files, their parts, parse errors, and the unchanged files' tasks. */
interface Batch {
  files: string[];
  parts: LoadedPart[];
  errors: PartParseError[];
  /** Unchanged files stand for the tasks the store already holds for them. */
  sameTasks: Array<{ path: string; id: string; agent: string | null }>;
}

function readBatch(project: Project, inputs: readonly string[], cwd: string): Batch {
  const targets = inputs.length > 0 ? inputs : [project.paths.partsDir];
  const { files, missing } = collectPartFiles(targets, cwd);
  if (missing.length > 0) throw notFound("file_not_found", `no such file or folder: ${missing.join(", ")}`);
  if (files.length === 0) {
    throw notFound(
      "no_parts",
      `no part files (*.md) found in ${targets.map((t) => relative(project.paths.root, t) || ".").join(", ")}; create one with "ballador part new"`,
    );
  }
  const index = project.store().partIndex();
  const { parts, errors, unchanged } = loadParts(
    project.paths.root,
    files,
    new Map([...index].map(([path, t]) => [path, t.hash])),
  );
  const sameTasks = unchanged.map((path) => ({
    path,
    ...(index.get(path) as { id: string; agent: string | null }),
  }));
  return { files, parts, errors, sameTasks };
}

/** Everything that refuses the batch, in the order the person reads it. */
function batchProblems(project: Project, batch: Batch, opts: QueueOptions): string[] {
  const { parts, sameTasks } = batch;
  const profiles = project.config.agents.profiles;
  const problems = batch.errors.map(formatPartError);
  problems.push(
    ...unknownProfileProblems(
      [...parts, ...sameTasks],
      (name) => Boolean(profiles[name]),
      Object.keys(profiles),
    ),
  );
  // A pipeline the config does not have is refused here, not when its first stage would start.
  for (const p of parts) {
    try {
      resolvePipeline(project.config, { pipeline: p.pipeline ?? null, pauseAfter: p.pause_after ?? null });
    } catch (err) {
      problems.push(`${p.path}: ${(err as Error).message}`);
    }
  }
  problems.push(...runnerProblems(project, parts));
  if (opts.conductor) problems.push(...conductorVerifyProblems(parts, opts.conductor));
  // A spec that is a link in the checkout may lead out of the repository (issue 29).
  for (const p of parts) {
    const linked = p.spec ? specLinkProblem(project.paths.root, p.spec) : null;
    if (linked) problems.push(`${p.path}: spec: ${linked}`);
  }
  problems.push(...unchangedDuplicateProblems(parts, sameTasks));
  // (Unchanged files' tasks are in `known`: the graph is checked with them as queued tasks.)
  const ids = new Set(parts.map((p) => p.id));
  const known = new Map([...project.store().dependencyMap()].filter(([id]) => !ids.has(id)));
  problems.push(...graphProblemLines(validateGraph(parts, known), parts, problems));
  return problems;
}

/** A part's runner: must be one the config names (or any, or local): refused at queue time, not at launch. */
function runnerProblems(project: Project, parts: ReadonlyArray<{ path: string; runner?: string }>): string[] {
  const list = (project.config as unknown as { runners?: Array<{ name: string }> }).runners ?? [];
  const names = list.map((r) => r.name);
  return parts
    .filter(
      (p) =>
        p.runner !== undefined && p.runner !== "any" && p.runner !== "local" && !names.includes(p.runner),
    )
    .map(
      (p) =>
        `${p.path}: runner: "${p.runner}" is not a runner of ${project.paths.configFile} (runners: ${names.length ? names.join(", ") : "none"}); name one of them, any, or local (ballador runner add NAME --ssh user@host)`,
    );
}

function queuedPart(p: LoadedPart): QueuedPart {
  return {
    id: p.id,
    title: p.title,
    spec: p.spec ?? null,
    agent: p.agent ?? null,
    role: p.role ?? null,
    scope: p.scope,
    needs: p.needs,
    verify: p.verify ?? null,
    priority: p.priority,
    body: p.body,
    partPath: p.path,
    partHash: p.hash,
    pipeline: p.pipeline ?? null,
    pauseAfter: p.pause_after ?? null,
    runner: p.runner ?? null,
  };
}

/** What decides "done" is the person's: the conductor does not queue a verify of its own. */
function conductorVerifyProblems(
  parts: ReadonlyArray<{ path: string; hash: string; verify?: string }>,
  conductor: NonNullable<QueueOptions["conductor"]>,
): string[] {
  const person = conductor.personFiles ?? new Map<string, string>();
  return parts
    .filter((p) => p.verify !== undefined && person.get(p.path) !== p.hash)
    .map((p) => conductorVerifyProblem(p.path));
}

function overridesOf(parts: readonly QueuedPart[], project: string | null): QueueResult["verifyOverrides"] {
  return parts.flatMap((p) => {
    const o = partVerifyOverride(p.verify, project);
    return o ? [{ id: p.id, ...o }] : [];
  });
}

/**
 * Worktrees are cut from the base: a spec or part file that is not committed there never
 * reaches the agents (launch refuses a missing spec). One `ls-tree` of the base answers for all.
 */
export async function notOnBase(project: Project, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const base = project.config.base;
  const r = await git(["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", base], {
    cwd: project.paths.root,
    allowFail: true,
  });
  if (r.code !== 0) return [`the base ${base} cannot be read (${r.stderr.trim().split("\n")[0] ?? ""})`];
  const modes = new Map<string, string>();
  for (const entry of r.stdout.split("\0")) {
    const tab = entry.indexOf("\t");
    if (tab > 0) modes.set(entry.slice(tab + 1), entry.slice(0, entry.indexOf(" ")));
  }
  const store = project.store();
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ids) {
    const t = store.task(id);
    if (!t) continue;
    for (const [path, what] of [
      [t.spec, "spec"],
      [t.partPath, "part"],
    ] as const) {
      if (!path || seen.has(path)) continue;
      seen.add(path);
      const mode = modes.get(path);
      if (mode === undefined)
        out.push(
          `${path} (${what} of ${id}) is not committed on ${base}: commit it before launching (git add ${path} && git commit)`,
        );
      else if (mode === "120000")
        out.push(`${path} (${what} of ${id}) is a symbolic link on ${base}: it is never followed`);
    }
  }
  return out;
}
