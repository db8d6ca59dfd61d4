/** Facts about run rows that several use cases need. */

/** Outcomes only a reviewer's run ends with. */
const REVIEWER_OUTCOMES = new Set(["approved", "changes-requested", "no-verdict"]);

/** A reviewer's run reads the work: it is never one of the implementer's attempts. */
export function isReviewerRun(r: { outcome: string | null; id: string }): boolean {
  // Reviewer run ids end in -r<hex> (see supervise's runReviewer); a live one has no outcome yet.
  return (
    (r.outcome !== null && REVIEWER_OUTCOMES.has(r.outcome)) || /-a\d+-\d{8}T\d{6}-r[0-9a-f]+$/.test(r.id)
  );
}
