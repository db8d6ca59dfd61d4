/** The board as the page holds it, fed by the server's events. */

export interface Row {
  id: string;
  title: string;
  state: string;
  reason: string | null;
  agent: string;
  role: string | null;
  attempt: number;
  priority: number;
  since: string;
  needs: string[];
  branch: string | null;
  denials: number;
  notes: number;
  /** The agent waits for a person: what it asked (agent text: rendered as text only). */
  waiting: { since: string; asked: string; nudgedAt: string | null } | null;
  /** Its pipeline stage ("2/3 implementer"), or null. */
  stage: string | null;
  /** What its runs used (the agents' own records), or null. */
  cost: string | null;
  /** The part's own verify command when it is not the project's, or null. */
  partVerify: { part: string; project: string | null } | null;
  /** Nothing checked its work (no verify command). */
  unverified?: boolean;
  /** The runner (another machine) its newest run was on; null: this machine. */
  runner?: string | null;
}

/** The tooltip of an "unverified" mark. */
export const UNVERIFIED_TITLE =
  "No verify command checked this work: set verify: in .ballador/config.yaml; ballador merge asks for --unverified";

export interface BoardMessage {
  root: string;
  sandbox: string;
  /** Set while the config switches most of the sandbox off on purpose (issue 29). */
  sandboxWarning?: string | null;
  rows: Row[];
  review: string[];
  order: string[] | null;
}

export interface PatchMessage {
  upsert: Row[];
  remove: string[];
  review: string[];
  order?: string[];
}

export const NEEDS_YOU = new Set(["review", "blocked", "failed", "stopped"]);

/** A person is needed: a verdict or decision (the state), or a running agent that asks. */
export function needsYou(r: Row): boolean {
  return NEEDS_YOU.has(r.state) || r.waiting !== null;
}

/** A decision is the person's (issue 34): an agent asks, or the task is blocked, failed or stopped. */
export function waitingForYou(r: Row): boolean {
  return r.waiting !== null || r.state === "blocked" || r.state === "failed" || r.state === "stopped";
}

/** Verified work waits for a verdict: not an alarm, a queue. */
export function readyForReview(r: Row): boolean {
  return r.state === "review" && r.waiting === null;
}
export const ACTIVE = new Set(["running", "verifying"]);
export const FINISHED = new Set(["merged", "abandoned"]);

export const STATE_ORDER = [
  "running",
  "verifying",
  "review",
  "blocked",
  "failed",
  "stopped",
  "ready",
  "queued",
  "merged",
  "abandoned",
];

export class BoardModel {
  rows = new Map<string, Row>();
  /** Queue order. */
  ids: string[] = [];
  review: string[] = [];
  order: string[] | null = null;
  root = "";
  sandbox = "";
  sandboxWarning: string | null = null;
  /** Bumped when ids or dependencies change (the graph must be laid out again). */
  shape = 0;

  load(m: BoardMessage): void {
    this.rows = new Map(m.rows.map((r) => [r.id, r]));
    this.ids = m.rows.map((r) => r.id);
    this.review = m.review;
    this.order = m.order;
    this.root = m.root;
    this.sandbox = m.sandbox;
    this.sandboxWarning = m.sandboxWarning ?? null;
    this.shape++;
  }

  /** Applies a patch; returns the ids whose rows changed. */
  apply(p: PatchMessage): Set<string> {
    const changed = new Set<string>();
    for (const r of p.upsert) {
      const old = this.rows.get(r.id);
      if (!old) {
        this.ids.push(r.id);
        this.shape++;
      } else if (old.needs.join(",") !== r.needs.join(",")) this.shape++;
      this.rows.set(r.id, r);
      changed.add(r.id);
    }
    if (p.remove.length) {
      const gone = new Set(p.remove);
      for (const id of gone) {
        this.rows.delete(id);
        changed.add(id);
      }
      this.ids = this.ids.filter((id) => !gone.has(id));
      this.shape++;
    }
    this.review = p.review;
    if (p.order) this.order = p.order;
    return changed;
  }

  /** Review queue in the suggested merge order when it is known for this review set. */
  reviewQueue(): Row[] {
    const set = new Set(this.review);
    const ordered =
      this.order && this.order.length === this.review.length && this.order.every((id) => set.has(id))
        ? this.order
        : this.review;
    return ordered.map((id) => this.rows.get(id)).filter((r): r is Row => r !== undefined);
  }

  counts(): Record<string, number> {
    const c: Record<string, number> = {};
    for (const r of this.rows.values()) c[r.state] = (c[r.state] ?? 0) + 1;
    return c;
  }
}
