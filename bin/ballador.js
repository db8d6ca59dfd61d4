#!/usr/bin/env node
// Launcher only. `npm run build` compiles src/ into dist/ and bundles the entries into
// dist/bundle/ (a few files to load instead of ninety); without the bundle, the compiled modules.
import { existsSync } from "node:fs";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // The version alone needs none of the command tree (docs/specs/0016-cost-startup.md).
  const { VERSION } = await import("../dist/version.js");
  process.stdout.write(`${VERSION}\n`);
} else {
  // Node 22+: compiled code cached in Ballador's own cache folder; Node 20: nothing.
  (await import("../dist/cli/compile-cache.js")).enableCompileCache();
  const bundle = new URL("../dist/bundle/cli.js", import.meta.url);
  await import(existsSync(bundle) ? bundle.href : "../dist/cli/entry.js");
}
