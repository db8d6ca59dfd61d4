#!/usr/bin/env node
/**
 * Bundles the compiled entries (dist/cli/entry.js, the supervisor, the scripted agent) into
 * dist/bundle/: with code splitting, so each lazily imported use case stays a chunk loaded only
 * when its command runs, and with npm packages left outside (resolved from node_modules as
 * usual) but for the sandbox runtime (below). Node loads a few large files much faster than ninety small ones (docs/specs/0006).
 * Run by `npm run build`, ensure-setup and the test set-up, after tsc.
 */
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { REQUIRE_BANNER, sandboxRuntimePlugin } from "./sandbox-runtime-plugin.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNTIME = "@anthropic-ai/sandbox-runtime";
const dist = join(root, "dist");
const runtimeDir = `${dirname(createRequire(import.meta.url).resolve(`${RUNTIME}/package.json`))}/`;

const out = join(dist, "bundle");
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: {
    cli: join(dist, "cli", "entry.js"),
    supervisor: join(dist, "cli", "supervisor-main.js"),
    "scripted-agent": join(dist, "scripted-agent", "entry.js"),
    // The launcher switches Node's compile cache on before it loads cli.js (bin/ballador.js).
    "compile-cache": join(dist, "cli", "compile-cache.js"),
    // `status --json` and `next --json` without the command tree (bin/ballador.js).
    "read-fast": join(dist, "cli", "read-fast.js"),
    // A remote run's relay and the runner's serve without the command tree (bin/ballador.js).
    "runner-serve": join(dist, "cli", "runner-serve-fast.js"),
  },
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  plugins: [sandboxRuntimePlugin(root)],
  banner: { js: REQUIRE_BANNER },
  chunkNames: "chunk-[hash]",
  logLevel: "warning",
});
const vendor = join(runtimeDir, "vendor");
for (const part of ["seccomp", "java-proxy-agent"]) {
  cpSync(join(vendor, part), join(out, "vendor", part), { recursive: true });
}
