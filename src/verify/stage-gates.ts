/**
 * A pipeline stage's gate, its host-side facts (issue 16): which files a stage changed and whether
 * the test author's files are as it left them. Every fact comes from the repository's object
 * store through the hardened git helpers, never from a file of the agent's worktree.
 */
import { changedFiles, entriesAt } from "../adapters/git/index.js";
import type { GateRow } from "../adapters/store/index.js";
import type { Config } from "../config/schema.js";
import {
  type GateCheck,
  pathsCheck,
  protectedCheck,
  type Stage,
  testAuthorChecks,
  testsUnchangedCheck,
  verifyInputsCheck,
} from "../core/pipeline.js";
import { baseVerifyInputs, verifyInputChanges } from "./verify-inputs.js";

/** Files a stage changed: from the commit it started from to the branch's commit. */
export async function changedInStage(repo: string, start: string | null, head: string): Promise<string[]> {
  if (!start || start === head) return [];
  return changedFiles(repo, start, head);
}

/** The test author's files as its last passing gate recorded them (what later stages must keep). */
export function testAuthorFiles(gates: readonly GateRow[], stages: readonly Stage[]): GateRow["files"] {
  const authors = new Set(stages.filter((s) => s.kind === "tests").map((s) => s.index));
  const last = gates.filter((g) => g.passed && authors.has(g.stage)).at(-1);
  return last?.files ?? [];
}

/**
 * The host-side checks of a stage's gate (before any verification runs): the files it changed
 * and, for later stages, the test author's files. Verification (pass, or for the test author
 * fail) is the caller's, on a clean checkout.
 */
export async function stageChecks(input: {
  repo: string;
  config: Config;
  stage: Stage;
  stages: readonly Stage[];
  start: string | null;
  head: string;
  gates: readonly GateRow[];
  /** The verify command and the base that decides its inputs (absent: no verify-input check). */
  verify?: { command: string | null; base: string };
}): Promise<{ checks: GateCheck[]; changed: string[]; files: GateRow["files"] }> {
  const { repo, config, stage, head } = input;
  const changed = await changedInStage(repo, input.start, head);
  const checks: GateCheck[] = [];
  let files: GateRow["files"] = [];
  if (stage.kind === "tests") {
    checks.push(...testAuthorChecks(changed, config.tests, stage.paths ?? config.tests));
    // What the implementer must keep: every file of the test author's change, as it is now.
    const now = await entriesAt(repo, head, changed);
    files = changed.map((path) => ({ path, blob: now.get(path) ?? null }));
  } else {
    const kept = testAuthorFiles(input.gates, input.stages);
    const now = await entriesAt(
      repo,
      head,
      kept.map((f) => f.path),
    );
    if (kept.length > 0 || stage.kind === "build") checks.push(protectedCheck(kept, now));
    if (stage.kind === "refactor") checks.push(testsUnchangedCheck(changed, config.tests));
    if (input.verify?.command && input.start && input.start !== head) {
      const inputs = await baseVerifyInputs(
        repo,
        input.verify.base,
        input.verify.command,
        config.verify_inputs,
        config.bootstrap,
      );
      checks.push(verifyInputsCheck((await verifyInputChanges(repo, input.start, head, inputs)).labels));
    }
    if (stage.paths) checks.push(pathsCheck(changed, stage.paths));
  }
  return { checks, changed, files };
}

/**
 * The files a stage's clean verification takes as the branch has them even when they are verify
 * inputs: the test author's (its own stage's changes; for later stages what its passing gate
 * recorded, which their gates pin byte for byte). A conftest.py the test author wrote is part of
 * its tests; the whole task's change to it still reaches the person ("Changes how tests run").
 */
export async function stageKeptFiles(
  repo: string,
  kind: Stage["kind"],
  start: string | null,
  head: string,
  gates: readonly GateRow[],
): Promise<string[]> {
  if (kind === "tests") return changedInStage(repo, start, head);
  const last = gates.filter((g) => g.passed && g.files.length > 0).at(-1);
  return (last?.files ?? []).map((f) => f.path);
}
