/**
 * Dashboard sessions (issue 29), against `ballador dashboard` started as a person would: the
 * session cap, idle expiry, revocation and token rotation from the CLI reaching the running
 * server, the session's name in the task history, `--open` without the token in any process's
 * argv, and 400 (not 500) on malformed URLs.
 */
import { readFileSync } from "node:fs";
import { chmod, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { PACKAGE_ROOT } from "../helpers/cli.js";
import {
  type RawResponse,
  rawRequest,
  type ServedDashboard as Served,
  serveDashboard as serve,
} from "../helpers/dashboard.js";
import {
  cleanupProjects,
  commitAndDone,
  gate,
  makeProject,
  type Project,
  waitFor,
} from "../helpers/runtime.js";

const schema = new Ajv2020({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(join(PACKAGE_ROOT, "schemas", "cli", "dashboard-sessions.schema.json"), "utf8")),
);
/** `dashboard sessions --json` output, checked against its schema. */
function documented<T>(stdout: string): T {
  const doc = JSON.parse(stdout) as T;
  expect(schema(doc), JSON.stringify(schema.errors)).toBe(true);
  return doc;
}

const browser = useBrowser();
afterEach(cleanupProjects);

/** A raw request with Host as a browser sends it, unless the test forges one. */
function raw(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return rawRequest(port, path, { ...opts, headers: { Host: `127.0.0.1:${port}`, ...opts.headers } });
}

/** Logs in as a browser would (the URL's path and query), returning the session cookie. */
async function login(d: Served, pathAndQuery = `/?token=${d.token}`): Promise<string | null> {
  const r = await raw(d.port, pathAndQuery);
  if (r.status !== 303) return null;
  const set = r.headers["set-cookie"]?.[0] ?? "";
  return set.split(";")[0] ?? null;
}

async function csrfOf(d: Served, cookie: string): Promise<string> {
  const page = await raw(d.port, "/", { headers: { Cookie: cookie } });
  return /name="ballador-csrf" content="([^"]+)"/.exec(page.body)?.[1] ?? "";
}

async function openPage(url: string, name?: string): Promise<Page> {
  const context = await browser().newContext();
  const page = await context.newPage();
  await page.goto(url);
  if (name !== undefined) {
    await page.locator(".session-name-input").fill(name);
    await page.locator(".session-form button[type=submit]").click();
    await expect.poll(() => page.locator(".session-name").textContent(), { timeout: 30_000 }).toBe(name);
  }
  return page;
}

interface Listed {
  id: string;
  name: string | null;
  created: string;
  lastSeen: string;
  from: string;
}

async function listed(p: Project): Promise<Listed[]> {
  return documented<{ sessions: Listed[] }>((await p.ok(["dashboard", "sessions", "--json"])).stdout)
    .sessions;
}

const loggedOut = (page: Page) => page.locator('[data-testid="logged-out"]').count();

describe("dashboard sessions", () => {
  it("caps the sessions: a new login ends the least recently seen", async () => {
    const p = await makeProject();
    const d = await serve(p, ["--max-sessions", "3"]);
    const cookies: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await login(d);
      expect(c).toBeTruthy();
      cookies.push(c as string);
    }
    const statuses = [];
    for (const c of cookies)
      statuses.push((await raw(d.port, "/api/board", { headers: { Cookie: c } })).status);
    expect(statuses).toEqual([403, 403, 200, 200, 200]);
    expect(await listed(p)).toHaveLength(3);
    const bad = await p.run(["dashboard", "--max-sessions", "0", "--port", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-sessions must be a whole number from 1 to 1000");
  });

  it("ends a session left idle, in the open page too, and keeps one in use", async () => {
    const p = await makeProject();
    const d = await serve(p, ["--session-idle", "3s"]);
    const busy = await login(d);
    const idle = await login(d);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      expect((await raw(d.port, "/api/board", { headers: { Cookie: busy as string } })).status).toBe(200);
    }
    expect((await raw(d.port, "/api/board", { headers: { Cookie: idle as string } })).status).toBe(403);
    if (!HAVE_CHROMIUM) return;
    const page = await openPage(d.url);
    await expect.poll(() => page.locator(".session-name-input").count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => loggedOut(page), { timeout: 30_000 }).toBe(1);
    await page.reload();
    expect(await page.content()).toContain("Forbidden");
    await page.context().close();
  });

  it.skipIf(!HAVE_CHROMIUM)(
    "lists sessions by name and revokes one: that browser is logged out, the other is not",
    async () => {
      const p = await makeProject();
      await p.part("a", { title: "Part a" });
      await p.ok(["queue"]);
      const d = await serve(p);
      const ana = await openPage(d.url, "Ana");
      const ben = await openPage(d.url, "Ben");
      const list = await listed(p);
      expect(list.map((l) => l.name).sort()).toEqual(["Ana", "Ben"]);
      expect(list.every((l) => l.from.includes("127.0.0.1"))).toBe(true);
      const human = await p.ok(["dashboard", "sessions"]);
      expect(human.stdout).toMatch(/Ana/);
      expect(human.stdout).toMatch(/LAST SEEN/);

      const revoked = await p.ok(["dashboard", "sessions", "--revoke", "Ana"]);
      expect(revoked.stdout).toContain("Ana");
      await expect.poll(() => loggedOut(ana), { timeout: 30_000 }).toBe(1);
      expect(await loggedOut(ben)).toBe(0);
      expect(await ana.locator("body").textContent()).not.toContain("Part a");
      // Ben still works: he can leave a note.
      await ben.evaluate(() => {
        location.hash = "#/task/a";
      });
      await ben.locator(".note-input").fill("still here");
      await ben.locator(".note-form button[type=submit]").click();
      await expect.poll(async () => (await p.show("a")).notes.length, { timeout: 30_000 }).toBe(1);

      const unknown = await p.run(["dashboard", "sessions", "--revoke", "nobody"]);
      expect(unknown.code).toBe(3);
      expect(unknown.stderr).toContain('no dashboard session has the id or name "nobody"');
      await p.ok(["dashboard", "sessions", "--revoke", (list.find((l) => l.name === "Ben") as Listed).id]);
      await expect.poll(() => loggedOut(ben), { timeout: 30_000 }).toBe(1);
      expect(await listed(p)).toEqual([]);
      await ana.context().close();
      await ben.context().close();
    },
  );

  it.skipIf(!HAVE_CHROMIUM)(
    "rotates the token: the old URL stops working, every session ends, the new URL works",
    async () => {
      const p = await makeProject();
      const d = await serve(p);
      const page = await openPage(d.url, "Ana");
      const r = documented<{ rotated: Array<{ url: string; ended: number }> }>(
        (await p.ok(["dashboard", "sessions", "--rotate-token", "--json"])).stdout,
      );
      expect(r.rotated).toHaveLength(1);
      expect(r.rotated[0]?.ended).toBe(1);
      const fresh = new URL(r.rotated[0]?.url as string);
      expect(fresh.origin).toBe(d.origin);
      expect(fresh.searchParams.get("token")).not.toBe(d.token);
      await expect.poll(() => loggedOut(page), { timeout: 30_000 }).toBe(1);
      expect(await login(d)).toBeNull();
      expect(await login(d, `/?token=${fresh.searchParams.get("token")}`)).toBeTruthy();
      await page.context().close();
    },
  );

  it.skipIf(!HAVE_CHROMIUM)(
    "records the session's name with every action from the page, in show and the brief; refuses a hostile name",
    async () => {
      const p = await makeProject();
      await p.part("w", { title: "Work", steps: [gate(p, "w"), ...commitAndDone("w.txt")] });
      await p.ok(["queue"]);
      const d = await serve(p);
      const page = await openPage(d.url);
      await page.locator(".session-name-input").fill("<img src=x onerror=alert(1)>");
      await page.locator(".session-form button[type=submit]").click();
      await expect
        .poll(() => page.locator(".session-error").textContent(), { timeout: 30_000 })
        .toContain("letters, digits");
      expect(await page.locator("img").count()).toBe(0);
      await page.locator(".session-name-input").fill("Zoë Q");
      await page.locator(".session-form button[type=submit]").click();
      await expect.poll(() => page.locator(".session-name").textContent(), { timeout: 30_000 }).toBe("Zoë Q");

      await page.locator('button[data-action="launch-ready"]').click();
      await page.locator('dialog.confirm button[data-answer="ok"]').click();
      await p.waitState("w", "running");
      await page.evaluate(() => {
        location.hash = "#/task/w";
      });
      await page.locator(".note-input").fill("Looks right so far.");
      await page.locator(".note-form button[type=submit]").click();
      await page.locator('button[data-action="stop"]').click();
      await page.locator('dialog.confirm button[data-answer="ok"]').click();
      await p.waitState("w", "stopped");
      const shown = await p.show("w");
      const by = (cause: string) =>
        (shown.events as Array<{ cause: string; actor?: string }>).find((e) => e.cause === cause)?.actor;
      expect(by("launched")).toBe("Zoë Q (dashboard)");
      expect(by("stopped by a person")).toBe("Zoë Q (dashboard)");
      const text = (await p.ok(["show", "w"])).stdout;
      expect(text).toContain("by Zoë Q (dashboard)");
      const brief = (await p.ok(["review", "w", "--no-diff"])).stdout;
      expect(brief).toContain("- Looks right so far. (Zoë Q (dashboard))");
      expect(brief).toMatch(/stopped by a person.*Zoë Q \(dashboard\)/);
      await page.context().close();
    },
  );

  it("--open hands the browser a one-time code: no process's argv holds the token", async () => {
    const p = await makeProject();
    const record = join(p.parent, "opened.txt");
    const opener = join(p.parent, "browser-stand-in.sh");
    await writeFile(
      opener,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${record}.tmp"\nmv "${record}.tmp" "${record}"\nsleep 4\n`,
    );
    await chmod(opener, 0o755);
    const d = await serve(p, ["--open"], { BROWSER: opener });
    const url = await waitFor(
      async () => (await readFile(record, "utf8").catch(() => "")).trim() || undefined,
      "the stand-in browser to run",
    );
    // While the stand-in runs (it sleeps), nothing in any process's argv carries the token.
    const seen: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const pid of (await readdir("/proc")).filter((n) => /^\d+$/.test(n))) {
        const argv = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
        if (argv.includes(d.token)) seen.push(`${pid}: ${argv.replace(/\0/g, " ")}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(seen).toEqual([]);
    expect(url).not.toContain(d.token);
    expect(url.startsWith(`${d.origin}/?code=`)).toBe(true);
    // The code logs in once; the same URL again is refused.
    const path = url.slice(d.origin.length);
    expect(await login(d, path)).toBeTruthy();
    expect(await login(d, path)).toBeNull();
  });

  it("answers 400, not 500, to malformed URLs", async () => {
    const p = await makeProject();
    await p.part("a", { title: "Part a" });
    await p.ok(["queue"]);
    const d = await serve(p);
    const cookie = (await login(d)) as string;
    const csrf = await csrfOf(d, cookie);
    for (const path of ["/api/tasks/%E0%A4%A", "/api/tasks/%zz/terminal", "/api/tasks/a%", "/%"]) {
      const r = await raw(d.port, path, { headers: { Cookie: cookie } });
      expect(r.status, path).toBe(400);
    }
    const post = await raw(d.port, "/api/tasks/%zz/notes", {
      method: "POST",
      headers: {
        Cookie: cookie,
        Origin: d.origin,
        "X-Ballador-CSRF": csrf,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ text: "x" }),
    });
    expect(post.status).toBe(400);
    // Still 400 without a session: the URL is refused before anything else is looked at.
    expect((await raw(d.port, "/api/tasks/%zz")).status).toBe(400);
    expect((await raw(d.port, "/api/tasks/a", { headers: { Cookie: cookie } })).status).toBe(200);
  });
});
