/**
 * Loading parts into the task store. Everything is validated first (front matter, ids,
 * dependencies, cycles, profiles); any problem rejects the whole batch and nothing is written.
 */
import { relative } from "node:path";
import { collectPartFiles, loadParts, specLinkProblem } from "../adapters/files/parts.js";
import { git } from "../adapters/git/index.js";
import type { QueuedPart } from "../adapters/store/index.js";
import { validateGraph } from "../core/graph.js";
import { formatPartError } from "../core/part.js";
import { conductorVerifyProblem, type PartVerifyOverride, partVerifyOverride } from "../core/part-verify.js";
import { resolvePipeline } from "../core/pipeline.js";
import { EDITABLE_STATES } from "../core/states.js";
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
  const targets = inputs.length > 0 ? inputs : [project.paths.partsDir];
  const { files, missing } = collectPartFiles(targets, cwd);
  if (missing.length > 0) throw notFound("file_not_found", `no such file or folder: ${missing.join(", ")}`);
  if (files.length === 0) {
    throw notFound(
      "no_parts",
      `no part files (*.md) found in ${targets.map((t) => relative(project.paths.root, t) || ".").join(", ")}; create one with "ballador part new"`,
    );
  }
  const store = project.store();
  const index = store.partIndex();
  const {
    parts,
    errors,
    unchanged: same,
  } = loadParts(project.paths.root, files, new Map([...index].map(([path, t]) => [path, t.hash])));
  const problems = errors.map(formatPartError);
  // Unchanged files stand for the tasks the store already holds for them.
  const sameTasks = same.map((path) => ({
    path,
    ...(index.get(path) as { id: string; agent: string | null }),
  }));

  const profiles = project.config.agents.profiles;
  for (const p of [...parts, ...sameTasks]) {
    if (p.agent && p.agent !== "any" && !profiles[p.agent]) {
      problems.push(
        `${p.path}: agent: no profile "${p.agent}"; configured profiles: ${Object.keys(profiles).join(", ")} (or "any"), in .ballador/config.yaml`,
      );
    }
  }
  // A pipeline the config does not have is refused here, not when its first stage would start.
  for (const p of parts) {
    try {
      resolvePipeline(project.config, { pipeline: p.pipeline ?? null, pauseAfter: p.pause_after ?? null });
    } catch (err) {
      problems.push(`${p.path}: ${(err as Error).message}`);
    }
  }
  if (opts.conductor) problems.push(...conductorVerifyProblems(parts, opts.conductor));
  // A spec that is a link in the checkout may lead out of the repository (issue 29).
  for (const p of parts) {
    const linked = p.spec ? specLinkProblem(project.paths.root, p.spec) : null;
    if (linked) problems.push(`${p.path}: spec: ${linked}`);
  }
  // A changed or new file claiming the id of an unchanged one is the duplicate it always was.
  const sameById = new Map(sameTasks.map((t) => [t.id, t.path]));
  for (const p of parts) {
    const other = sameById.get(p.id);
    if (other) problems.push(`duplicate id "${p.id}" in ${other} and ${p.path}; ids must be unique`);
  }

  const current = store.dependencyMap();
  const states = store.stateMap();
  const batch = new Set(parts.map((p) => p.id));
  // (Unchanged files' tasks are in `known`: the graph is checked with them as queued tasks.)
  const known = new Map([...current].filter(([id]) => !batch.has(id)));
  const byId = new Map<string, string[]>();
  for (const p of parts) byId.set(p.id, [...(byId.get(p.id) ?? []), p.path]);
  for (const problem of validateGraph(parts, known)) {
    if (problem.kind === "duplicate") {
      const id = problem.ids[0] as string;
      const paths = byId.get(id) ?? [];
      // Report each duplicate once, with every file that claims the id.
      if (problems.some((x) => x.startsWith(`duplicate id "${id}"`))) continue;
      problems.push(`duplicate id "${id}" in ${paths.join(" and ")}; ids must be unique`);
    } else if (problem.kind === "cycle") {
      const lines = problem.ids.slice(0, -1).map((id, i) => {
        const next = problem.ids[i + 1] as string;
        const where = parts.find((p) => p.id === id)?.path ?? "(already queued)";
        return `  ${id} needs ${next}    (${where})`;
      });
      problems.push(
        `${problem.message}\n${lines.join("\n")}\n  break the cycle by removing one of these needs`,
      );
    } else {
      const part = parts.find((p) => p.id === problem.ids[0]);
      problems.push(`${part?.path ?? ""}: needs: ${problem.message}`);
    }
  }
  if (problems.length > 0) {
    throw problemsError(
      "invalid_parts",
      `nothing was queued; ${problems.length} problem${problems.length === 1 ? "" : "s"}:`,
      problems,
    );
  }

  const skipped: QueueResult["skipped"] = [];
  const toWrite: QueuedPart[] = [];
  const hashes = store.partHashes();
  for (const p of parts) {
    const state = states.get(p.id);
    if (state && !EDITABLE_STATES.includes(state) && hashes.get(p.id) !== p.hash) {
      skipped.push({ id: p.id, state, path: p.path });
      continue;
    }
    toWrite.push({
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
    });
  }
  const verifyOverrides = overridesOf(toWrite, project.config.verify);
  if (opts.dryRun) {
    const inserted = toWrite.filter((p) => !states.has(p.id)).map((p) => p.id);
    const updated = toWrite
      .filter((p) => states.has(p.id) && hashes.get(p.id) !== p.partHash)
      .map((p) => p.id);
    const unchanged = toWrite.filter((p) => hashes.get(p.id) === p.partHash).map((p) => p.id);
    unchanged.push(...sameTasks.map((t) => t.id));
    return { files: files.length, inserted, updated, unchanged, skipped, dryRun: true, verifyOverrides };
  }
  const written = store.queueParts(toWrite, opts.actor ?? "cli");
  written.unchanged.push(...sameTasks.map((t) => t.id));
  return { files: files.length, ...written, skipped, dryRun: false, verifyOverrides };
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
