/**
 * The github source: the issues of a repository through gh (`gh api`, argv only, the same
 * plumbing as `sync`). Reads: the open issues (pull requests left out), and for those that say
 * they have any, their sub-issues and the issues blocking them. Writes: labels, comments and
 * closing, each one `gh api -X METHOD PATH --input -` with the JSON on stdin.
 */

import type { TrackerIssue } from "../../core/sources.js";
import { GhError, ghApi, ghApiList } from "../gh/index.js";
import { execBounded, failure, TrackerError } from "./exec.js";
import { ContractIssue, type Tracker, type TrackerWrite, toIssue, type WriteState } from "./types.js";

export interface GithubTrackerOptions {
  gh: string;
  host: string;
  /** OWNER/NAME. */
  repo: string;
  cwd: string;
}

/** The labels Ballador's states put on an issue (a claim label is per instance). */
export const GITHUB_LABELS: Partial<Record<WriteState, string>> = {
  running: "ballador: in progress",
  review: "ballador: in review",
};

interface GhIssue {
  number?: unknown;
  title?: unknown;
  body?: unknown;
  html_url?: unknown;
  state?: unknown;
  labels?: unknown;
  assignees?: unknown;
  pull_request?: unknown;
  sub_issues_summary?: { total?: unknown };
  issue_dependencies_summary?: { blocked_by?: unknown };
}

const names = (list: unknown, field: string): string[] =>
  Array.isArray(list)
    ? list.flatMap((x) => {
        const v = typeof x === "string" ? x : (x as Record<string, unknown> | null)?.[field];
        return typeof v === "string" ? [v] : [];
      })
    : [];

function toContract(raw: GhIssue, blockedBy: string[], parent: string | null): TrackerIssue {
  const r = ContractIssue.safeParse({
    source_ref: raw.number,
    key: `#${String(raw.number)}`,
    title: raw.title,
    body: typeof raw.body === "string" ? raw.body : null,
    url: typeof raw.html_url === "string" ? raw.html_url : null,
    state: raw.state === "closed" ? "closed" : "open",
    labels: names(raw.labels, "name"),
    assignees: names(raw.assignees, "login"),
    blocked_by: blockedBy,
    parent,
  });
  if (!r.success || typeof raw.number !== "number")
    throw new TrackerError(
      `gh answered an issue that is not one (${r.success ? "number" : r.error.issues[0]?.path.join(".")})`,
    );
  return toIssue(r.data);
}

const is404 = (err: unknown) => err instanceof GhError && /HTTP 404/.test(err.message);

/** The open issues (pull requests left out), with sub-issues and open blockers where they say they have any. */
async function listIssues(
  o: GithubTrackerOptions,
  optionalList: (path: string) => Promise<GhIssue[]>,
): Promise<{ issues: TrackerIssue[]; me: string | null }> {
  const base = `repos/${o.repo}`;
  const me = await ghApi(o.gh, o.host, "user", o.cwd)
    .then((u) =>
      typeof (u as { login?: unknown }).login === "string" ? (u as { login: string }).login : null,
    )
    .catch(() => null);
  const { items } = await ghApiList(o.gh, o.host, `${base}/issues?state=open`, o.cwd);
  const raws = (items as GhIssue[]).filter((i) => i && typeof i === "object" && i.pull_request === undefined);
  const parentOf = new Map<string, string>();
  const blockers = new Map<string, string[]>();
  for (const raw of raws) {
    const n = String(raw.number);
    if (Number(raw.sub_issues_summary?.total) > 0)
      for (const c of await optionalList(`${base}/issues/${n}/sub_issues`)) parentOf.set(String(c.number), n);
    if (Number(raw.issue_dependencies_summary?.blocked_by) > 0)
      blockers.set(
        n,
        (await optionalList(`${base}/issues/${n}/dependencies/blocked_by`))
          .filter((b) => b.state !== "closed")
          .map((b) => String(b.number)),
      );
  }
  const issues = raws.map((raw) =>
    toContract(raw, blockers.get(String(raw.number)) ?? [], parentOf.get(String(raw.number)) ?? null),
  );
  return { issues, me };
}

export function githubTracker(o: GithubTrackerOptions): Tracker {
  const base = `repos/${o.repo}`;
  const read = (path: string) => ghApi(o.gh, o.host, path, o.cwd);
  /** A list that a forge without the feature (an older GHES) answers 404 to: none. */
  const optionalList = async (path: string): Promise<GhIssue[]> => {
    try {
      return (await ghApiList(o.gh, o.host, path, o.cwd, 3)).items as GhIssue[];
    } catch (err) {
      if (is404(err)) return [];
      throw err;
    }
  };
  const send = async (method: string, path: string, body: unknown) => {
    const r = await execBounded(o.gh, ["api", "--hostname", o.host, "-X", method, path, "--input", "-"], {
      cwd: o.cwd,
      env: { ...process.env, GH_PROMPT_DISABLED: "1", GH_NO_UPDATE_NOTIFIER: "1", NO_COLOR: "1" },
      input: JSON.stringify(body),
      timeoutMs: 60_000,
      maxBytes: 8 * 1024 * 1024,
    });
    if (r.code !== 0 || r.timedOut) throw new TrackerError(failure(`gh api -X ${method} ${path}`, r, 60_000));
  };
  const label = (n: string, name: string) => send("POST", `${base}/issues/${n}/labels`, { labels: [name] });
  const unlabel = (n: string, name: string) =>
    send("DELETE", `${base}/issues/${n}/labels/${encodeURIComponent(name)}`, {}).catch(() => undefined);
  return {
    what: (i) => `GitHub issue ${o.repo}${i.key}`,
    list: () => listIssues(o, optionalList),
    async get(ref) {
      try {
        return toContract((await read(`${base}/issues/${ref}`)) as GhIssue, [], null);
      } catch (err) {
        if (is404(err)) return null;
        throw err;
      }
    },
    async mark(ref, w: TrackerWrite) {
      if (!/^[1-9][0-9]{0,9}$/.test(ref))
        throw new TrackerError(`not an issue number: ${JSON.stringify(ref)}`);
      const comment = (text: string) => send("POST", `${base}/issues/${ref}/comments`, { body: text });
      if (w.state === "claimed") return label(ref, `ballador-claim:${w.instance}`);
      if (w.state === "running") return label(ref, GITHUB_LABELS.running as string);
      if (w.state === "review") {
        await label(ref, GITHUB_LABELS.review as string);
        await unlabel(ref, GITHUB_LABELS.running as string);
      }
      if (w.state === "merged" || w.state === "abandoned") await unlabel(ref, GITHUB_LABELS.review as string);
      if (w.state === "abandoned") await unlabel(ref, GITHUB_LABELS.running as string);
      if (w.state === "merged" && w.close)
        await send("PATCH", `${base}/issues/${ref}`, { state: "closed", state_reason: "completed" });
      // The comment last: labels and the close change nothing when sent again after a failure.
      if (w.text) await comment(w.text);
    },
  };
}
