/**
 * Declared scopes: the files a part expects to touch, as globs (`src/extract/**`, `docs/*.md`).
 * Used to flag files touched outside scope and to warn when parallel parts may collide.
 */

export function globToRegExp(glob: string): RegExp {
  let re = "";
  const g = glob.replace(/^\.\//, "");
  for (let i = 0; i < g.length; i++) {
    const c = g[i] as string;
    if (c === "*") {
      if (g[i + 1] === "*") {
        // "**/" matches any number of folders, "**" at the end anything below.
        const slash = g[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") {
      re += "[^/]";
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  // A bare folder ("src" or "src/") covers everything inside it.
  if (!/[*?]/.test(g)) re = `${re.replace(/\/$/, "")}(?:/.*)?`;
  return new RegExp(`^${re}$`);
}

export function inScope(file: string, scope: readonly string[]): boolean {
  return scope.some((g) => globToRegExp(g).test(file));
}

/** The fixed folder part of a glob, before its first wildcard. */
function staticPrefix(glob: string): string {
  const g = glob.replace(/^\.\//, "");
  const i = g.search(/[*?]/);
  return i < 0 ? g : g.slice(0, i);
}

/**
 * Whether two scopes may name a common file. Conservative: globs overlap when one's fixed
 * prefix starts the other's (a warning to look, not a proof of conflict).
 */
export function scopesOverlap(a: readonly string[], b: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const x of a) {
    for (const y of b) {
      const px = staticPrefix(x);
      const py = staticPrefix(y);
      if (px.startsWith(py) || py.startsWith(px)) out.push([x, y]);
    }
  }
  return out;
}
