/**
 * Declared scopes: the files a part expects to touch, as globs (`src/extract/**`, `docs/*.md`,
 * `src/{api,cli}/**`, `src/v[12]/*.ts`, `!src/**\/*.test.ts`). Used to flag files touched outside
 * scope and to warn when parallel parts may collide. Matching is picomatch's (bash-like globs:
 * braces, classes, extglobs); two rules of Ballador's own on top:
 * - a bare folder (`src` or `src/`) covers everything inside it;
 * - `!pattern` excludes: a file is in scope when a positive pattern matches it and no negated
 *   one does (a scope of negations only means "everything but these").
 * Dotfiles match like any file (`src/**` covers `src/.env`): a scope is about files, not listings.
 */
import picomatch from "picomatch";

const OPTIONS: picomatch.PicomatchOptions = { dot: true, strictBrackets: true };

function normalize(glob: string): string {
  return glob.replace(/^\.\//, "");
}

function isNegated(glob: string): boolean {
  return glob.startsWith("!");
}

/** A matcher for one positive pattern (no leading `!`). */
function matcher(glob: string): (file: string) => boolean {
  const g = normalize(glob);
  if (!picomatch.scan(g).isGlob) {
    const folder = g.replace(/\/+$/, "");
    return (file) => file === folder || file.startsWith(`${folder}/`);
  }
  return picomatch(g, OPTIONS);
}

/**
 * Why a scope pattern cannot be used, or null when it can: picomatch must parse it (unclosed
 * `[`, `{` or `(` are errors, not literal text), and it must stay inside the repository.
 */
export function scopePatternProblem(glob: string): string | null {
  const g = normalize(isNegated(glob) ? glob.slice(1) : glob);
  if (g.trim() === "") return `"${glob}" is empty`;
  if (g.startsWith("/")) return `"${glob}" is absolute; scopes are paths relative to the repository root`;
  if (g.split("/").includes("..")) return `"${glob}" leaves the repository (".."); scopes stay inside it`;
  try {
    picomatch.makeRe(g, OPTIONS);
  } catch (err) {
    return `"${glob}" is not a valid glob: ${(err as Error).message}`;
  }
  return null;
}

export function inScope(file: string, scope: readonly string[]): boolean {
  const positive = scope.filter((g) => !isNegated(g));
  const negative = scope.filter(isNegated).map((g) => g.slice(1));
  const included = positive.length === 0 ? negative.length > 0 : positive.some((g) => matcher(g)(file));
  return included && !negative.some((g) => matcher(g)(file));
}

/** The fixed folder part of a glob, before its first wildcard, brace or class. */
function staticPrefix(glob: string): string {
  const g = normalize(glob);
  const scan = picomatch.scan(g);
  return scan.isGlob ? (scan.base ? `${scan.base}/` : "") : g;
}

/**
 * Whether two scopes may name a common file. Conservative: globs overlap when one's fixed
 * prefix starts the other's (a warning to look, not a proof of conflict). Negations only narrow
 * a scope, so they are left out of this estimate.
 */
export function scopesOverlap(a: readonly string[], b: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const x of a.filter((g) => !isNegated(g))) {
    for (const y of b.filter((g) => !isNegated(g))) {
      const px = staticPrefix(x);
      const py = staticPrefix(y);
      if (px.startsWith(py) || py.startsWith(px)) out.push([x, y]);
    }
  }
  return out;
}
