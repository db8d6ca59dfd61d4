/**
 * `ballador spec draft`: the conductor writes one new spec in a fresh folder of its own (a
 * subfolder of the host-only run folder); it passes `spec check` or goes back with the
 * problems, and the host copies it out to the specs folder after validation.
 */
import { mkdirSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { listSpecs, nextSpecNumber, renderSpec, specFromText } from "../adapters/files/specs.js";
import { pathKind, readAgentFile, writeConfined } from "../adapters/hostile/index.js";
import { draftPrompt } from "../core/conductor-prompt.js";
import { slugify } from "../core/ids.js";
import { draftVerifyProblems } from "../core/part-verify.js";
import type { Progress } from "../core/progress.js";
import type { Project } from "../project/index.js";
import { UserError } from "../project/index.js";
import { confined, MAX_CHAMBER_FILE } from "./conductor-chamber.js";
import { guideInput } from "./conductor-install.js";
import {
  type ConductorRecord,
  conduct,
  conductorRunDir,
  DEFAULT_CONDUCTOR_ATTEMPTS,
  finish,
  newConductorRunId,
  specListing,
  startSession,
} from "./conductor-session.js";
import { checkSpecFile } from "./specs.js";

export interface DraftResult {
  run: ConductorRecord;
  /** The new spec, relative to the root, when the draft passed spec check. */
  path: string | null;
  problems: string[];
}

/** The new spec: its number, file name, where it lands and the folder the conductor writes it in. */
interface Draft {
  name: string;
  /** Where it lands, relative to the root, and absolute (checked: no link, still free). */
  targetRel: string;
  target: string;
  /** The conductor's one writable place, holding only `file`. */
  outDir: string;
  file: string;
  /** Ballador's empty template, which `file` starts as. */
  template: string;
  /** The specs folder did not exist: a failed draft removes it again. */
  madeSpecsDir: boolean;
}

export async function draftSpec(
  project: Project,
  title: string,
  context: string,
  opts: { attempts?: number; progress?: Progress } = {},
): Promise<DraftResult> {
  if (title.trim() === "")
    throw new UserError('a spec needs a title: ballador spec draft "Data extraction" --context "..."');
  if (context.trim() === "") throw new UserError("--context or --context-file: say what the spec is about");
  const id = newConductorRunId("draft", title, new Date());
  const d = prepareDraft(project, title, id);
  const s = await startSession(project, {
    kind: "draft",
    id,
    target: d.targetRel,
    output: d.outDir,
    outputEnv: d.file,
  });
  const accepted: { text: string | null } = { text: null };
  const attempts = await conduct(
    project,
    s,
    opts.attempts ?? DEFAULT_CONDUCTOR_ATTEMPTS,
    draftPrompt({
      guide: guideInput(project),
      repo: project.paths.root,
      title: title.trim(),
      context,
      specs: specListing(project),
      file: d.file,
      name: d.name,
    }),
    relative(project.paths.root, d.outDir),
    () => checkDraft(d, accepted),
    opts.progress,
  );
  const last = attempts[attempts.length - 1];
  const text = accepted.text;
  const ok = text !== null && (last?.problems.length ?? 1) === 0;
  const path = ok && s.record.outsideChanges.length === 0 ? copyOut(project, d, text) : null;
  if (path === null && d.madeSpecsDir) removeIfEmpty(project.paths.specsDir);
  finish(s, path !== null);
  return { run: s.record, path, problems: last?.problems ?? [] };
}

/**
 * Names the new spec and makes the conductor's folder with the template in it. The sandbox
 * opens folders: the one writable place is a fresh folder holding only the new file.
 */
function prepareDraft(project: Project, title: string, id: string): Draft {
  const number = nextSpecNumber(listSpecs(project.paths.specsDir));
  const name = `${String(number).padStart(4, "0")}-${slugify(title)}`;
  const madeSpecsDir = pathKind(project.paths.specsDir) === "missing";
  mkdirSync(project.paths.specsDir, { recursive: true });
  const targetRel = relative(project.paths.root, join(project.paths.specsDir, `${name}.md`));
  const target = confined(project, project.paths.specsDir, `${name}.md`, 2, `${name}.md`);
  if (pathKind(target) !== "missing") throw new UserError(`${targetRel} already exists`);
  const outDir = join(conductorRunDir(project, id), "out");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.md`);
  const template = renderSpec({ number, title: title.trim(), date: new Date().toISOString().slice(0, 10) });
  writeFileSync(file, template);
  return { name, targetRel, target, outDir, file, template, madeSpecsDir };
}

/** One attempt's check: the file passes spec check and is more than the template; `accepted` holds it then. */
function checkDraft(d: Draft, accepted: { text: string | null }): { problems: string[]; overlaps: string[] } {
  accepted.text = null;
  const read = readAgentFile(d.file, MAX_CHAMBER_FILE);
  if ("problem" in read) return { problems: [`${d.file} ${read.problem}`], overlaps: [] };
  const others = readdirSync(d.outDir).filter((e) => e !== `${d.name}.md`);
  const problems = checkSpecFile(specFromText(d.target, read.text), d.targetRel).map(
    (p) => `${p.problem} (fix: ${p.fix})`,
  );
  if (others.length > 0)
    problems.push(`only ${d.name}.md belongs in ${d.outDir}; remove ${others.join(", ")}`);
  problems.push(...draftVerifyProblems(read.text, d.targetRel));
  if (!/^---\n[\s\S]*?\n---\n/.test(read.text.replace(/\r\n/g, "\n"))) {
    problems.push("the front matter (number, title, status, created) between --- lines is missing");
  }
  // Ballador's own template passes spec check: it is no draft.
  if (read.text === d.template) problems.push(`the conductor left ${d.name}.md as Ballador's empty template`);
  if (problems.length === 0) accepted.text = read.text;
  return { problems, overlaps: [] };
}

/** Copied out by the host: the target is checked again (no link, still free), then written. */
function copyOut(project: Project, d: Draft, text: string): string {
  const dest = confined(project, project.paths.specsDir, `${d.name}.md`, 2, `${d.name}.md`);
  if (pathKind(dest) !== "missing")
    throw new UserError(`${d.targetRel} appeared while the conductor ran; not replaced`);
  writeConfined(project.paths.specsDir, dest, text);
  mkdirSync(join(project.paths.partsDir, d.name), { recursive: true });
  return d.targetRel;
}

/** A failed draft leaves nothing: not even the specs folder Ballador made for it. */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (someone wrote there meanwhile): theirs, kept.
  }
}
