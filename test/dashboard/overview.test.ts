/**
 * The overview after the work is done and on a small screen (issue 34): a finished graph keeps
 * its edges (to folded waves, which open), shows merged tasks in place on request and exports as
 * SVG and PNG; the table at 1024 px shows every column's data somewhere; a legend explains every
 * colour and mark; "needs you" is split into waiting for you and ready for review. Hostile titles
 * stay text everywhere, the exported file included.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { ARTIFACTS, HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { serveDashboard as serve } from "../helpers/dashboard.js";
import { cleanupProjects, commitAndDone, makeProject } from "../helpers/runtime.js";

const browser = useBrowser();
afterEach(cleanupProjects);

const EVIL = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;

async function openPage(url: string, width = 1440): Promise<{ page: Page; refused: string[] }> {
  const context = await browser().newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const refused: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Trusted Type/i.test(m.text())) refused.push(m.text());
  });
  await page.goto(url);
  return { page, refused };
}

const edge = (page: Page, from: string, to: string) =>
  page.locator(`svg.graph path.edge[data-from="${from}"][data-to="${to}"]`);

async function download(page: Page, kind: string): Promise<Buffer> {
  const [file] = await Promise.all([
    page.waitForEvent("download"),
    page.locator(`button[data-export="${kind}"]`).click(),
  ]);
  return readFile((await file.path()) as string);
}

describe.skipIf(!HAVE_CHROMIUM)("the dashboard's overview, finished and narrow", () => {
  it("keeps a finished graph's edges, opens folded waves, shows done tasks and exports", async () => {
    const p = await makeProject({ config: { verify: "true" } });
    await p.part("a", { title: `First ${EVIL}`, steps: commitAndDone("a.txt") });
    await p.part("b", { title: "Second", needs: ["a"], steps: commitAndDone("b.txt") });
    await p.part("c", { title: "Third", needs: ["b"], steps: commitAndDone("c.txt") });
    await p.ok(["queue"]);
    for (const id of ["a", "b"]) {
      await p.ok(["launch", id]);
      await p.reaches(id, "review");
      await p.ok(["merge", id]);
    }
    const d = await serve(p);
    const { page, refused } = await openPage(d.url);
    // Mixed: two folded waves, and the ready task still fed by the second.
    await expect.poll(() => edge(page, "wave-1", "c").count(), { timeout: 30_000 }).toBe(1);
    expect(await edge(page, "wave-0", "wave-1").count()).toBe(1);
    expect(await page.locator('svg.graph [data-id="a"]').count()).toBe(0);

    // A folded wave opens on a click and folds again from its label.
    await page.locator('svg.graph .node.collapsed[data-wave="0"]').click();
    await expect.poll(() => page.locator('svg.graph [data-id="a"]').count()).toBe(1);
    expect(await edge(page, "a", "wave-1").count()).toBe(1);
    await page.locator('svg.graph .wave-toggle[data-wave="0"]').click();
    await expect.poll(() => page.locator('svg.graph [data-id="a"]').count()).toBe(0);

    // All done: the folded graph still reads as a chain, and "done" shows every task in place.
    await p.ok(["launch", "c"]);
    await p.reaches("c", "review");
    await p.ok(["merge", "c"]);
    await expect.poll(() => edge(page, "wave-1", "wave-2").count(), { timeout: 30_000 }).toBe(1);
    expect(await edge(page, "wave-0", "wave-1").count()).toBe(1);
    await page.locator("input.show-done").check();
    await expect.poll(() => edge(page, "a", "b").count()).toBe(1);
    expect(await edge(page, "b", "c").count()).toBe(1);
    expect(await page.locator('svg.graph [data-id="c"]').getAttribute("data-state")).toBe("merged");
    await page.locator(".graph-panel").screenshot({ path: join(ARTIFACTS, "dashboard-graph-done.png") });

    // The export: the graph as drawn, with its styles, the hostile title as escaped text.
    const svg = (await download(page, "svg")).toString("utf8");
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('data-from="a" data-to="b"');
    expect(svg).toContain("&lt;img src=x onerror=");
    expect(svg).not.toMatch(/<img|<script/);
    expect(svg).toContain("--merged");
    const png = await download(page, "png");
    expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
    expect(png.length).toBeGreaterThan(2000);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(refused).toEqual([]);
    await page.context().close();
  }, 240_000);

  it("fits the table in 1024 px with every column's data somewhere, explains its marks, splits needs you", async () => {
    const p = await makeProject();
    await p.part("spike", { title: "Throwaway spike", steps: [{ blocked: "needs a decision on storage" }] });
    await p.part("done", { title: "Done work", steps: commitAndDone("done.txt") });
    await p.part("later", { title: `Later ${EVIL}`, needs: ["done"] });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("spike", "blocked");
    await p.reaches("done", "review");
    const d = await serve(p);
    const { page, refused } = await openPage(d.url, 1024);
    const row = (id: string) => page.locator(`.tbody .trow[data-id="${id}"]`);
    await expect.poll(() => row("spike").count(), { timeout: 30_000 }).toBe(1);

    // Nothing is cut off: every drawn column ends inside the table.
    const fits = await page.locator(".table").evaluate((t) => {
      const right = t.getBoundingClientRect().right;
      return [...t.querySelectorAll(".thead .cell")].every(
        (c) => c.getBoundingClientRect().right <= right + 1,
      );
    });
    expect(fits).toBe(true);
    const hidden = ((await page.locator(".thead .more-cue").getAttribute("data-hidden")) ?? "").split(" ");
    expect(hidden.length).toBeGreaterThan(0);
    const shown = await page
      .locator(".thead button.sort")
      .evaluateAll((bs) => bs.map((b) => b.getAttribute("data-key")));
    expect(new Set([...shown, ...hidden]).size).toBe(12);
    expect(await page.locator(".thead .more-cue").getAttribute("title")).toContain("in each row's detail");

    // The row's detail holds the columns with no room, live values included.
    await row("later").locator("button.more-cue").click();
    const detail = page.locator('.row-detail[data-id="later"]');
    await expect.poll(() => detail.locator(".detail-field").count()).toBe(hidden.length);
    for (const k of hidden) expect(await detail.locator(`.detail-field[data-key="${k}"]`).count()).toBe(1);
    expect(await detail.locator(".detail-id").textContent()).toBe("later");
    expect(await row("later").locator(".col-title").textContent()).toBe(`Later ${EVIL}`);

    // Needs you, split: the blocked task waits for a person; the verified one waits for a verdict.
    await expect.poll(() => page.locator(".count.needs").textContent()).toBe("1 waiting for you");
    expect(await page.locator(".count.for-review").textContent()).toBe("1 ready for review");
    await row("spike").locator("button.more-cue").click();
    const flagsOf = async (id: string) =>
      hidden.includes("flags")
        ? ((await page.locator(`.row-detail[data-id="${id}"] .col-flags`).textContent()) ?? "")
        : ((await row(id).locator(".col-flags").textContent()) ?? "");
    await expect.poll(() => flagsOf("spike")).toContain("waiting for you");
    expect(await page.locator('svg.graph [data-id="spike"] .badge-text').textContent()).toBe("!");
    expect(await page.locator('svg.graph [data-id="done"] .badge').count()).toBe(0);
    await page.locator("select.filter-state").selectOption("for-review");
    await expect.poll(() => page.locator(".tbody .trow").count()).toBe(1);
    expect(await page.locator(".tbody .trow").getAttribute("data-id")).toBe("done");
    await page.locator("select.filter-state").selectOption("");

    // The legend: every state's colour and every mark the page draws.
    await page.locator(".legend-box summary").click();
    const legend = await page
      .locator(".legend-box [data-legend]")
      .evaluateAll((xs) => xs.map((x) => x.getAttribute("data-legend")));
    for (const k of ["queued", "ready", "running", "verifying", "review", "blocked", "failed", "stopped"])
      expect(legend).toContain(k);
    for (const k of ["merged", "abandoned", "!", "?", "unverified", "denied", "edge", "…"])
      expect(legend).toContain(k);
    await row("spike").locator("button.more-cue").click();
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1024.png"), fullPage: true });
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("main img, main script").count()).toBe(0);
    expect(refused).toEqual([]);
    await page.context().close();
  }, 180_000);
});
