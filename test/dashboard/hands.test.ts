/**
 * Hands on the agents from the dashboard (issue 34): the board view moves a card when its task
 * changes state; abandon asks first; a line comment reaches the agent's next prompt with its file
 * and line; typing into a scripted interactive agent reaches it and is recorded under the
 * person's name, function keys and a bracketed paste included (and is refused without a name, or when the dashboard turns typing off); "Open
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
  it("moves a card across the board view, and a dragged card asks for its move; abandon asks first", async () => {
    const p = await makeProject({ config: { verify: "true" } });
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

    // Dragged to a column its task cannot move to: nothing asked, nothing done.
    const col = (key: string) => page.locator(`.board-col[data-col="${key}"]`);
    await cardIn("todo", "spare").dragTo(col("review"));
    expect(await page.locator("dialog.confirm").count()).toBe(0);
    // Dragged from review to done: the merge, asked first; cancelled, nothing happens.
    await cardIn("review", "w").dragTo(col("done"));
    await expect.poll(() => page.locator("dialog.confirm h3").textContent()).toBe("Merge w");
    await page.locator('dialog.confirm button[data-answer="cancel"]').click();
    expect((await p.task("w")).state).toBe("review");
    await cardIn("review", "w").dragTo(col("done"));
    await page.locator('dialog.confirm button[data-answer="ok"]').click();
    await expect.poll(() => cardIn("done", "w").count(), { timeout: 60_000 }).toBe(1);
    expect((await p.task("w")).state).toBe("merged");

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

  it("types into a running interactive agent from its terminal, recorded as typed by NAME", async () => {
    const p = await makeProject({ config: { idle_timeout: "10m" } });
    // A line read in cooked mode (so Backspace edits it), one key read raw (so Ctrl-C arrives
    // as its byte), then a line from the input under the terminal.
    const tty = "< /dev/tty";
    await p.part("talk", {
      title: "Talks",
      steps: [
        {
          run: `printf 'Your answer? ' > /dev/tty; read answer ${tty}; printf '%s\\n' "$answer" > answer.txt`,
        },
        {
          run: `stty -icanon -isig -echo min 1 ${tty}; printf 'Press Ctrl-C: ' > /dev/tty; head -c 1 ${tty} | od -An -tx1 | tr -d ' ' > key.txt; stty sane ${tty}`,
        },
        // A function key, read raw; then a paste into a program that asked for bracketed paste.
        {
          run: `stty -icanon -isig -echo min 1 ${tty}; printf 'Press F5: ' > /dev/tty; head -c 5 ${tty} | od -An -tx1 | tr -d ' \\n' > fkey.txt; stty sane ${tty}`,
        },
        {
          run: `stty -icanon -isig -echo min 1 ${tty}; printf '\\033[?2004hPaste here: ' > /dev/tty; head -c 19 ${tty} | od -An -tx1 | tr -d ' \\n' > paste.txt; printf '\\033[?2004l' > /dev/tty; stty sane ${tty}`,
        },
        { run: `printf 'One more line: ' > /dev/tty; read line ${tty}; printf '%s\\n' "$line" > line.txt` },
        { commit: "answer" },
        { done: { summary: "answered" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("talk", "running");
    const xterm = (page: Page) => page.locator(".terminal .xterm-rows");
    const history = (page: Page) => page.locator(".panel:has(h2:text-is('History'))");

    // Shared on purpose: typing is off unless asked for; the terminal stays read only.
    const off = await serve(p, ["--typing", "off"]);
    const { page: offPage } = await openPage(off.url);
    await goTask(offPage, "talk");
    await expect
      .poll(() => offPage.locator(".type-why").textContent(), { timeout: 30_000 })
      .toContain("Typing into agents is off");
    await offPage.locator(".session-name-input").fill("Off");
    await offPage.locator(".session-form button[type=submit]").click();
    await offPage.locator(".terminal .xterm").click();
    await offPage.keyboard.type("nope");
    await offPage.keyboard.press("Enter");
    const offKeys = await offPage.evaluate(async () => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="ballador-csrf"]')?.content ?? "";
      const res = await fetch("/api/tasks/talk/type", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Ballador-CSRF": csrf },
        body: JSON.stringify({ keys: [{ text: "nope" }, { key: "Enter" }] }),
      });
      return res.status;
    });
    expect(offKeys).toBe(403);
    expect(await offPage.locator(".terminal.typing").count()).toBe(0);
    off.server.child.kill("SIGTERM");
    await offPage.context().close();

    const d = await serve(p, ["--editor", "touch {path}/.opened-by-editor"]);
    const { page, refused } = await openPage(d.url);
    await goTask(page, "talk");
    await expect.poll(() => xterm(page).textContent(), { timeout: 30_000 }).toContain("Your answer?");
    // No name yet: the terminal is read only, and the server refuses a forged request too.
    await expect.poll(() => page.locator(".type-why").textContent()).toContain("Give your name");
    expect(await page.locator(".terminal.typing").count()).toBe(0);
    await page.locator(".terminal .xterm").click();
    await page.keyboard.type("unnamed");
    const post = (body: unknown, csrf: boolean) =>
      page.evaluate(
        async ([b, withCsrf]) => {
          const token = document.querySelector<HTMLMetaElement>('meta[name="ballador-csrf"]')?.content ?? "";
          const headers: Record<string, string> = { "Content-Type": "application/json" };
          if (withCsrf) headers["X-Ballador-CSRF"] = token;
          const res = await fetch("/api/tasks/talk/type", {
            method: "POST",
            headers,
            body: JSON.stringify(b),
          });
          return res.status;
        },
        [body, csrf] as const,
      );
    expect(await post({ keys: [{ text: "sneaky" }, { key: "Enter" }] }, true)).toBe(403);
    await page.locator(".session-name-input").fill("Sam");
    await page.locator(".session-form button[type=submit]").click();
    await expect.poll(() => page.locator(".terminal.typing").count(), { timeout: 20_000 }).toBe(1);

    // Open in editor: the configured command, on the task's worktree.
    await page.locator('button[data-action="open-editor"]').click();
    await expect
      .poll(() => existsSync(join(p.worktree("talk"), ".opened-by-editor")), { timeout: 20_000 })
      .toBe(true);

    // Named, but without the page's CSRF token: refused like every other write; a key off the
    // list and raw control bytes in text are refused, not sent.
    expect(await post({ keys: [{ text: "forged" }, { key: "Enter" }] }, false)).toBe(403);
    expect(await post({ keys: [{ key: "C-c; kill-server" }] }, true)).toBe(400);
    expect(await post({ keys: [{ text: "\u001b]0;title\u0007" }] }, true)).toBe(400);
    // A paste may hold line breaks and tabs, never an escape (it could end a bracketed paste).
    expect(await post({ keys: [{ paste: "a\u001b[201~rm -rf ~\r" }] }, true)).toBe(400);

    // Keystrokes into the terminal itself: text, a typo and its Backspace, Enter.
    const said = `yes <b onmouseover="window.__pwned=1">really</b>`;
    await page.locator(".terminal .xterm").click();
    await page.keyboard.type(`${said}x`);
    await page.keyboard.press("Backspace");
    await page.keyboard.press("Enter");
    await expect.poll(() => xterm(page).textContent(), { timeout: 60_000 }).toContain("Press Ctrl-C:");
    await page.keyboard.press("Control+c");
    await expect.poll(() => xterm(page).textContent(), { timeout: 60_000 }).toContain("Press F5:");
    await page.keyboard.press("F5");
    await expect.poll(() => xterm(page).textContent(), { timeout: 60_000 }).toContain("Paste here:");
    await page.locator(".xterm-helper-textarea").evaluate((area) => {
      const data = new DataTransfer();
      data.setData("text/plain", "one\ntwo");
      area.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
      );
    });
    await expect.poll(() => xterm(page).textContent(), { timeout: 60_000 }).toContain("One more line:");
    // The line under the terminal still sends a whole line.
    await page.locator(".type-input").fill("by the line");
    await page.locator(".type-form button[type=submit]").click();
    await p.waitState("talk", "review", 60_000);
    expect(await p.git(["show", "ballador/talk:answer.txt"])).toBe(`${said}\n`);
    expect(await p.git(["show", "ballador/talk:key.txt"])).toBe("03\n");
    expect(await p.git(["show", "ballador/talk:line.txt"])).toBe("by the line\n");
    expect(await p.git(["show", "ballador/talk:fkey.txt"])).toBe("1b5b31357e");
    // The paste reached the program as one, in the markers it asked for (its line break sent as
    // a CR, which the terminal's icrnl hands over as a line feed, as for a paste from a terminal).
    const pasted = Buffer.from("\x1b[200~one\ntwo\x1b[201~").toString("hex");
    expect(await p.git(["show", "ballador/talk:paste.txt"])).toBe(pasted);

    // The history: who typed, with special keys drawn; one note per burst, not per key.
    await expect.poll(() => history(page).textContent(), { timeout: 30_000 }).toContain("by the line⏎");
    const typed = await history(page)
      .locator("td")
      .evaluateAll((tds) => tds.map((td) => td.textContent ?? "").filter((t) => t.startsWith("typed")));
    const notes = typed.filter((t) => t.startsWith("typed: ")).reverse();
    expect(
      typed.filter((t) => t.startsWith("typed by ")).every((t) => t === "typed by Sam (dashboard)"),
    ).toBe(true);
    expect(notes.map((t) => t.slice(7)).join("")).toBe(`${said}x⌫⏎^C⟨F5⟩⟦one⏎two⟧by the line⏎`);
    expect(notes.length).toBeLessThan(said.length);
    const labels = await page.locator(".note.kind-typed .note-kind").allTextContents();
    expect(labels.length).toBe(notes.length);
    expect(new Set(labels)).toEqual(new Set(["typed by Sam (dashboard)"]));
    expect(await page.locator("main b[onmouseover]").count()).toBe(0);
    expect(await pwned(page)).toBeUndefined();
    expect(refused).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-typing.png") });
    await page.context().close();
  }, 300_000);
});
