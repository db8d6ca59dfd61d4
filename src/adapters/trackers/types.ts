/** What every tracker adapter offers the sources stage. */
import { z } from "zod";
import { CLAIM_PREFIX, ISSUE_LIMITS, type TrackerIssue, type WriteState } from "../../core/sources.js";

export { WRITE_STATES, type WriteState } from "../../core/sources.js";

export interface TrackerWrite {
  state: WriteState;
  instance: string;
  /** Ballador's words for a comment (the reason, the brief's summary), or empty. */
  text: string;
  /** The pull request, at review and merged, when there is one. */
  url: string | null;
  /** merged with close_on: merged. */
  close: boolean;
}

export interface Tracker {
  /** "GitHub issue acme/widgets#12". */
  what(issue: TrackerIssue): string;
  /**
   * The open issues that may be imported (the tracker may narrow by label), and who the token
   * belongs to (assignee "@me"; null when the tracker cannot say).
   */
  list(label: string): Promise<{ issues: TrackerIssue[]; me: string | null }>;
  /** One issue by its ref, closed ones too; null when it is gone. */
  get(ref: string): Promise<TrackerIssue | null>;
  mark(ref: string, write: TrackerWrite): Promise<void>;
}

const str = (max: number) => z.string().max(max * 4);

/** The shell contract's issue (and what the other adapters map to before checking). */
export const ContractIssue = z.object({
  source_ref: z.union([z.string().min(1).max(ISSUE_LIMITS.ref), z.number().int()]).transform(String),
  key: z.union([str(ISSUE_LIMITS.key).min(1), z.number().int()]).transform(String),
  title: z.string().max(100_000),
  body: z.string().nullable().optional(),
  url: z.string().max(2000).nullable().optional(),
  state: z.enum(["open", "closed"]).default("open"),
  labels: z.array(str(ISSUE_LIMITS.label)).max(500).default([]),
  assignees: z.array(str(200)).max(100).default([]),
  blocked_by: z
    .array(z.union([z.string().max(ISSUE_LIMITS.ref), z.number().int()]).transform(String))
    .max(500)
    .default([]),
  parent: z
    .union([z.string().max(ISSUE_LIMITS.ref), z.number().int()])
    .transform(String)
    .nullable()
    .optional(),
  claimed_by: z.array(str(100)).max(100).default([]),
});
export type ContractIssue = z.infer<typeof ContractIssue>;

/** Bounds the issue (1 MB bodies are cut here, before anything else reads them). */
export function toIssue(c: ContractIssue): TrackerIssue {
  const labels = c.labels.slice(0, ISSUE_LIMITS.labels).map((l) => l.slice(0, ISSUE_LIMITS.label));
  return {
    ref: c.source_ref.slice(0, ISSUE_LIMITS.ref),
    key: c.key.slice(0, ISSUE_LIMITS.key),
    title: c.title.slice(0, 2000),
    // Over the part's bound (controls are removed later), so the part can say it was cut.
    body: (c.body ?? "").slice(0, ISSUE_LIMITS.body * 2),
    url: c.url && /^https?:\/\//.test(c.url) ? c.url : null,
    open: c.state === "open",
    labels,
    assignees: c.assignees,
    blockedBy: c.blocked_by,
    parent: c.parent ?? null,
    claimedBy: [
      ...c.claimed_by,
      ...c.labels
        .filter((l) => l.toLowerCase().startsWith(CLAIM_PREFIX))
        .map((l) => l.slice(CLAIM_PREFIX.length)),
    ],
  };
}
