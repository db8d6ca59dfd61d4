import { afterEach, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { serveDashboard } from "../helpers/dashboard.js";
import { cleanupProjects, commitAndDone, launchedToReview, makeProject } from "../helpers/runtime.js";

const browser = useBrowser();
afterEach(cleanupProjects);

describe.skipIf(!HAVE_CHROMIUM)("the dashboard and unverified work", () => {
  it("marks the row and the page of a task verified by nothing", async () => {
    const p = await makeProject();
    await p.part("a", { title: "Part a", steps: commitAndDone("a.txt") });
    await launchedToReview(p, "a");
    const { url } = await serveDashboard(p);
    const context = await browser().newContext({ viewport: { width: 1440, height: 960 } });
    const page = await context.newPage();
    await page.goto(url);
    const mark = page.locator('.tbody .trow[data-id="a"] .pill.unverified');
    await expect.poll(() => mark.count(), { timeout: 30_000 }).toBe(1);
    expect(await mark.textContent()).toBe("unverified");
    await page.evaluate(() => {
      location.hash = "#/task/a";
    });
    const pageMark = page.locator('[data-testid="task-unverified"]');
    await expect.poll(() => pageMark.count(), { timeout: 30_000 }).toBe(1);
    expect(await pageMark.getAttribute("title")).toContain("No verify command checked this work");
    const verdicts = await page.locator("details.verify summary .pill").allTextContents();
    expect(verdicts).toContain("unverified");
    expect(verdicts).not.toContain("passed");
    await context.close();
  });
});
