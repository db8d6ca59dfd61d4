/**
 * Headless Chromium for the dashboard tests: Debian's chromium (installed by
 * scripts/ensure-setup.sh), driven by playwright-core. Each launch gets a fresh profile.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { PACKAGE_ROOT } from "./cli.js";

export const CHROMIUM = process.env.BALLADOR_CHROMIUM ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.warn(
    `dashboard browser tests skipped: no ${CHROMIUM} (run scripts/ensure-setup.sh as root, or apt-get install chromium)`,
  );

export const ARTIFACTS = join(PACKAGE_ROOT, "test-artifacts");

export async function launchBrowser(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * One browser for a test file (launched before its first test when Chromium is there, closed
 * after its last). Returns the browser's getter: `const browser = useBrowser(); browser().newPage()`.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (HAVE_CHROMIUM) browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error(`no browser: ${CHROMIUM} is missing (skip the test with HAVE_CHROMIUM)`);
    return browser;
  };
}
