#!/usr/bin/env node
/**
 * Bundles the compiled entries (dist/cli/entry.js, the supervisor, the scripted agent) into
 * dist/bundle/: with code splitting, so each lazily imported use case stays a chunk loaded only
 * when its command runs, and with npm packages left outside (resolved from node_modules as
 * usual). Node loads a few large files much faster than ninety small ones (docs/specs/0006).
 * Run by `npm run build`, ensure-setup and the test set-up, after tsc.
 */
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const out = join(dist, "bundle");
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: {
    cli: join(dist, "cli", "entry.js"),
    supervisor: join(dist, "cli", "supervisor-main.js"),
    "scripted-agent": join(dist, "scripted-agent", "entry.js"),
  },
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  chunkNames: "chunk-[hash]",
  logLevel: "warning",
});
