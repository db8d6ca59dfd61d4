/**
 * The esbuild plugin that inlines @anthropic-ai/sandbox-runtime into a bundle (scripts/build-bundle.mjs,
 * and the masked-secrets bench's child), with its `which` answered in process and its proxy's
 * masked-secret lines rewritten to call Ballador's hooks.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const RUNTIME = "@anthropic-ai/sandbox-runtime";

/**
 * Masked secrets: the runtime's proxy puts a real value into every header and the whole body of
 * requests to the secret's hosts, and passes responses untouched, with no option for either. Its
 * request-injection and response lines are rewritten to call src/adapters/sandbox/proxy-hooks.ts
 * (a secret only where its config says; every response scrubbed of real values). Each rewrite
 * must match exactly as many times as written here, or the build fails: a runtime update that
 * moves these lines must be looked at, never silently left unscrubbed. docs/specs/0004-sandbox.md.
 */
const RUNTIME_REWRITES = {
  "dist/sandbox/tls-terminate-proxy.js": [
    [
      /mutateHeaders\?\.\(fwdHeaders, target\.hostname\);/g,
      "__ballador.injectHeaders(fwdHeaders, target.hostname);",
      1,
    ],
    [
      /prepareBodySubstitution\(getBodySubstitutions, req, fwdHeaders, target\.hostname\)/g,
      "prepareBodySubstitution(__ballador.bodySubstitutions, req, fwdHeaders, target.hostname)",
      1,
    ],
    [
      /res\.writeHead\(upRes\.statusCode \?\? 502, stripHopByHop\(upRes\.headers\)\);\s*upRes\.pipe\(res\);/g,
      "__ballador.respond(upRes, res, stripHopByHop(upRes.headers), target.hostname, req.method);",
      1,
    ],
  ],
  "dist/sandbox/http-proxy.js": [
    [
      /options\.mutateHeadersPlaintext\?\.\(fwdHeaders, hostname\);/g,
      "options.mutateHeadersPlaintext?.(fwdHeaders, hostname); __ballador.limitEncodings(fwdHeaders);",
      1,
    ],
    [
      /res\.writeHead\(proxyRes\.statusCode, stripHopByHop\(proxyRes\.headers\)\);\s*proxyRes\.pipe\(res\);/g,
      "__ballador.respond(proxyRes, res, stripHopByHop(proxyRes.headers), hostname, req.method);",
      3,
    ],
  ],
};

/**
 * node-forge (42 modules, ~20 ms of CPU and ~1.7 MiB of heap in each supervisor) serves only
 * TLS termination for masked secrets, yet the runtime imports it at the top of the two files
 * that make the run's CA and leaf certificates. There it is loaded on first use: each forge
 * namespace the files take becomes an object that loads forge when a property is read (forge's
 * functions reach their own module through closures, never `this`), and the two values read
 * at load time become the same lookups deferred. A run without masked secrets never loads it.
 * Nor does it compile it: forge is not inlined in the runtime's chunks (its ~390 KB took ~17 ms
 * of CPU to compile in every sandboxed supervisor, before its bootstrap could start, issue 35)
 * but built apart as one file beside them (FORGE_FILE, build-bundle.mjs), required on first use.
 * Counted like the rewrites above: a runtime that moved these lines fails the build.
 */
export const FORGE_FILE = "node-forge.cjs";
const LAZY_FORGE = `let __forgeLoaded;\nconst __forge = () => (__forgeLoaded ??= require("./${FORGE_FILE}"));\nconst __lazy = (...path) => new Proxy({}, { get: (_, key) => path.reduce((o, k) => o[k], __forge())[key] });\n`;
const FORGE_REWRITES = {
  "dist/sandbox/mitm-ca.js": [
    [/^import forge from 'node-forge';$/gm, LAZY_FORGE, 1],
    [
      /^const \{ asn1, pki, md, random, util \} = forge;$/gm,
      'const asn1 = __lazy("asn1"), pki = __lazy("pki"), md = __lazy("md"), random = __lazy("random"), util = __lazy("util");',
      1,
    ],
    [
      /^const getTBSCertificate = pki\.getTBSCertificate;$/gm,
      "const getTBSCertificate = (...args) => __forge().pki.getTBSCertificate(...args);",
      1,
    ],
    [/^const C = asn1\.Class;$/gm, 'const C = __lazy("asn1", "Class");', 1],
    [/^const T = asn1\.Type;$/gm, 'const T = __lazy("asn1", "Type");', 1],
  ],
  "dist/sandbox/mitm-leaf.js": [
    [/^import forge from 'node-forge';$/gm, LAZY_FORGE, 1],
    [/^const \{ pki \} = forge;$/gm, 'const pki = __lazy("pki");', 1],
  ],
};

/**
 * npm packages stay outside the bundle (resolved from node_modules at run time), except the
 * sandbox runtime with what it imports: its ~80 files (44 of them node-forge) took ~110 ms to
 * load in each supervisor, one file of them ~55 ms. It finds files of its own (apply-seccomp,
 * the JVM proxy agent) in a vendor folder beside its module first, so that folder is copied
 * beside the bundle (its documented layout when bundled): from the same install as the code
 * inlined, so the two always match. Without it the runtime runs `npm root -g` (a Node process)
 * in every supervisor, and without apply-seccomp, unix sockets are not blocked inside.
 */
export function sandboxRuntimePlugin(root) {
  const dist = join(root, "dist");
  const runtimeDir = `${dirname(createRequire(join(root, "package.json")).resolve(`${RUNTIME}/package.json`))}/`;
  const HOOKS = join(dist, "adapters", "sandbox", "proxy-hooks.js");
  const rewrite = (path, rel, rules) => {
    let text = readFileSync(path, "utf8");
    for (const [pattern, replacement, count] of rules[rel]) {
      const found = text.match(pattern)?.length ?? 0;
      if (found !== count) {
        throw new Error(
          `build-bundle: ${RUNTIME} ${rel}: expected ${count} of ${pattern}, found ${found}; the runtime changed, re-check the masked-secret hooks`,
        );
      }
      text = text.replace(pattern, () => replacement);
    }
    return text;
  };
  const rewriteRuntime = (path, rel) =>
    `import * as __ballador from ${JSON.stringify(HOOKS)};\n__ballador.markPatched();\n${rewrite(path, rel, RUNTIME_REWRITES)}`;
  return {
    name: "inline-sandbox-runtime",
    setup(b) {
      b.onLoad({ filter: /\/dist\/sandbox\/(tls-terminate-proxy|http-proxy)\.js$/ }, (args) => {
        if (!args.path.startsWith(runtimeDir)) return null;
        const rel = args.path.slice(runtimeDir.length);
        return { contents: rewriteRuntime(args.path, rel), loader: "js", resolveDir: dirname(args.path) };
      });
      b.onLoad({ filter: /\/dist\/sandbox\/mitm-(ca|leaf)\.js$/ }, (args) => {
        if (!args.path.startsWith(runtimeDir)) return null;
        const rel = args.path.slice(runtimeDir.length);
        return {
          contents: rewrite(args.path, rel, FORGE_REWRITES),
          loader: "js",
          resolveDir: dirname(args.path),
        };
      });
      // Its `which` spawns a process per lookup (blocking); ours looks on PATH in process.
      b.onResolve({ filter: /\/utils\/which\.js$/ }, (args) =>
        args.importer.startsWith(runtimeDir) ? { path: join(dist, "adapters", "sandbox", "which.js") } : null,
      );
      // Its ripgrep scan of the (empty) folder it wraps from: answered without a process when
      // the folder is empty, rg as before otherwise (src/adapters/sandbox/ripgrep.ts).
      b.onResolve({ filter: /\/utils\/ripgrep\.js$/ }, (args) =>
        args.importer.startsWith(runtimeDir)
          ? { path: join(dist, "adapters", "sandbox", "ripgrep.js") }
          : null,
      );
      // The lazy forge's require (LAZY_FORGE): left as it is, found beside the chunk at run time.
      b.onResolve({ filter: /^\.\/node-forge\.cjs$/ }, (args) =>
        args.importer.startsWith(runtimeDir) ? { path: args.path, external: true } : null,
      );
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith("node:")) return { external: true };
        // Imported from inside node_modules: by the runtime or one of its own, inlined with it.
        const inlined = args.importer.startsWith(`${join(root, "node_modules")}/`);
        if (args.path === RUNTIME || args.path.startsWith(`${RUNTIME}/`) || inlined) return null;
        // The task store's JavaScript (14 files read at every command that opens the store) is
        // inlined too; its native addon stays in node_modules, named by the store (spec 0017).
        if (args.path === "better-sqlite3") return null;
        // zod too: its 99 files took ~56 ms of CPU to load, one chunk ~23 ms, in every process
        // that validates (a remote run's relay and runner-serve, config loads; spec 0013). But
        // for the MCP server, whose schemas go to the MCP SDK: the SDK's own zod must build them.
        if (
          (args.path === "zod" || args.path.startsWith("zod/")) &&
          !args.importer.endsWith("/dist/mcp/server.js")
        )
          return null;
        return { external: true };
      });
    },
  };
}

/**
 * Bundles `entry` (a bench's or a test's child program) into `outfile` with the sandbox runtime
 * inlined as dist/bundle has it, so the child runs Ballador's runtime, its scan and its hooks.
 * `outfile` belongs beside dist/bundle, whose vendor folder (seccomp) the runtime finds there.
 */
/** Inlined CommonJS (node-forge) requires Node's built-ins, and ESM has no `require` of its own. */
export const REQUIRE_BANNER =
  'import { createRequire as __ballador_require } from "node:module"; const require = __ballador_require(import.meta.url);';

/** esbuild's options for an ES module bundle for Node 20 with the runtime inlined. */
export function runtimeBuildOptions(root) {
  return {
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    plugins: [sandboxRuntimePlugin(root)],
    banner: { js: REQUIRE_BANNER },
    logLevel: "warning",
  };
}

export async function bundleWithRuntime(root, entry, outfile) {
  const { build } = await import("esbuild");
  await build({ ...runtimeBuildOptions(root), entryPoints: [entry], outfile });
  return outfile;
}
