/**
 * Hands on the agents from the dashboard (issue 34): the board view moves a card when its task
 * changes state; abandon asks first; a line comment reaches the agent's next prompt with its file
 * and line; typing into a scripted interactive agent reaches it and is recorded under the
 * person's name (and is refused without a name, or when the dashboard turns typing off); "Open
 * in editor" runs the configured command on the worktree. Hostile text stays text throughout.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { ARTIFACTS, HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { serveDashboard as serve } from "../helpers/dashboard.js";
import { cleanupProjects, commitAndDone, gate, makeProject } from "../helpers/runtime.js";

const browser = useBrowser();
afterEach(cleanupProjects);

const EVIL = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;

async function openPage(url: string): Promise<{ page: Page; refused: string[] }> {
  const context = await browser().newContext({ viewport: { width: 1440, height: 960 } });
  const page = await context.newPage();
  const refused: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Trusted Type/i.test(m.text())) refused.push(m.text());
  });
  await page.goto(url);
  return { page, refused };
}

async function goTask(page: Page, id: string): Promise<void> {
  await page.evaluate((t) => {
    location.hash = `#/task/${encodeURIComponent(t)}`;
  }, id);
}

const pwned = (page: Page) => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);

describe.skipIf(!HAVE_CHROMIUM)("hands on the agents from the dashboard", () => {
  it("moves a card across the board view; abandon asks first", async () => {
    const p = await makeProject();
    await p.part("w", { title: `Work ${EVIL}`, steps: [gate(p, "w"), ...commitAndDone("w.txt")] });
    await p.part("spare", { title: "Spare" });
    await p.ok(["queue"]);
    const d = await serve(p);
    const { page, refused } = await openPage(d.url);
    await page.locator('.tabs button[data-view="board"]').click();
    const cardIn = (col: string, id: string) =>
      page.locator(`.board-col[data-col="${col}"] .card[data-id="${id}"]`);
    await expect.poll(() => cardIn("todo", "w").count(), { timeout: 30_000 }).toBe(1);
    expect(await cardIn("todo", "w").locator(".card-title").textContent()).toBe(`Work ${EVIL}`);
    await p.ok(["launch", "w"]);
    await expect.poll(() => cardIn("running", "w").count(), { timeout: 30_000 }).toBe(1);
    expect(await cardIn("todo", "w").count()).toBe(0);
    await p.open("w");
    await expect.poll(() => cardIn("review", "w").count(), { timeout: 30_000 }).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-board.png") });

    // Abandon: the dialog first; cancelled, nothing happens.
    await goTask(page, "spare");
    const state = page.locator('[data-testid="task-state"]');
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe("ready");
    await page.locator('button[data-action="abandon"]').click();
    await page.locator('dialog.confirm button[data-answer="cancel"]').click();
    expect((await p.task("spare")).state).toBe("ready");
    await page.locator('button[data-action="abandon"]').click();
    await page.locator('dialog.confirm button[data-answer="ok"]').click();
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe("abandoned");
    const last = (await p.show("spare")).events.at(-1) as { actor?: string } | undefined;
    expect(last?.actor).toMatch(/dashboard/);
    expect(await pwned(page)).toBeUndefined();
    expect(refused).toEqual([]);
    await page.context().close();
  }, 180_000);

  it("sends line comments to the agent's next prompt with file and line", async () => {
    const p = await makeProject();
    await p.part("c", {
      title: "Commented",
      steps: [{ write: { path: "src/c.txt", content: "one\ntwo\nthree\n" } }, ...commitAndDone("c.txt")],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("c", "review");
    const d = await serve(p);
    const { page, refused } = await openPage(d.url);
    await goTask(page, "c");
    const line = page.locator(
      '.diff-file:has(.file:text-is("src/c.txt")) .dl[data-line="2"][data-side="new"]',
    );
    await expect.poll(() => line.count(), { timeout: 30_000 }).toBe(1);
    await line.click();
    await page.locator(".comment-input").fill(`Rename this ${EVIL}`);
    await page.locator('button[data-action="send-comments"]').click();
    await expect
      .poll(() => page.locator(".flash.ok").textContent(), { timeout: 30_000 })
      .toContain("Changes requested");
    const runs = (await p.show("c")).runs;
    const prompt = await readFile(join(runs.at(-1)?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt).toContain(`src/c.txt line 2: Rename this ${EVIL}`);
    expect(await pwned(page)).toBeUndefined();
    expect(refused).toEqual([]);
    await page.context().close();
  }, 180_000);

  it("types into a running interactive agent for a named session, recorded as typed by NAME", async () => {
    const p = await makeProject({ config: { idle_timeout: "10m" } });
    await p.part("talk", {
      title: "Talks",
      steps: [
        {
          run: "printf 'Your answer? ' > /dev/tty; read answer < /dev/tty; printf '%s\\n' \"$answer\" > answer.txt",
        },
        { commit: "answer" },
        { done: { summary: "answered" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("talk", "running");
    // Shared on purpose: typing is off unless asked for.
    const off = await serve(p, ["--typing", "off"]);
    const { page: offPage } = await openPage(off.url);
    await goTask(offPage, "talk");
    await expect
      .poll(() => offPage.locator(".type-why").textContent(), { timeout: 30_000 })
      .toContain("Typing into agents is off");
    off.server.child.kill("SIGTERM");
    await offPage.context().close();

    const d = await serve(p, ["--editor", "touch {path}/.opened-by-editor"]);
    const { page, refused } = await openPage(d.url);
    await goTask(page, "talk");
    await expect
      .poll(() => page.locator(".xterm-rows").textContent(), { timeout: 30_000 })
      .toContain("Your answer?");
    // No name yet: no typing, and the server refuses a forged request too.
    await expect.poll(() => page.locator(".type-why").textContent()).toContain("Give your name");
    const refusedType = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="ballador-csrf"]')?.content ?? "";
      const res = await fetch("/api/tasks/talk/type", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Ballador-CSRF": csrf },
        body: JSON.stringify({ text: "sneaky", enter: true }),
      });
      return res.status;
    });
    expect(refusedType).toBe(403);
    await page.locator(".session-name-input").fill("Sam");
    await page.locator(".session-form button[type=submit]").click();
    await expect.poll(() => page.locator(".type-form").isVisible(), { timeout: 20_000 }).toBe(true);

    // Open in editor: the configured command, on the task's worktree.
    await page.locator('button[data-action="open-editor"]').click();
    await expect
      .poll(() => existsSync(join(p.worktree("talk"), ".opened-by-editor")), { timeout: 20_000 })
      .toBe(true);

    // Named, but without the page's CSRF token: refused like every other write.
    const noCsrf = await page.evaluate(async () => {
      const res = await fetch("/api/tasks/talk/type", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: "forged", enter: true }),
      });
      return res.status;
    });
    expect(noCsrf).toBe(403);
    const said = `yes <b onmouseover="window.__pwned=1">really</b>`;
    await page.locator(".type-input").fill(said);
    await page.locator(".type-form button[type=submit]").click();
    await p.waitState("talk", "review", 60_000);
    expect(await p.git(["show", "ballador/talk:answer.txt"])).toBe(`${said}\n`);
    await expect
      .poll(() => page.locator(".panel:has(h2:text-is('History'))").textContent(), { timeout: 30_000 })
      .toContain("typed by Sam (dashboard)");
    expect(await page.locator(".panel:has(h2:text-is('History'))").textContent()).toContain(
      `typed: ${said} ⏎`,
    );
    expect(await page.locator("main b[onmouseover]").count()).toBe(0);
    expect(await pwned(page)).toBeUndefined();
    expect(refused).toEqual([]);
    await page.context().close();
  }, 240_000);
});
