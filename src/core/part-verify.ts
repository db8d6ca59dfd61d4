/**
 * A part's own `verify:` (issue 28): what decides "done" stays the person's. The conductor may
 * not write one (it would choose the check its own plan is judged by); a person may, and then
 * every place a reviewer looks says so, and `merge` asks for `--accept-part-verify`.
 */

/** A part's verify command that is not the project's. */
export interface PartVerifyOverride {
  /** The part's command. */
  part: string;
  /** The project's command (`verify` in .ballador/config.yaml), or null when none is set. */
  project: string | null;
}

/** The override a task carries, or null when it has none or it says what the project says. */
export function partVerifyOverride(
  partVerify: string | null | undefined,
  projectVerify: string | null | undefined,
): PartVerifyOverride | null {
  if (partVerify === null || partVerify === undefined) return null;
  const project = projectVerify ?? null;
  if (project !== null && partVerify.trim() === project.trim()) return null;
  return { part: partVerify, project };
}

/** One line for people: `part verify "X" instead of the project's "Y"`. Escape it where printed. */
export function overrideText(o: PartVerifyOverride): string {
  return `part verify "${o.part}" instead of the project's ${o.project === null ? "(none set)" : `"${o.project}"`}`;
}

/** Why a part written by the conductor is refused when it carries `verify:`, with the fix. */
export function conductorVerifyProblem(path: string): string {
  return `${path}: verify: a part written by the conductor cannot set its own verify command (the check that decides "done" is the person's, not the planner's); remove the verify line: the project's verify in .ballador/config.yaml applies. Only a person sets a part's verify, and queues it with "ballador queue"`;
}

export interface PartVerifyRefusal {
  message: string;
  details: string[];
}

/**
 * `merge`'s check: a task whose part changes the verify command is merged only when the person
 * says so with `--accept-part-verify`. Null: nothing to accept (or accepted).
 */
export function partVerifyMergeRefusal(
  task: { id: string; verify: string | null },
  projectVerify: string | null,
  accepted: boolean,
): PartVerifyRefusal | null {
  const o = partVerifyOverride(task.verify, projectVerify);
  if (!o || accepted) return null;
  return {
    message: `task ${task.id} was verified by its part's own command, not the project's: accept it with ballador merge ${task.id} --accept-part-verify`,
    details: [
      `part's verify:    ${o.part}`,
      `project's verify: ${o.project ?? "(none set in .ballador/config.yaml)"}`,
    ],
  };
}

/**
 * Whether a markdown file's front matter sets `verify` (a drafted spec: the field means nothing
 * there, and a conductor's text is not where a verify command comes from).
 */
export function frontMatterSetsVerify(text: string): boolean {
  const fm = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  return fm !== null && /^["']?verify["']?\s*:/m.test(fm[1] as string);
}

/** The problem sent back for a drafted spec whose front matter sets `verify`, if it does. */
export function draftVerifyProblems(text: string, path: string): string[] {
  return frontMatterSetsVerify(text)
    ? [
        `${path}: verify: a drafted spec cannot carry a verify command (what decides "done" is the person's); remove the verify line from its front matter`,
      ]
    : [];
}
