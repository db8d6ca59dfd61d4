/**
 * "Unverified": a task whose newest verification Ballador ran (clean, update or merge; an
 * agent's own gate does not count) had no verify command. Shown wherever the task is, so that
 * "passed" is never read into work nothing checked. (The store's unverifiedTaskIds is the same
 * rule as one query for the whole queue.)
 */
export function verifiedByNothing(
  verifications: ReadonlyArray<{ kind: string; command: string | null }>,
): boolean {
  for (let i = verifications.length - 1; i >= 0; i--) {
    const v = verifications[i] as { kind: string; command: string | null };
    if (v.kind !== "gate") return v.command === null;
  }
  return false;
}

/** What the person reads beside such a task, and what to do about it. */
export const UNVERIFIED_TEXT =
  "unverified: no verify command checked this work (set verify: in .ballador/config.yaml; ballador merge asks for --unverified)";
