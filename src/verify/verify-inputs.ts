/**
 * Verify inputs (issue 28), the git side: what decides a verdict as the base has it, and what a
 * commit changed among it. Everything is read from git objects on the host (never a worktree),
 * through the hardened helpers; package.json is hostile text (size limit, parse errors read as
 * "judge it whole by the base's").
 */
import { blobAt, git } from "../adapters/git/index.js";
import {
  type DependencyChange,
  dependencyChanges,
  inputMatcher,
  judgedManifest,
  MANIFEST_LIMIT,
  parseManifest,
  reachedScripts,
  scriptPaths,
  usesPackageScripts,
  verifyInputGlobs,
} from "../core/verify-inputs.js";

function splitNul(text: string): string[] {
  return text.split("\0").filter(Boolean);
}

export interface BaseVerifyInputs {
  globs: string[];
  match: (path: string) => boolean;
  /** The package.json scripts the verify command reaches on the base (pinned by name). */
  scripts: string[];
}

/** A committed file's text at `rev`, or null (absent, not a regular file, or too large). */
export async function textAt(
  repo: string,
  rev: string,
  path: string,
  max = MANIFEST_LIMIT,
): Promise<string | null> {
  const b = await blobAt(repo, rev, path, max);
  return "text" in b ? b.text : null;
}

/** What decides verification on `base` for this verify command and `verify_inputs` setting. */
export async function baseVerifyInputs(
  repo: string,
  base: string,
  verify: string,
  configured: readonly string[] | null | undefined,
  bootstrap: readonly string[] = [],
): Promise<BaseVerifyInputs> {
  // The verify script as the base has it: what it runs (make, npm test) reaches more inputs; so
  // does the bootstrap, which runs in the checkout before verify (`npm ci` runs `postinstall`).
  const texts: string[] = [...bootstrap];
  for (const p of scriptPaths(verify)) {
    const t = await textAt(repo, base, p, 256 * 1024);
    if (t !== null) texts.push(t);
  }
  const globs = verifyInputGlobs(verify, configured, texts);
  let scripts: string[] = [];
  if (usesPackageScripts(verify, texts)) {
    const manifest = parseManifest(await textAt(repo, base, "package.json"));
    const s = manifest && Object.hasOwn(manifest, "scripts") ? manifest.scripts : null;
    scripts = reachedScripts(verify, s && typeof s === "object" ? (s as Record<string, unknown>) : {}, texts);
  }
  return { globs, match: inputMatcher(globs), scripts };
}

export interface VerifyInputChanges {
  /** Verify input files that differ (content, mode, presence) between the two commits. */
  files: string[];
  /** The package.json to judge with, when its pinned parts differ (text null: remove it). */
  manifest: { text: string | null; changed: string[] } | null;
  /** Everything changed, for people: `conftest.py`, `package.json (scripts.test)`. */
  labels: string[];
}

/**
 * The verify inputs `commit` changed from `base` (two-dot: what the checkout would differ in).
 * `listed`: the paths that differ, when the caller already has them from git (`diff
 * --name-only --no-renames` of the same two commits); otherwise git is asked here.
 */
export async function verifyInputChanges(
  repo: string,
  base: string,
  commit: string,
  inputs: BaseVerifyInputs,
  listed?: readonly string[],
): Promise<VerifyInputChanges> {
  const changed =
    listed ??
    splitNul(
      (
        await git(["diff", "--name-only", "-z", "--no-renames", "--end-of-options", base, commit, "--"], {
          cwd: repo,
        })
      ).stdout,
    );
  const files = changed.filter((p) => inputs.match(p));
  let manifest: VerifyInputChanges["manifest"] = null;
  if (changed.includes("package.json")) {
    const judged = judgedManifest(
      await textAt(repo, base, "package.json"),
      await textAt(repo, commit, "package.json"),
      inputs.scripts,
    );
    if (judged.changed.length) manifest = judged;
  }
  const labels = [
    ...files,
    ...(manifest?.changed ?? []).map((c) => (c === "package.json" ? c : `package.json (${c})`)),
  ];
  return { files, manifest, labels };
}

/** Dependency changes in package.json between two commits (hostile text: tolerated). */
export async function dependencyChangesBetween(
  repo: string,
  base: string,
  commit: string,
): Promise<DependencyChange[]> {
  const a = await textAt(repo, base, "package.json");
  const b = await textAt(repo, commit, "package.json");
  return a === b ? [] : dependencyChanges(a, b);
}

/**
 * The base's side of every verify input, for a verdict's key: mode, blob id and path of each
 * matching file, and the reached script names (their text is in the base's package.json blob).
 */
export async function verifyInputJudges(
  repo: string,
  base: string,
  inputs: BaseVerifyInputs,
): Promise<string[]> {
  const entries = splitNul(
    (await git(["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", base], { cwd: repo })).stdout,
  );
  const judges = entries.filter((e) => {
    const path = e.slice(e.indexOf("\t") + 1);
    return inputs.match(path) || path === "package.json";
  });
  return [...judges.sort(), `scripts:${inputs.scripts.join(",")}`];
}
