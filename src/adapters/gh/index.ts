/**
 * The forge through the GitHub CLI: `gh api` calls on a pull request named by its URL. Argv only,
 * never a shell; bounded in time and size. What comes back is data written by anyone on the
 * pull request: callers validate its shape and treat every string in it as hostile.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** A pull request as `gh pr create` printed it: https://HOST/OWNER/REPO/pull/N. */
export interface PullRef {
  host: string;
  owner: string;
  repo: string;
  number: number;
  url: string;
}

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** The parts of a pull request URL, or null when it is not one (nothing else is asked of gh). */
export function parsePullUrl(url: string): PullRef | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return null;
  const m = /^\/([^/]+)\/([^/]+)\/pull\/([1-9][0-9]{0,9})\/?$/.exec(u.pathname);
  if (!m) return null;
  const [, owner, repo, n] = m as unknown as [string, string, string, string];
  if (!NAME.test(owner) || !NAME.test(repo) || owner === "." || owner === "..") return null;
  if (repo === "." || repo === "..") return null;
  if (!/^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/.test(u.host)) return null;
  return { host: u.host, owner, repo, number: Number(n), url };
}

export class GhError extends Error {
  override name = "GhError";
}

/** At most this much JSON per call: a page of 100 comments of GitHub's 65,536-character maximum. */
const MAX_OUTPUT = 32 * 1024 * 1024;

/**
 * `gh api --hostname HOST PATH`, parsed as JSON. A failure (not found, not authenticated, no
 * network) is a GhError carrying gh's own message.
 */
export async function ghApi(gh: string, host: string, path: string, cwd: string): Promise<unknown> {
  let stdout: string;
  try {
    ({ stdout } = await exec(gh, ["api", "--hostname", host, path], {
      cwd,
      timeout: 60_000,
      maxBuffer: MAX_OUTPUT,
      env: { ...process.env, GH_PROMPT_DISABLED: "1", GH_NO_UPDATE_NOTIFIER: "1", NO_COLOR: "1" },
    }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new GhError(`gh api ${path}: ${(e.stderr || e.message).trim().slice(0, 2000)}`);
  }
  try {
    return JSON.parse(stdout) as unknown;
  } catch {
    throw new GhError(`gh api ${path} printed something that is not JSON`);
  }
}

/**
 * Every page of a list endpoint (`?per_page=100&page=K`), up to `maxPages`; `truncated` when more
 * may exist. One call per page, so each answer is one JSON array (no reliance on --paginate's
 * concatenation or on --slurp, which older gh lacks).
 */
export async function ghApiList(
  gh: string,
  host: string,
  path: string,
  cwd: string,
  maxPages = 10,
): Promise<{ items: unknown[]; truncated: boolean }> {
  const items: unknown[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const sep = path.includes("?") ? "&" : "?";
    const body = await ghApi(gh, host, `${path}${sep}per_page=100&page=${page}`, cwd);
    if (!Array.isArray(body)) throw new GhError(`gh api ${path}: expected a list, got ${typeof body}`);
    items.push(...body);
    if (body.length < 100) return { items, truncated: false };
  }
  return { items, truncated: true };
}
