/**
 * `source sync`: a tracker's eligible issues become parts under `.ballador/parts/<source>/`,
 * queued through queue's validation, all or nothing: everything is read from the tracker
 * first; the part files are written, validated and queued with their links in one store
 * transaction, and put back as they were if anything refuses. Only then is the store
 * reconciled with the tracker (issues closed or unlabelled upstream) and the writes to the
 * tracker queued and sent, each after the state it reports has committed.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { Tracker } from "../../adapters/trackers/index.js";
import { TrackerError } from "../../adapters/trackers/index.js";
import {
  cleanLine,
  type Describe,
  idClashes,
  type PlannedParts,
  planParts,
  type SourcePart,
  type TrackerIssue,
} from "../../core/sources.js";
import { EDITABLE_STATES } from "../../core/states.js";
import { instanceId, openTracker, sendTrackerWrites, sourceConfig } from "../../notify/index.js";
import { type Project, problems as problemsError, UserError } from "../../project/index.js";
import { queueParts } from "../queue.js";
import { specFinder, writeGroupSpecs } from "./group-spec.js";

export interface SourceListResult {
  source: string;
  imported: Array<{ id: string; key: string; title: string }>;
  skipped: Array<{ key: string; title: string; reason: string }>;
  /** Parent issues with imported sub-issues: the living spec each is (sync: and whether it was written now). */
  specs: Array<{ group: string; key: string; path: string; written?: boolean }>;
}

export interface SourceSyncResult extends SourceListResult {
  inserted: string[];
  updated: string[];
  unchanged: string[];
  /** Started tasks whose issue changed: the run keeps its plan; a note says so. */
  changedUpstream: string[];
  abandoned: Array<{ id: string; why: string }>;
  writes: {
    sent: Array<{ task: string; state: string }>;
    failed: Array<{ task: string; state: string; error: string }>;
  };
}

interface Fetched {
  tracker: Tracker;
  issues: TrackerIssue[];
  plan: PlannedParts;
  describe: Describe;
}

async function fetchPlan(project: Project, name: string): Promise<Fetched> {
  const cfg = sourceConfig(project, name);
  const tracker = await openTracker(project, name, cfg);
  const label = cfg.label ?? "ballador";
  let listed: Awaited<ReturnType<Tracker["list"]>>;
  try {
    listed = await tracker.list(label);
  } catch (err) {
    throw trackerProblem(name, err);
  }
  const wanted = cfg.assignee ?? "@me";
  if (wanted === "@me" && !listed.me)
    throw new UserError(
      `source ${name}: the tracker did not say whose token this is; set sources.trackers.${name}.assignee (a login, or "*" for anyone)`,
    );
  const profiles = project.config.agents.profiles;
  const describe: Describe = { what: (i) => tracker.what(i), specFor: specFinder(project) };
  const plan = planParts(
    name,
    listed.issues,
    {
      label,
      assignee: wanted === "*" ? null : wanted === "@me" ? (listed.me as string) : wanted,
      instance: instanceId(project),
      hasProfile: (p) => Object.hasOwn(profiles, p),
    },
    describe,
  );
  return { tracker, issues: listed.issues, plan, describe };
}

export function trackerProblem(name: string, err: unknown): Error {
  if (err instanceof TrackerError || (err as Error).name === "GhError")
    return new UserError(`source ${name}: ${cleanLine((err as Error).message, 600)}; nothing changed`);
  return err as Error;
}

/** `source list`: what a sync would import and why each other issue is skipped. Reads only. */
export async function listSource(project: Project, name: string): Promise<SourceListResult> {
  const { plan } = await fetchPlan(project, name);
  return { source: name, ...shown(plan) };
}

function shown(plan: PlannedParts): Omit<SourceListResult, "source"> {
  return {
    imported: plan.parts.map((p) => ({
      id: p.id,
      key: cleanLine(p.issue.key, 40),
      title: cleanLine(p.issue.title, 200),
    })),
    skipped: plan.skipped,
    specs: plan.groups.flatMap((g) =>
      g.spec ? [{ group: g.id, key: cleanLine(g.issue.key, 40), path: g.spec }] : [],
    ),
  };
}

const hashOf = (text: string) => createHash("sha256").update(text).digest("hex");

function partFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => join(e.parentPath, e.name));
}

/** The files a sync writes, and how to put them back. */
class FileChanges {
  private readonly before = new Map<string, string | null>();

  write(path: string, text: string): void {
    this.remember(path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }

  remove(path: string): void {
    this.remember(path);
    rmSync(path, { force: true });
  }

  private remember(path: string): void {
    if (!this.before.has(path)) this.before.set(path, existsSync(path) ? readFileSync(path, "utf8") : null);
  }

  undo(): void {
    for (const [path, text] of this.before) {
      if (text === null) rmSync(path, { force: true });
      else writeFileSync(path, text);
    }
  }
}

/**
 * Writes the parts of issues whose tasks have not started, and removes files of tasks gone from
 * the plan that never started; a started task's file stays as its run was planned.
 */
function writeParts(project: Project, name: string, plan: PlannedParts, changes: FileChanges) {
  const dir = join(project.paths.partsDir, name);
  const store = project.store();
  const states = store.stateMap();
  const changedUpstream: string[] = [];
  const wanted = new Set<string>();
  for (const p of plan.parts) {
    const path = join(dir, p.group, `${p.id}.md`);
    wanted.add(path);
    const state = states.get(p.id);
    const link = store.sourceItem(p.id);
    if (state && !EDITABLE_STATES.includes(state)) {
      if (link && link.issueHash !== hashOf(p.text)) changedUpstream.push(p.id);
      continue;
    }
    if (!existsSync(path) || readFileSync(path, "utf8") !== p.text) changes.write(path, p.text);
  }
  for (const f of partFiles(dir)) {
    if (wanted.has(f)) continue;
    const id = f.slice(f.lastIndexOf("/") + 1, -3);
    const state = states.get(id);
    if (!state || EDITABLE_STATES.includes(state)) changes.remove(f);
  }
  return { dir, changedUpstream };
}

function refusal(name: string, err: unknown, parts: readonly SourcePart[]): Error {
  if (!(err instanceof UserError)) return err as Error;
  const text = [err.message, ...err.details].join("\n");
  const named = parts
    .filter((p) => new RegExp(`\\b${p.id}\\b`).test(text))
    .map((p) => `${p.id} = ${cleanLine(p.issue.key, 40)}`);
  return problemsError(
    "invalid_source_parts",
    `source ${name}: nothing was imported; the parts its issues make are refused${named.length ? ` (issues: ${named.join(", ")})` : ""}:`,
    err.details.length ? err.details : [err.message],
  );
}

/** Writes, validates and queues the parts with their links in one transaction; or nothing. */
function importParts(project: Project, name: string, plan: PlannedParts, describe: Describe) {
  const clashes = idClashes(plan.parts);
  if (clashes.length)
    throw problemsError("invalid_source_parts", `source ${name}: nothing was imported:`, clashes);
  const changes = new FileChanges();
  try {
    const { dir, changedUpstream } = writeParts(project, name, plan, changes);
    const specs = writeGroupSpecs(project, plan, describe, (path, text) => changes.write(path, text));
    const store = project.store();
    const queued = store.tx(() => {
      const r =
        partFiles(dir).length > 0
          ? queueParts(project, [dir], project.paths.root, { actor: `source:${name}` })
          : null;
      store.linkSourceItems(
        plan.parts
          .filter((p) => !changedUpstream.includes(p.id))
          .map((p) => ({
            taskId: p.id,
            source: name,
            ref: p.issue.ref,
            key: cleanLine(p.issue.key, 40),
            url: p.issue.url,
            issueHash: hashOf(p.text),
          })),
      );
      return r;
    });
    return { queued, changedUpstream, specs };
  } catch (err) {
    changes.undo();
    throw refusal(name, err, plan.parts);
  }
}

export async function syncSource(project: Project, name: string): Promise<SourceSyncResult> {
  const { tracker, issues, plan, describe } = await fetchPlan(project, name);
  const { reconcileGone } = await import("./reconcile.js");
  const gone = await reconcileGone(project, name, tracker, issues, plan).catch((err: unknown) => {
    throw trackerProblem(name, err);
  });
  const { queued, changedUpstream, specs } = importParts(project, name, plan, describe);
  const abandoned = await gone.apply();
  const store = project.store();
  for (const id of changedUpstream) {
    const p = plan.parts.find((x) => x.id === id) as SourcePart;
    store.addNote(
      id,
      null,
      "system",
      `source ${name}: issue ${cleanLine(p.issue.key, 40)} changed upstream after this task started; the run keeps its plan (re-read the issue, or retry to start over)`,
    );
    store.setSourceItemHash(id, hashOf(p.text));
  }
  const writes = await sendTrackerWrites(project, name, tracker);
  return {
    source: name,
    ...shown(plan),
    specs,
    inserted: queued?.inserted ?? [],
    updated: queued?.updated ?? [],
    unchanged: queued?.unchanged ?? [],
    changedUpstream,
    abandoned,
    writes,
  };
}

/** Every configured source, in config order (launch --watch); one failing does not stop the others. */
export async function syncAllSources(
  project: Project,
): Promise<Array<{ source: string; result: SourceSyncResult | null; error: string | null }>> {
  const out = [];
  for (const name of Object.keys(project.config.sources.trackers)) {
    try {
      out.push({ source: name, result: await syncSource(project, name), error: null });
    } catch (err) {
      out.push({ source: name, result: null, error: (err as Error).message });
    }
  }
  return out;
}

export const sourcePartsDir = (project: Project, name: string) =>
  relative(project.paths.root, join(project.paths.partsDir, name));
