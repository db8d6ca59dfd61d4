/**
 * The generated parts of the documentation: the man page and the configuration reference's
 * list of keys. scripts/write-docs.mjs writes them; test/docs.test.ts fails when the committed
 * files differ from what this produces now, so neither can go stale.
 */
import { configKeyTable } from "../config/config-keys.js";
import { VERSION } from "../version.js";
import { buildProgram } from "./main.js";
import { manPage } from "./man.js";

export const MAN_PAGE_FILE = "man/ballador.1";
export const CONFIG_REFERENCE_FILE = "docs/configuration.md";
export const KEYS_START = "<!-- config keys: generated from the config schema by scripts/write-docs.mjs -->";
export const KEYS_END = "<!-- end of config keys -->";

export function generatedManPage(): string {
  return manPage(buildProgram({ json: true }).program, VERSION);
}

/** The configuration reference with its generated list of keys brought up to date. */
export function withConfigKeys(markdown: string): string {
  const start = markdown.indexOf(KEYS_START);
  const end = markdown.indexOf(KEYS_END);
  if (start < 0 || end < start)
    throw new Error(`${CONFIG_REFERENCE_FILE}: the markers "${KEYS_START}" and "${KEYS_END}" are missing`);
  return `${markdown.slice(0, start + KEYS_START.length)}\n${configKeyTable()}\n${markdown.slice(end)}`;
}
