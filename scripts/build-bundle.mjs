#!/usr/bin/env node
/**
 * Bundles the compiled entries (dist/cli/entry.js, the supervisor, the scripted agent) into
 * dist/bundle/: with code splitting, so each lazily imported use case stays a chunk loaded only
 * when its command runs, and with npm packages left outside (resolved from node_modules as
 * usual) but for the sandbox runtime (below). Node loads a few large files much faster than ninety small ones (docs/specs/0006).
 * Run by `npm run build`, ensure-setup and the test set-up, after tsc.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { FORGE_FILE, runtimeBuildOptions } from "./sandbox-runtime-plugin.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNTIME = "@anthropic-ai/sandbox-runtime";
const dist = join(root, "dist");
const runtimeDir = `${dirname(createRequire(import.meta.url).resolve(`${RUNTIME}/package.json`))}/`;

const out = join(dist, "bundle");
rmSync(out, { recursive: true, force: true });
const mainBuild = await build({
  entryPoints: {
    cli: join(dist, "cli", "entry.js"),
    "scripted-agent": join(dist, "scripted-agent", "entry.js"),
    // The launcher switches Node's compile cache on before it loads cli.js (bin/ballador.js).
    "compile-cache": join(dist, "cli", "compile-cache.js"),
    // `status --json` and `next --json` without the command tree (bin/ballador.js).
    "read-fast": join(dist, "cli", "read-fast.js"),
    // A remote run's relay and the runner's serve without the command tree (bin/ballador.js).
    "runner-serve": join(dist, "cli", "runner-serve-fast.js"),
  },
  ...runtimeBuildOptions(root),
  outdir: out,
  splitting: true,
  chunkNames: "chunk-[hash]",
  metafile: true,
});
// Each run's supervisor: a build of its own (docs/specs/0017), so that what it loads is only
// its own code (no chunk shared with the command tree), and without whitespace or comments:
// V8 keeps every loaded file's text in the supervisor's heap for its whole life, and the
// sandbox runtime's comments hold non-ASCII characters, which make V8 keep a file as two bytes
// a character. Names are kept, so stack traces still name functions. Its chunks are named
// apart, beside the rest (the runtime finds its vendor folder beside them).
const supervisorBuild = await build({
  entryPoints: { supervisor: join(dist, "cli", "supervisor-main.js") },
  ...runtimeBuildOptions(root),
  outdir: out,
  splitting: true,
  chunkNames: "supervisor-[hash]",
  minifyWhitespace: true,
  metafile: true,
});
// esbuild escapes non-ASCII text in strings but not in regular expressions: one such character
// would double the heap its file takes in every supervisor, so the build refuses it.
for (const file of Object.keys(supervisorBuild.metafile.outputs)) {
  const text = readFileSync(file, "utf8");
  const at = text.search(/[^\x00-\x7f]/);
  if (at >= 0)
    throw new Error(
      `build-bundle: ${file} holds a non-ASCII character (${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}): write it as an escape (\\uXXXX) in the source`,
    );
}
// What each file of the bundle holds (its inputs, as paths from the package's root): the tests
// that check what a process loads read it, since the supervisor's build keeps no path comments.
const inputs = {};
for (const meta of [mainBuild.metafile, supervisorBuild.metafile])
  for (const [file, o] of Object.entries(meta.outputs)) inputs[basename(file)] = Object.keys(o.inputs).sort();
writeFileSync(join(out, "inputs.json"), JSON.stringify(inputs));
// node-forge, which the runtime's chunks require from beside them on first use (masked secrets'
// TLS termination only): one file, the runtime's own version of it (sandbox-runtime-plugin.mjs).
await build({
  entryPoints: [createRequire(join(runtimeDir, "package.json")).resolve("node-forge")],
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  outfile: join(out, FORGE_FILE),
  minifyWhitespace: true,
  logLevel: "warning",
});
const vendor = join(runtimeDir, "vendor");
for (const part of ["seccomp", "java-proxy-agent"]) {
  cpSync(join(vendor, part), join(out, "vendor", part), { recursive: true });
}
