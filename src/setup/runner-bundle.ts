/**
 * Ballador's own bundle, as a runner gets it: a gzip tar of bin/, dist/bundle/, package.json and
 * the npm packages the bundle leaves outside it (package.json's dependencies, but the sandbox
 * runtime, which the bundle holds), each with its own dependencies. Made with the system `tar`
 * and sent through ssh's stdin, so the runner needs no registry and no scp.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { PACKAGE_ROOT } from "../package-root.js";

/** Inlined into dist/bundle by scripts/build-bundle.mjs: not needed beside it. */
const INLINED = new Set(["@anthropic-ai/sandbox-runtime"]);

/** Parts of a package a runner never needs: better-sqlite3's sources and build intermediates. */
const TRIM: Record<string, string[]> = {
  "better-sqlite3": ["package.json", "lib", join("build", "Release", "better_sqlite3.node")],
};

/** The folder of package `name` as Node would find it from `from` (walking up node_modules). */
function packageDir(name: string, from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

function dependenciesOf(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  return [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})];
}

/** Each entry: the folder tar changes to, and a path inside it (as it lands on the runner). */
export function bundleEntries(): Array<{ base: string; path: string }> {
  const out: Array<{ base: string; path: string }> = [];
  for (const part of ["bin", join("dist", "bundle"), "package.json"])
    out.push({ base: PACKAGE_ROOT, path: part });
  const seen = new Set<string>();
  const visit = (fromDir: string, names: string[]) => {
    for (const name of names) {
      if (INLINED.has(name)) continue;
      const dir = packageDir(name, fromDir);
      // An optional dependency for another platform is not installed: nothing to send.
      if (!dir || seen.has(dir)) continue;
      seen.add(dir);
      // Inside the package: its path from the package root. Hoisted above it (a global install's
      // layout): its path from the node_modules it sits in, which lands beside ours on the runner.
      const inside = !relative(PACKAGE_ROOT, dir).startsWith("..");
      const cut = dir.lastIndexOf(`${sep}node_modules${sep}`);
      const base = inside ? PACKAGE_ROOT : dir.slice(0, cut);
      const rel = relative(base, dir);
      const trim = TRIM[name];
      if (trim) for (const t of trim) out.push({ base, path: join(rel, t) });
      else out.push({ base, path: rel });
      visit(dir, dependenciesOf(dir));
    }
  };
  visit(PACKAGE_ROOT, dependenciesOf(PACKAGE_ROOT));
  return out.filter((e) => existsSync(join(e.base, e.path)));
}

/** The bundle as one gzip tar in memory (tens of MiB), made once per command. */
export function bundleTarball(): Promise<Buffer> {
  const args = ["-czf", "-", "--owner=0", "--group=0", "--numeric-owner"];
  for (const e of bundleEntries()) args.push("-C", e.base, e.path);
  return new Promise((resolve, reject) => {
    execFile("tar", args, { encoding: "buffer", maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`tar of Ballador's bundle failed: ${stderr.toString().trim() || err.message}`));
      else resolve(stdout);
    });
  });
}
