/**
 * Issue 29: the dashboard says, on every page, that the sandbox is off (mode: none) or mostly
 * off on purpose (sandbox.i_know_this_disables_the_sandbox: true), as status and doctor do.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { serveDashboard } from "../helpers/dashboard.js";
import { cleanupProjects, makeProject, type Project } from "../helpers/runtime.js";

const browser = useBrowser();
afterEach(cleanupProjects);

async function bannerOf(p: Project): Promise<string | null> {
  const { url, server } = await serveDashboard(p);
  const context = await browser().newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    const banner = page.locator(".sandbox-off");
    await page.waitForFunction(() => document.querySelector("header.top .project")?.textContent !== "");
    return (await banner.isVisible()) ? await banner.textContent() : null;
  } finally {
    await context.close();
    server.child.kill("SIGTERM");
    await server.exited;
  }
}

async function setSandbox(p: Project, sandbox: Record<string, unknown>): Promise<void> {
  const file = join(p.dir, ".ballador", "config.yaml");
  const config = parse(await readFile(file, "utf8")) as Record<string, unknown>;
  await writeFile(file, stringify({ ...config, sandbox }));
}

describe.skipIf(!HAVE_CHROMIUM)("the dashboard's sandbox banner (issue 29)", () => {
  it("shows SANDBOX OFF for mode: none, SANDBOX MOSTLY OFF for an acknowledged weakening, nothing otherwise", async () => {
    const p = await makeProject();
    expect(await bannerOf(p)).toContain("SANDBOX OFF (sandbox.mode: none)");
    await setSandbox(p, {
      mode: "bwrap",
      allow_hosts: ["*"],
      allow_write: [],
      i_know_this_disables_the_sandbox: true,
    });
    const weakened = await bannerOf(p);
    expect(weakened).toContain("SANDBOX MOSTLY OFF");
    expect(weakened).toContain("sandbox.allow_hosts.0");
    await setSandbox(p, { mode: "bwrap", allow_hosts: [], allow_write: [] });
    expect(await bannerOf(p)).toBeNull();
  }, 120_000);
});
