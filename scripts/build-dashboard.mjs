#!/usr/bin/env node
/**
 * Bundles the dashboard's page into dist/dashboard/web/ (app.js with xterm inside, app.css,
 * xterm.css): static files shipped in the npm package, so nothing is built on a user's machine.
 * Run by `npm run build` (and so by prepack, ensure-setup and the test set-up).
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "dashboard", "web");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, "src", "dashboard", "web", "app.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  logLevel: "warning",
});
copyFileSync(join(root, "src", "dashboard", "web", "app.css"), join(out, "app.css"));
copyFileSync(join(root, "node_modules", "@xterm", "xterm", "css", "xterm.css"), join(out, "xterm.css"));
