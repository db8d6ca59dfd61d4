/** Identifiers that end up in branch names, paths, tmux names and commands: kept to a safe alphabet. */

export const TASK_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function taskIdProblem(id: string): string | null {
  if (TASK_ID_PATTERN.test(id)) return null;
  return (
    `"${printable(id)}" is not a valid id: use 1-64 characters of a-z, 0-9 and "-", ` +
    `starting and ending with a letter or digit (for example "extract-events")`
  );
}

/** Shows a hostile value without letting it rewrite the terminal. */
export function printable(value: string, max = 80): string {
  const shown = JSON.stringify(value).slice(1, -1);
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}

/** A filesystem- and URL-safe slug from a free-text title. */
export function slugify(title: string, max = 48): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/g, "");
  return slug.length > 0 ? slug : "untitled";
}

/** Run ids sort by time and are unique without coordination. */
export function newRunId(taskId: string, attempt: number, now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  return `${taskId}-a${attempt}-${stamp}-${random}`;
}

/** A launch (downbeat) id: sorts by time, unique without coordination. */
export function newLaunchId(now: Date, random: string): string {
  return `launch-${now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "")}-${random}`;
}
