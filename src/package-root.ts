/**
 * Where Ballador's own package is, found from this module's file whether it runs from dist/
 * (one file per module), from the bundle in dist/bundle/ (a different depth), or from src/
 * under the test runner: the nearest folder above with Ballador's package.json.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findPackageRoot(from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "ballador")
          return dir;
      } catch {
        // not ours (unreadable or not JSON): keep going up
      }
    }
    if (dirname(dir) === dir) throw new Error(`Ballador's package.json is not above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(fileURLToPath(import.meta.url));
