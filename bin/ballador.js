#!/usr/bin/env node
// Launcher only. `npm run build` compiles src/ into dist/ and bundles the entries into
// dist/bundle/ (a few files to load instead of ninety); without the bundle, the compiled modules.
// A runner gets bin/, dist/bundle/ and package.json only (src/setup/runner-bundle.ts).
import { existsSync, readFileSync } from "node:fs";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // The version alone needs none of the command tree (docs/specs/0017-cost-startup.md).
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${version}\n`);
} else {
  const bundled = existsSync(new URL("../dist/bundle/cli.js", import.meta.url));
  // Node 22+: compiled code cached in Ballador's own cache folder; Node 20: nothing.
  const cache = bundled ? "../dist/bundle/compile-cache.js" : "../dist/cli/compile-cache.js";
  (await import(cache)).enableCompileCache();
  // The reads run most, exactly these words: the same document without commander's tree.
  const read = args.length === 2 && args[1] === "--json" && (args[0] === "status" || args[0] === "next");
  // A remote run's two start-up processes, exactly these words: no command tree (spec 0013).
  const relay = args.length === 3 && args[0] === "__runner-serve" && args[1] === "relay";
  const serve = args.length === 2 && args[0] === "__runner-serve" && args[1] === "run";
  if (read) {
    const fast = await import(bundled ? "../dist/bundle/read-fast.js" : "../dist/cli/read-fast.js");
    await fast.runFastRead(args[0]);
  } else if (relay || serve) {
    const fast = await import(
      bundled ? "../dist/bundle/runner-serve.js" : "../dist/cli/runner-serve-fast.js"
    );
    await (relay ? fast.relayMain(args[2]) : fast.serveRunMain());
  } else await import(bundled ? "../dist/bundle/cli.js" : "../dist/cli/entry.js");
}
