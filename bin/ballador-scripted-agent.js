#!/usr/bin/env node
// Launcher only: `npm run build` compiles src/scripted-agent into dist/ and bundles it into
// dist/bundle/; without the bundle, the compiled modules.
import { existsSync } from "node:fs";

const bundle = new URL("../dist/bundle/scripted-agent.js", import.meta.url);
await import(existsSync(bundle) ? bundle.href : "../dist/scripted-agent/entry.js");
