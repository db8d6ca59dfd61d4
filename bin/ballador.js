#!/usr/bin/env node
// Launcher only. `npm run build` compiles src/ into dist/ and bundles the entries into
// dist/bundle/ (a few files to load instead of ninety); without the bundle, the compiled modules.
import { existsSync } from "node:fs";

const bundle = new URL("../dist/bundle/cli.js", import.meta.url);
await import(existsSync(bundle) ? bundle.href : "../dist/cli/entry.js");
