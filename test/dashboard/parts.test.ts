/**
 * A part written from the page (issue 34): checked exactly as `ballador queue` checks a part
 * file (a refusal lists the queue's own problems, nothing is written), queued when it passes,
 * editable while its task has not started and refused after, its hostile title kept as text.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { serveDashboard as serve } from "../helpers/dashboard.js";
import { cleanupProjects, commitAndDone, gate, makeProject } from "../helpers/runtime.js";

const browser = useBrowser();
afterEach(cleanupProjects);

const EVIL = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;

describe.skipIf(!HAVE_CHROMIUM)("parts written from the dashboard", () => {
  it("validates a new part as queue does, queues it, edits it until it starts", async () => {
    const p = await makeProject();
    await p.part("busy", { title: "Busy", steps: [gate(p, "busy"), ...commitAndDone("busy.txt")] });
    await p.ok(["queue"]);
    await p.ok(["launch", "busy"]);
    await p.waitState("busy", "running");
    const d = await serve(p);
    const context = await browser().newContext({ viewport: { width: 1440, height: 960 } });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Trusted Type/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(d.url);
    const editor = page.locator("dialog.part-editor");
    const file = join(p.dir, ".ballador", "parts", "fresh.md");

    // Refused as the CLI refuses it: the queue's own words, nothing written, nothing queued.
    const bad = `---\nid: fresh\ntitle: Fresh\nneeds: [ghost]\n---\nDo it.\n`;
    await page.locator('button[data-action="new-part"]').click();
    await editor.locator("textarea").fill(bad);
    await editor.locator('button[data-answer="save"]').click();
    await expect
      .poll(() => editor.locator(".part-problems").textContent(), { timeout: 30_000 })
      .toContain("ghost");
    expect(existsSync(file)).toBe(false);
    await p.write(".ballador/parts/fresh.md", bad);
    const cli = await p.run(["queue", "--dry-run"]);
    const { rm } = await import("node:fs/promises");
    await rm(file, { force: true });
    expect(cli.code).not.toBe(0);
    const cliLine = `${cli.stdout}\n${cli.stderr}`.split("\n").find((l) => l.includes("ghost")) ?? "";
    expect(cliLine).not.toBe("");
    expect(await editor.locator(".part-problems").textContent()).toContain(
      cliLine.replace(/^\s*(- )?/, "").trim(),
    );

    // Fixed: written and queued; the title stays text.
    await editor
      .locator("textarea")
      .fill(`---\nid: fresh\ntitle: "Fresh ${EVIL.replace(/"/g, '\\"')}"\n---\nDo it.\n`);
    await editor.locator('button[data-answer="save"]').click();
    await expect
      .poll(() => page.locator(".flash.ok").textContent(), { timeout: 30_000 })
      .toContain("queued fresh");
    const row = page.locator('.tbody .trow[data-id="fresh"]');
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
    expect(await row.locator(".col-title").textContent()).toBe(`Fresh ${EVIL}`);
    expect((await p.task("fresh")).state).toBe("ready");
    expect(await readFile(file, "utf8")).toContain("id: fresh");

    // Edited while ready: the task takes the new title.
    await page.evaluate(() => {
      location.hash = "#/task/fresh";
    });
    await page.locator('button[data-action="edit-part"]').click();
    await expect
      .poll(() => editor.locator("textarea").inputValue(), { timeout: 20_000 })
      .toContain("id: fresh");
    await editor.locator("textarea").fill(`---\nid: fresh\ntitle: Fresh, renamed\n---\nDo it better.\n`);
    await editor.locator('button[data-answer="save"]').click();
    await expect
      .poll(async () => (await p.show("fresh")).task.title, { timeout: 30_000 })
      .toBe("Fresh, renamed");

    // A started task's part is refused, as queue refuses it.
    const r = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="ballador-csrf"]')?.content ?? "";
      const res = await fetch("/api/parts", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Ballador-CSRF": csrf },
        body: JSON.stringify({ path: "busy.md", content: "---\nid: busy\ntitle: Changed\n---\nNo.\n" }),
      });
      return { status: res.status, body: (await res.json()) as { error: string } };
    });
    expect(r.status).toBe(400);
    // The page's CSRF token is required, as for every other write.
    const forged = await page.evaluate(async () => {
      const res = await fetch("/api/parts", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ id: "forged", content: "---\nid: forged\ntitle: Forged\n---\nNo.\n" }),
      });
      return res.status;
    });
    expect(forged).toBe(403);
    expect(existsSync(join(p.dir, ".ballador", "parts", "forged.md"))).toBe(false);
    expect(r.body.error).toContain("busy");
    expect(r.body.error).toContain("started task");
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(refused).toEqual([]);
    await p.open("busy");
    await context.close();
  }, 180_000);
});
