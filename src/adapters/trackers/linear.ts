/**
 * The linear source: Linear's GraphQL API over HTTPS, the API key in the Authorization header
 * of the host's own requests (never in an agent's environment). Reads the team's issues that
 * are not completed or canceled, with labels, assignee, parent, the issues blocking them and
 * claim comments; writes comments and workflow states (started, a "review" one, completed).
 */
import type { TrackerIssue } from "../../core/sources.js";
import { TrackerError } from "./exec.js";
import { ContractIssue, type Tracker, type TrackerWrite, toIssue } from "./types.js";

export interface LinearTrackerOptions {
  url: string;
  apiKey: string;
  team: string | null;
  /** The workflow states to move to, by name (any case); unset: found by type (see moves). */
  states?: { running?: string; review?: string; merged?: string };
}

interface WorkflowState {
  id: string;
  type: string;
  name: string;
}

/** Where each write moves an issue when no name is configured: by the state's type and name. */
const DEFAULT_MOVES: Record<"running" | "review" | "merged", (s: WorkflowState) => boolean> = {
  running: (s) => s.type === "started" && !/review/i.test(s.name),
  review: (s) => s.type === "started" && /review/i.test(s.name),
  merged: (s) => s.type === "completed",
};

const FIELDS = `id identifier title description url state { type }
  labels(first: 50) { nodes { name } }
  assignee { email displayName }
  parent { id }
  inverseRelations(first: 50) { nodes { type issue { id state { type } } } }
  comments(first: 50) { nodes { body } }`;

interface LinearIssue {
  id: string;
  identifier: string;
  title: string;
  description: string | null;
  url: string | null;
  state: { type: string } | null;
  labels?: { nodes: Array<{ name: string }> };
  assignee?: { email?: string; displayName?: string } | null;
  parent?: { id: string } | null;
  inverseRelations?: {
    nodes: Array<{ type: string; issue: { id: string; state: { type: string } | null } }>;
  };
  comments?: { nodes: Array<{ body: string }> };
}

const DONE = ["completed", "canceled"];

function toTracker(i: LinearIssue): TrackerIssue {
  const claims = (i.comments?.nodes ?? []).flatMap((c) => {
    const m = /^ballador-claim:([A-Za-z0-9._-]{1,35})\s*$/m.exec(typeof c?.body === "string" ? c.body : "");
    return m ? [m[1] as string] : [];
  });
  const r = ContractIssue.safeParse({
    source_ref: i.id,
    key: i.identifier,
    title: i.title,
    body: i.description ?? null,
    url: i.url ?? null,
    state: DONE.includes(i.state?.type ?? "") ? "closed" : "open",
    labels: (i.labels?.nodes ?? []).map((l) => l?.name),
    assignees: [i.assignee?.email, i.assignee?.displayName].filter((x): x is string => typeof x === "string"),
    blocked_by: (i.inverseRelations?.nodes ?? [])
      .filter((n) => n?.type === "blocks" && !DONE.includes(n.issue?.state?.type ?? ""))
      .map((n) => n.issue.id),
    parent: i.parent?.id ?? null,
    claimed_by: claims,
  });
  if (!r.success)
    throw new TrackerError(`Linear answered an issue that is not one (${r.error.issues[0]?.path.join(".")})`);
  return toIssue(r.data);
}

/** One GraphQL request; an HTTP or GraphQL error is a TrackerError with Linear's own words. */
async function linearAsk<T>(
  o: LinearTrackerOptions,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(o.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: o.apiKey },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new TrackerError(`Linear: ${(err as Error).message}`);
  }
  const text = await res.text();
  let doc: { data?: T; errors?: Array<{ message?: string }> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new TrackerError(`Linear answered HTTP ${res.status} with something that is not JSON`);
  }
  if (!res.ok || doc.errors?.length || !doc.data)
    throw new TrackerError(
      `Linear answered HTTP ${res.status}: ${String(doc.errors?.[0]?.message ?? "no data").slice(0, 300)}`,
    );
  return doc.data;
}

export function linearTracker(o: LinearTrackerOptions): Tracker {
  const ask = <T>(query: string, variables: Record<string, unknown>) => linearAsk<T>(o, query, variables);
  const comment = (id: string, body: string) =>
    ask("mutation($input: CommentCreateInput!) { commentCreate(input: $input) { success } }", {
      input: { issueId: id, body },
    });
  /**
   * Moves the issue to the state its team calls `name` (refused, naming the team's states, when
   * it has none of that name), or to the default's pick (none: no move, as for a team without a
   * review state).
   */
  const moveTo = async (id: string, move: "running" | "review" | "merged") => {
    const d = await ask<{ issue: { team: { states: { nodes: WorkflowState[] } } } | null }>(
      "query($id: String!) { issue(id: $id) { team { states { nodes { id type name } } } } }",
      { id },
    );
    const states = d.issue?.team?.states?.nodes ?? [];
    const name = o.states?.[move];
    const state = name
      ? states.find((s) => s.name.toLowerCase() === name.toLowerCase())
      : states.find(DEFAULT_MOVES[move]);
    if (!state && name)
      throw new TrackerError(
        `Linear: the team of this issue has no workflow state named ${JSON.stringify(name)} (it has: ${states
          .map((s) => s.name)
          .join(", ")
          .slice(0, 300)}); correct states.${move} of the source`,
      );
    if (state)
      await ask(
        "mutation($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }",
        { id, input: { stateId: state.id } },
      );
  };
  return {
    what: (i) => `Linear issue ${i.key}`,
    async list() {
      const me =
        (await ask<{ viewer: { email?: string } }>("query { viewer { email } }", {})).viewer.email ?? null;
      const filter: Record<string, unknown> = { state: { type: { nin: DONE } } };
      if (o.team) filter.team = { key: { eq: o.team } };
      const issues: TrackerIssue[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const d: {
          issues: { nodes: LinearIssue[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
        } = await ask(
          `query($after: String, $filter: IssueFilter) { issues(first: 100, after: $after, filter: $filter) { pageInfo { hasNextPage endCursor } nodes { ${FIELDS} } } }`,
          { after, filter },
        );
        issues.push(...d.issues.nodes.map(toTracker));
        if (!d.issues.pageInfo.hasNextPage) break;
        after = d.issues.pageInfo.endCursor;
      }
      return { issues, me };
    },
    async get(ref) {
      const d = await ask<{ issue: LinearIssue | null }>(
        `query($id: String!) { issue(id: $id) { ${FIELDS} } }`,
        { id: ref },
      );
      return d.issue ? toTracker(d.issue) : null;
    },
    async mark(ref, w: TrackerWrite) {
      if (w.state === "claimed") return void (await comment(ref, `ballador-claim:${w.instance}`));
      // Moves first: sent again they change nothing, so a comment that fails after one is retried alone in effect.
      if (w.state === "running" || w.state === "review") await moveTo(ref, w.state);
      if (w.state === "merged" && w.close) await moveTo(ref, "merged");
      if (w.text) await comment(ref, w.text);
    },
  };
}
