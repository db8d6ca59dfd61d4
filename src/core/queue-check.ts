/**
 * The checks of a batch of parts before queueing, pure: the problems that refuse the whole
 * batch (unknown profiles, duplicate ids, the dependency graph's problems, each said once with
 * the files concerned), and what a valid batch writes (a started task's changed part is left as
 * it was, loudly) or would write (the dry run's counts).
 */
import type { GraphProblem } from "./graph.js";
import { EDITABLE_STATES, type TaskState } from "./states.js";

interface PartAt {
  id: string;
  path: string;
}

/** A part (or an unchanged file's task) naming a profile the config lacks; "any" routes to one. */
export function unknownProfileProblems(
  parts: ReadonlyArray<{ path: string; agent?: string | null }>,
  hasProfile: (name: string) => boolean,
  profileNames: readonly string[],
): string[] {
  return parts
    .filter((p) => p.agent && p.agent !== "any" && !hasProfile(p.agent))
    .map(
      (p) =>
        `${p.path}: agent: no profile "${p.agent}"; configured profiles: ${profileNames.join(", ")} (or "any"), in .ballador/config.yaml`,
    );
}

/** A changed or new file claiming the id of an unchanged one is the duplicate it always was. */
export function unchangedDuplicateProblems(parts: readonly PartAt[], unchanged: readonly PartAt[]): string[] {
  const sameById = new Map(unchanged.map((t) => [t.id, t.path]));
  const out: string[] = [];
  for (const p of parts) {
    const other = sameById.get(p.id);
    if (other) out.push(`duplicate id "${p.id}" in ${other} and ${p.path}; ids must be unique`);
  }
  return out;
}

/**
 * The dependency graph's problems as the person reads them: a duplicate once, with every file
 * that claims the id (none already said in `already`); a cycle step by step with where each
 * need is written; any other at the part it concerns.
 */
export function graphProblemLines(
  problems: readonly GraphProblem[],
  parts: readonly PartAt[],
  already: readonly string[],
): string[] {
  const byId = new Map<string, string[]>();
  for (const p of parts) byId.set(p.id, [...(byId.get(p.id) ?? []), p.path]);
  const out: string[] = [];
  for (const problem of problems) {
    if (problem.kind === "duplicate") {
      const id = problem.ids[0] as string;
      if ([...already, ...out].some((x) => x.startsWith(`duplicate id "${id}"`))) continue;
      out.push(`duplicate id "${id}" in ${(byId.get(id) ?? []).join(" and ")}; ids must be unique`);
    } else if (problem.kind === "cycle") {
      const lines = problem.ids.slice(0, -1).map((id, i) => {
        const next = problem.ids[i + 1] as string;
        const where = parts.find((p) => p.id === id)?.path ?? "(already queued)";
        return `  ${id} needs ${next}    (${where})`;
      });
      out.push(`${problem.message}\n${lines.join("\n")}\n  break the cycle by removing one of these needs`);
    } else {
      const part = parts.find((p) => p.id === problem.ids[0]);
      out.push(`${part?.path ?? ""}: needs: ${problem.message}`);
    }
  }
  return out;
}

/**
 * What a valid batch writes: every part, except a started task's whose file changed (its
 * task keeps the text it started with; the part is reported as skipped).
 */
export function partitionWrites<P extends { id: string; path: string; hash: string }>(
  parts: readonly P[],
  states: ReadonlyMap<string, TaskState>,
  hashes: ReadonlyMap<string, string>,
): { write: P[]; skipped: Array<{ id: string; state: string; path: string }> } {
  const write: P[] = [];
  const skipped: Array<{ id: string; state: string; path: string }> = [];
  for (const p of parts) {
    const state = states.get(p.id);
    if (state && !EDITABLE_STATES.includes(state) && hashes.get(p.id) !== p.hash) {
      skipped.push({ id: p.id, state, path: p.path });
      continue;
    }
    write.push(p);
  }
  return { write, skipped };
}

/** The dry run's answer: which tasks would be inserted, updated, or stay unchanged. */
export function dryRunCounts(
  write: ReadonlyArray<{ id: string; partHash: string }>,
  states: ReadonlyMap<string, string>,
  hashes: ReadonlyMap<string, string>,
  unchangedIds: readonly string[],
): { inserted: string[]; updated: string[]; unchanged: string[] } {
  return {
    inserted: write.filter((p) => !states.has(p.id)).map((p) => p.id),
    updated: write.filter((p) => states.has(p.id) && hashes.get(p.id) !== p.partHash).map((p) => p.id),
    unchanged: [...write.filter((p) => hashes.get(p.id) === p.partHash).map((p) => p.id), ...unchangedIds],
  };
}
