/**
 * A task's page stays true after the fact (issue 34): a merged task shows what it changed and
 * when it merged; a task whose base moved on is not blamed for the base's commits; an ended
 * full-screen session replays as the screens it showed, as `ballador logs` prints them.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { serveDashboard as serve } from "../helpers/dashboard.js";
import { cleanupProjects, commitAndDone, makeProject } from "../helpers/runtime.js";

const browser = useBrowser();
afterEach(cleanupProjects);

async function openTask(url: string, id: string): Promise<Page> {
  const context = await browser().newContext({ viewport: { width: 1440, height: 960 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.evaluate((t) => {
    location.hash = `#/task/${encodeURIComponent(t)}`;
  }, id);
  return page;
}

describe.skipIf(!HAVE_CHROMIUM)("the dashboard's records after the fact", () => {
  it("shows a merged task's own diff and when it merged", async () => {
    const p = await makeProject({ config: { verify: "true" } });
    await p.part("a", {
      title: "Add a",
      steps: [{ write: { path: "lib/a.txt", content: "alpha\n" } }, ...commitAndDone("a.txt")],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("a", "review");
    await p.ok(["merge", "a"]);
    const d = await serve(p);
    const page = await openTask(d.url, "a");
    await expect
      .poll(() => page.locator('[data-testid="task-state"]').textContent(), { timeout: 30_000 })
      .toBe("merged");
    await expect
      .poll(() => page.locator(".diff-file .file").allTextContents(), { timeout: 30_000 })
      .toEqual(expect.arrayContaining(["a.txt", "lib/a.txt"]));
    const merged = (await page.locator('[data-testid="merged-at"]').textContent()) ?? "";
    const commit = (await p.git(["rev-parse", "main"])).trim();
    expect(merged).toContain(commit.slice(0, 10));
    const brief = (await page.locator(".brief").textContent()) ?? "";
    expect(brief).toContain("Merged into main");
    expect(brief).toContain("a.txt");
    expect(brief).not.toContain("(no changes)");
    await page.context().close();
  });

  it("shows the diff of a task merged before spans were kept, from its merge commit", async () => {
    const p = await makeProject();
    await p.part("old", {
      title: "Merged long ago",
      steps: [{ write: { path: "lib/old.txt", content: "old\n" } }, ...commitAndDone("old.txt")],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("old", "review");
    await p.ok(["merge", "old", "--unverified"]);
    // A store from before this was recorded: the task has its merge, and no kept span.
    const db = new Database(join(p.dir, ".ballador", "state", "ballador.db"));
    const gone = db.prepare("DELETE FROM artifacts WHERE task_id = 'old' AND kind = 'fork'").run().changes;
    db.close();
    expect(gone).toBeGreaterThan(0);
    const brief = await p.ok(["review", "old"]);
    expect(brief.stdout).toContain("lib/old.txt");
    expect(brief.stdout).not.toContain("(no changes)");
    const d = await serve(p);
    const page = await openTask(d.url, "old");
    await expect
      .poll(() => page.locator(".diff-file .file").allTextContents(), { timeout: 30_000 })
      .toEqual(expect.arrayContaining(["old.txt", "lib/old.txt"]));
    await page.context().close();
  });

  it("does not blame a task for a verify input the base changed after it forked", async () => {
    const p = await makeProject({
      config: { verify: "true", verify_inputs: ["checks/**"] },
      files: { "checks/rule.txt": "v1\n" },
    });
    await p.part("b", { title: "Add b", steps: commitAndDone("b.txt") });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("b", "review");
    // The base moves on: someone changes a verify input on main.
    await p.write("checks/rule.txt", "v2\n");
    await p.git(["commit", "-qam", "tighten the rule"]);
    const d = await serve(p);
    const page = await openTask(d.url, "b");
    await expect.poll(() => page.locator(".brief").textContent(), { timeout: 30_000 }).toContain("b.txt");
    const brief = (await page.locator(".brief").textContent()) ?? "";
    expect(brief).not.toContain("checks/rule.txt");
    expect(brief).not.toContain("changes what decides how its tests run");
    expect(await page.locator(".diff-file .file").allTextContents()).toEqual(["b.txt"]);
    const cli = await p.ok(["review", "b", "--no-diff"]);
    expect(cli.stdout).not.toContain("checks/rule.txt");
    await page.context().close();
  });

  it("replays an ended full-screen session as its screens, like ballador logs", async () => {
    const p = await makeProject();
    const alt = "\u001b[?1049h\u001b[2J\u001b[H";
    await p.part("tui", {
      title: "Full screen",
      steps: [
        { print: `${alt}FIRST SCREEN of the agent\u001b[2J\u001b[HSECOND SCREEN of the agent\u001b[?1049l` },
        ...commitAndDone("tui.txt"),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("tui", "review");
    const logs = await p.ok(["logs", "tui"]);
    expect(logs.stdout).toContain("FIRST SCREEN of the agent");
    expect(logs.stdout).toContain("SECOND SCREEN of the agent");
    const d = await serve(p);
    const page = await openTask(d.url, "tui");
    const rows = page.locator(".xterm-rows");
    await expect.poll(() => rows.textContent(), { timeout: 30_000 }).toContain("SECOND SCREEN of the agent");
    // Both screens, each on its own line: the alternate screen's frames are kept, not overdrawn.
    const lines = await page.locator(".xterm-rows > div").allTextContents();
    expect(lines.some((l) => l.trim() === "FIRST SCREEN of the agent")).toBe(true);
    expect(lines.some((l) => l.trim() === "SECOND SCREEN of the agent")).toBe(true);
    expect(await page.locator(".term-state").first().textContent()).toContain("replayed");
    await page.context().close();
  });
});
