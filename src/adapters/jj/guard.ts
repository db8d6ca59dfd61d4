// The bookmark guard: the jj counterpart of the per-run ref copy (src/run/run-refs.ts). An agent's
// jj writes operations into the shared store (jj cannot work otherwise), and an operation can move
// any bookmark or another workspace's working-copy commit. After every step the host compares the
// repository with what Ballador expects, puts every bookmark back, and reports each difference.
import type { JjOptions } from "./run.js";
import { deleteBookmark, listBookmarks, listWorkspaces, setBookmark } from "./workspace.js";

/** What Ballador expects: every local bookmark's commit, and every workspace's working-copy commit. */
export interface Expected {
  bookmarks: Map<string, string | null>;
  workspaces: Map<string, string>;
}

export interface Violation {
  kind: "bookmark" | "workspace";
  name: string;
  /** The commit Ballador expected (null: the name should not exist). */
  expected: string | null;
  /** What the repository held (null: deleted). */
  found: string | null;
  /** Whether Ballador put it back. */
  undone: boolean;
}

export async function expectNow(repo: string, opts: JjOptions = {}): Promise<Expected> {
  return { bookmarks: await listBookmarks(repo, opts), workspaces: await listWorkspaces(repo, opts) };
}

function differences<V>(expected: Map<string, V>, found: Map<string, V>, skip: (name: string) => boolean) {
  const out: { name: string; expected: V | null; found: V | null }[] = [];
  for (const name of new Set([...expected.keys(), ...found.keys()])) {
    if (skip(name)) continue;
    const [e, f] = [expected.get(name) ?? null, found.get(name) ?? null];
    if (e !== f) out.push({ name, expected: e, found: f });
  }
  return out;
}

/**
 * Compares the repository with `expected`, leaving out the run's own bookmark and workspace (the
 * host sets the bookmark itself from the workspace's head), and restores each bookmark that moved,
 * appeared or vanished. Another workspace's working-copy commit cannot be set from outside that
 * workspace: such a change is reported, not undone (the task fails as a violation).
 */
export async function guardCheck(
  repo: string,
  expected: Expected,
  own: { bookmark: string; workspace: string },
  opts: JjOptions = {},
): Promise<Violation[]> {
  const now = await expectNow(repo, opts);
  const out: Violation[] = [];
  for (const d of differences(expected.bookmarks, now.bookmarks, (n) => n === own.bookmark)) {
    if (d.expected === null) await deleteBookmark(repo, d.name, opts);
    else await setBookmark(repo, d.name, d.expected, opts);
    out.push({ kind: "bookmark", ...d, undone: true });
  }
  for (const d of differences(expected.workspaces, now.workspaces, (n) => n === own.workspace))
    out.push({ kind: "workspace", ...d, undone: false });
  return out;
}
