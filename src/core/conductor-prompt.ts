/**
 * The prompts of a headless conductor run (`ballador plan`, `ballador spec draft`): the guide
 * every conductor gets, what exists already, where the one writable place is, and, on a later
 * attempt, the problems Ballador found in the previous one. Pure.
 */
import { conductorGuide, type GuideInput } from "./conductor-guide.js";

export interface SpecListing {
  name: string;
  title: string;
  status: string;
  path: string;
}

export interface PlanPromptInput {
  guide: GuideInput;
  repo: string;
  spec: { name: string; path: string; text: string };
  specs: readonly SpecListing[];
  /** Absolute path of the spec's parts folder: the only writable place. */
  folder: string;
  /** Parts already in that folder, with the task's state when queued. */
  existing: ReadonlyArray<{ id: string; file: string; state: string | null; started: boolean }>;
}

export interface DraftPromptInput {
  guide: GuideInput;
  repo: string;
  title: string;
  context: string;
  specs: readonly SpecListing[];
  /** Absolute path of the spec file to write (already holding the template). */
  file: string;
  name: string;
}

const UNATTENDED = `You run unattended: there is no person to answer questions. Do not ask for permission
or confirmation; decide, and say what you decided and why in your final answer.`;

function specList(specs: readonly SpecListing[]): string {
  if (specs.length === 0) return "(none yet)";
  return specs.map((s) => `- ${s.path}: ${s.title} (${s.status})`).join("\n");
}

export function planPrompt(p: PlanPromptInput): string {
  const existing =
    p.existing.length === 0
      ? "(none yet)"
      : p.existing
          .map(
            (e) =>
              `- ${e.file}: ${e.id}${e.state ? ` (task ${e.state}${e.started ? ": started, do not change or remove it" : ""})` : ""}`,
          )
          .join("\n");
  return `You are Ballador's conductor, planning one spec. ${UNATTENDED}

Your job: cut the spec ${p.spec.path} into parts, and write each part as a file in
${p.folder}/<id>.md (the environment variable BALLADOR_CONDUCTOR_OUTPUT holds this folder).
That folder is the only place you can write: the repository at ${p.repo} is readable and
read-only, and any other write fails. Do not launch, queue or run anything with ballador;
Ballador validates your parts when you finish and the person decides what runs.

First read the code (the files the spec is about, the tests, the README) and the earlier specs,
so that the parts build on what exists and name real files in their scope.

The spec (${p.spec.path}):

<spec>
${p.spec.text.trim()}
</spec>

Existing specs:
${specList(p.specs)}

Parts already in ${p.folder}:
${existing}
Update or remove parts of tasks that have not started when the spec asks for it; never touch
the part of a started task.

${conductorGuide(p.guide)}
When every part is written, answer with the list of parts, the waves in which they can run
in parallel, and anything the person should know.
`;
}

export function draftPrompt(p: DraftPromptInput): string {
  return `You are Ballador's conductor, drafting one living spec. ${UNATTENDED}

Your job: write the spec "${p.title}" into ${p.file} (the environment variable
BALLADOR_CONDUCTOR_OUTPUT holds this path). The file already holds the template: keep its
front matter (number, title, status: draft, created) and its sections, and fill every section.
That file is the only place you can write: the repository at ${p.repo} is readable and
read-only, and any other write fails.

First read the code and the earlier specs, and build on what exists: link to the files and
specs the new one depends on, and do not repeat decisions already made.

What the person said about it:

<context>
${p.context.trim()}
</context>

Existing specs:
${specList(p.specs)}

${conductorGuide(p.guide)}
When the spec is written, answer with a short summary of its decision.
`;
}

/** The prompt of attempt n > 1: what was wrong with the previous attempt, and where. */
export function retryPrompt(
  attempt: number,
  max: number,
  problems: readonly string[],
  where: string,
): string {
  return `This is attempt ${attempt} of ${max}. Ballador checked what you wrote in ${where} and found
these problems:

${problems.map((x) => `- ${x.replace(/\n/g, "\n  ")}`).join("\n")}

Fix every one of them by editing (or removing) the files there; the same rules apply. When you
are done, answer with what you changed.
`;
}
