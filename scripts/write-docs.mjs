#!/usr/bin/env node
// Regenerates the generated parts of the documentation from the built code (run after changing
// a command or the config schema; `npm run docs` builds first): man/ballador.1 from the command
// tree, and the list of keys in docs/configuration.md from the config schema.
// --check: write nothing, exit 1 when a file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import {
  CONFIG_REFERENCE_FILE,
  generatedManPage,
  MAN_PAGE_FILE,
  withConfigKeys,
} from "../dist/cli/docs-gen.js";

const root = new URL("../", import.meta.url);
const check = process.argv.includes("--check");
let stale = 0;
for (const [file, make] of [
  [MAN_PAGE_FILE, () => generatedManPage()],
  [CONFIG_REFERENCE_FILE, (old) => withConfigKeys(old)],
]) {
  const url = new URL(file, root);
  let old = "";
  try {
    old = readFileSync(url, "utf8");
  } catch {}
  const text = make(old);
  if (text === old) continue;
  if (check) {
    console.error(`${file} is stale: run npm run docs`);
    stale++;
  } else {
    writeFileSync(url, text);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
