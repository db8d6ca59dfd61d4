/**
 * The dashboard in real headless Chromium, against `ballador dashboard` started as a person
 * would, on projects run by scripted agents: access control, live updates, notes between two
 * browsers, actions, hostile text, the terminal, and screenshots for a person to look at.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { ARTIFACTS, HAVE_CHROMIUM, useBrowser } from "../helpers/browser.js";
import { runProgram } from "../helpers/cli.js";
import { rawRequest as raw, serveDashboard as serve } from "../helpers/dashboard.js";
import {
  cleanupProjects,
  commitAndDone,
  gate,
  launchedToReview,
  makeProject,
  waitFor,
} from "../helpers/runtime.js";
import { makeSandboxProject } from "../helpers/sandbox.js";

const browser = useBrowser();
afterEach(cleanupProjects);

/** What the browser refused under the page's Content-Security-Policy, per page. */
const refused = new WeakMap<Page, string[]>();

async function openPage(url: string): Promise<Page> {
  const context = await browser().newContext({ viewport: { width: 1440, height: 960 } });
  const page = await context.newPage();
  const list: string[] = [];
  refused.set(page, list);
  page.on("console", (m) => {
    if (/Content Security Policy|Trusted Type/i.test(m.text())) list.push(m.text());
  });
  await page.goto(url);
  return page;
}

const node = (page: Page, id: string) => page.locator(`svg.graph [data-id="${id}"]`);
const row = (page: Page, id: string) => page.locator(`.tbody .trow[data-id="${id}"]`);

async function confirm(page: Page, action: string): Promise<void> {
  await page.locator(`button[data-action="${action}"]`).click();
  await page.locator('dialog.confirm button[data-answer="ok"]').click();
}

describe.skipIf(!HAVE_CHROMIUM)("ballador dashboard in Chromium", () => {
  it("loads with the token, then by its session cookie; refuses everything without them", async () => {
    const p = await makeProject();
    await p.part("secret-part", { title: "Secret title" });
    await p.ok(["queue"]);
    const d = await serve(p);
    expect(new URL(d.url).hostname).toBe("127.0.0.1");

    for (const path of ["/", "/api/board", "/api/events", "/api/tasks/secret-part", "/assets/app.js"]) {
      const r = await raw(d.port, path, { headers: { Host: `127.0.0.1:${d.port}` } });
      expect(r.status, path).toBe(403);
      expect(r.body).not.toContain("secret-part");
      expect(r.body).not.toContain("Secret title");
    }
    const wrong = await raw(d.port, "/?token=nope", { headers: { Host: `127.0.0.1:${d.port}` } });
    expect(wrong.status).toBe(403);
    // DNS rebinding: the right token under a foreign Host name is still refused.
    const token = new URL(d.url).searchParams.get("token") as string;
    const rebound = await raw(d.port, `/?token=${token}`, { headers: { Host: `evil.example:${d.port}` } });
    expect(rebound.status).toBe(403);

    const page = await openPage(d.url);
    // The token is traded for a cookie and leaves the address bar.
    expect(page.url()).toBe(`${d.origin}/`);
    await expect.poll(() => row(page, "secret-part").count(), { timeout: 30_000 }).toBe(1);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === `ballador_dashboard_${d.port}`);
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
    const csp = (await page.request.get(`${d.origin}/`)).headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-eval");

    // A state-changing request needs the CSRF header and the same Origin, even with the cookie.
    const cookie = `${session?.name}=${session?.value}`;
    const noCsrf = await raw(d.port, "/api/tasks/secret-part/notes", {
      method: "POST",
      headers: {
        Host: `127.0.0.1:${d.port}`,
        Origin: d.origin,
        Cookie: cookie,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ text: "forged" }),
    });
    expect(noCsrf.status).toBe(403);
    const csrf = (await page.locator('meta[name="ballador-csrf"]').getAttribute("content")) as string;
    const foreign = await raw(d.port, "/api/tasks/secret-part/notes", {
      method: "POST",
      headers: {
        Host: `127.0.0.1:${d.port}`,
        Origin: "http://evil.example",
        Cookie: cookie,
        "X-Ballador-CSRF": csrf,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ text: "forged" }),
    });
    expect(foreign.status).toBe(403);
    expect((await p.show("secret-part")).notes).toEqual([]);
    await page.context().close();
  });

  it("refuses a non-loopback address unless told, and says what binding it exposes", async () => {
    const p = await makeProject();
    const r = await p.run(["dashboard", "--host", "0.0.0.0", "--port", "0"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--allow-remote");
    const d = p.spawn(["dashboard", "--host", "0.0.0.0", "--port", "0", "--allow-remote"]);
    await waitFor(
      async () => (d.output().includes("warning: bound to 0.0.0.0") ? true : undefined),
      () => d.output(),
    );
    expect(d.output()).toMatch(/sees every task, diff and terminal/);
    d.child.kill("SIGTERM");
    expect(await d.exited).toBe(0);
  });

  it("shows a scripted run move from running to review live, in the graph and the table", async () => {
    const p = await makeProject();
    await p.part("schema", {
      title: "Define the schema",
      steps: [gate(p, "schema"), ...commitAndDone("schema.sql")],
    });
    await p.part("api", { title: "Serve the API", needs: ["schema"], steps: commitAndDone("api.txt") });
    await p.part("docs", { title: "Write the docs", steps: [gate(p, "docs"), ...commitAndDone("docs.md")] });
    await p.part("ui", { title: "Build the UI", needs: ["api", "docs"], steps: commitAndDone("ui.txt") });
    await p.part("spike", { title: "Throwaway spike", steps: [{ blocked: "needs a decision on storage" }] });
    await p.ok(["queue"]);
    const d = await serve(p);
    const page = await openPage(d.url);
    await expect
      .poll(() => node(page, "schema").getAttribute("data-state"), { timeout: 30_000 })
      .toBe("ready");
    expect(await node(page, "ui").getAttribute("data-state")).toBe("queued");

    // The downbeat from the page: the same launch as the CLI's.
    await expect
      .poll(() => page.locator('button[data-action="launch-ready"]').textContent())
      .toBe("Launch ready (3)");
    await confirm(page, "launch-ready");
    await expect
      .poll(() => page.locator(".flash.ok").textContent(), { timeout: 30_000 })
      .toContain("started schema");
    await expect
      .poll(() => node(page, "schema").getAttribute("data-state"), { timeout: 30_000 })
      .toBe("running");
    await expect.poll(() => row(page, "schema").getAttribute("data-state")).toBe("running");
    expect(await node(page, "schema").getAttribute("class")).toContain("active");
    await expect
      .poll(() => node(page, "spike").getAttribute("data-state"), { timeout: 30_000 })
      .toBe("blocked");
    expect(await node(page, "spike").getAttribute("class")).toContain("needs-you");

    await p.open("schema");
    const seen = await waitFor(
      async () =>
        (await node(page, "schema").getAttribute("data-state")) === "review" ? Date.now() : undefined,
      "the graph to show schema in review",
      30_000,
    );
    // The store said review no later than the page did; the page follows within a second or so
    // (the bound also holds the CLI's `show` on a loaded two-core machine).
    const t = await p.task("schema");
    expect(t.state).toBe("review");
    expect(Date.now() - seen).toBeLessThan(30_000);
    await expect.poll(() => row(page, "schema").getAttribute("data-state")).toBe("review");
    await expect.poll(() => page.locator('.review-list li[data-id="schema"]').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-overview.png"), fullPage: true });
    await page.locator(".graph-panel").screenshot({ path: join(ARTIFACTS, "dashboard-graph.png") });

    // Sorting and filtering the table.
    await page.locator(".filter").fill("docs");
    await expect.poll(() => page.locator(".tbody .trow").count()).toBe(1);
    await page.locator(".filter").fill("");
    await page.locator('button.sort[data-key="id"]').click();
    await expect
      .poll(async () =>
        (
          await page.locator(".tbody .trow").evaluateAll((rs) => rs.map((r) => r.getAttribute("data-id")))
        ).join(","),
      )
      .toBe("api,docs,schema,spike,ui");
    await p.open("docs");
    await page.context().close();
  });

  it("shows a note left in one browser in another at once, and puts it in the brief", async () => {
    const p = await makeProject();
    await p.part("a", { title: "Part a", steps: commitAndDone("a.txt") });
    await launchedToReview(p, "a");
    const d = await serve(p);
    const one = await openPage(`${d.url}`);
    const two = await openPage(`${d.url}`);
    for (const page of [one, two]) {
      await page.evaluate(() => {
        location.hash = "#/task/a";
      });
      await expect
        .poll(() => page.locator('[data-testid="task-state"]').textContent(), { timeout: 30_000 })
        .toBe("review");
    }
    await one.locator(".note-input").fill("Checked with Sam: keep the v1 field names.");
    await one.locator(".note-form button[type=submit]").click();
    const start = Date.now();
    await expect
      .poll(() => two.locator('.note[data-kind="person"] .note-text').textContent(), { timeout: 20_000 })
      .toBe("Checked with Sam: keep the v1 field names.");
    // Pushed (the page never reloads its data on a timer): seconds, with slack for a loaded machine.
    expect(Date.now() - start).toBeLessThan(15_000);
    const brief = await p.ok(["review", "a", "--no-diff"]);
    expect(brief.stdout).toContain("## The person's notes");
    expect(brief.stdout).toContain("- Checked with Sam: keep the v1 field names.");
    await one.context().close();
    await two.context().close();
  });

  it("stops a running task and retries it from the page, with the CLI's errors", async () => {
    // A verify command of its own: the page's merge verifies (an unverified task asks for the CLI's --unverified).
    const p = await makeProject({ config: { verify: "test -f w.txt" } });
    await p.part("w", {
      title: "Long work",
      steps: [{ print: "working on w: step 1 of 2" }, gate(p, "w"), ...commitAndDone("w.txt")],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("w", "running");
    const d = await serve(p);
    const page = await openPage(`${d.url}`);
    await page.evaluate(() => {
      location.hash = "#/task/w";
    });
    const state = page.locator('[data-testid="task-state"]');
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe("running");
    // The live terminal, drawn by the emulator from the tmux screen.
    await expect
      .poll(() => page.locator(".xterm-rows").textContent(), { timeout: 30_000 })
      .toContain("working on w: step 1 of 2");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-task.png"), fullPage: true });

    await confirm(page, "stop");
    await expect.poll(() => state.textContent(), { timeout: 20_000 }).toBe("stopped");
    expect((await p.task("w")).state).toBe("stopped");
    await expect.poll(() => page.locator(".flash.ok").textContent()).toContain("Stopped w");

    await confirm(page, "retry");
    await expect.poll(() => state.textContent(), { timeout: 20_000 }).toBe("running");
    const t = await p.task("w");
    expect(t.attempt).toBe(2);
    await p.open("w");
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe("review");

    // Merge refuses exactly as the CLI does: here, the dependency rule is not in play, so merge works.
    await confirm(page, "merge");
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe("merged");
    await expect.poll(() => page.locator(".flash.ok").textContent()).toContain("Merged w");
    await page.context().close();
  });

  it("marks an agent that asks a question in the graph, the table and its page; request changes sends words back", async () => {
    const p = await makeProject({
      config: { needs_you: { quiet: "1s", nudge_after: "10m" }, idle_timeout: "10m" },
    });
    await p.part("asks", {
      title: "Asks first",
      steps: [
        {
          run: "printf 'Overwrite <b>the</b> config? [y/N] ' > /dev/tty; read answer < /dev/tty; printf '%s\\n' \"$answer\" > answer.txt",
        },
        { commit: "answer" },
        { done: { summary: "went on" } },
      ],
    });
    await p.part("done-first", { title: "Done first", steps: commitAndDone("first.txt") });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("done-first", "review");
    const d = await serve(p);
    const page = await openPage(d.url);
    // Graph: the question mark badge, the question on the node; table: the flag with the words.
    await expect
      .poll(() => node(page, "asks").getAttribute("class"), { timeout: 20_000 })
      .toContain("asking");
    expect(await node(page, "asks").locator("text.sub").textContent()).toContain("asks: Overwrite");
    await expect
      .poll(() => row(page, "asks").textContent())
      .toContain("asks: Overwrite <b>the</b> config? [y/N]");
    // Split (issue 34): the asking agent waits for a person; the task in review is ready for a verdict.
    expect(await page.locator(".count.needs").textContent()).toBe("1 waiting for you");
    expect(await page.locator(".count.for-review").textContent()).toBe("1 ready for review");
    await page.evaluate(() => {
      location.hash = "#/task/asks";
    });
    const waiting = page.locator('[data-testid="waiting"]');
    await expect
      .poll(() => waiting.textContent(), { timeout: 30_000 })
      .toContain("Overwrite <b>the</b> config?");
    expect(await page.locator('[data-testid="waiting"] b').count()).toBe(1);
    // The answer typed in its terminal: it goes on, and the mark goes away.
    await runProgram("tmux", ["-L", p.socket, "send-keys", "-t", "=bl-asks:", "y", "Enter"], {
      cwd: p.parent,
      env: p.env,
    });
    await p.waitState("asks", "review");
    await expect.poll(() => waiting.count(), { timeout: 30_000 }).toBe(0);

    // Request changes on the other task, from its page: an empty message is refused as the CLI does.
    await page.evaluate(() => {
      location.hash = "#/task/done-first";
    });
    const state = page.locator('[data-testid="task-state"]');
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe("review");
    await page.locator('button[data-action="request-changes"]').click();
    await page.locator('dialog.confirm button[data-answer="ok"]').click();
    await expect.poll(() => page.locator(".flash.error").textContent()).toContain("the message is empty");
    expect((await p.task("done-first")).state).toBe("review");
    await page.locator('button[data-action="request-changes"]').click();
    await page.locator("dialog.confirm textarea").fill("PERSON-SAYS: name the file second.txt");
    await page.locator('dialog.confirm button[data-answer="ok"]').click();
    await expect
      .poll(() => page.locator(".flash.ok").textContent(), { timeout: 20_000 })
      .toContain("Changes requested");
    const runs = (await p.show("done-first")).runs;
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(join(runs.at(-1)?.runDir ?? "", "prompt.md"), "utf8")).toContain(
      "PERSON-SAYS: name the file second.txt",
    );
    await page.context().close();
  });

  it("shows a pipeline task's stage in the table", async () => {
    const p = await makeProject();
    const script = JSON.stringify({ steps: [gate(p, "staged"), ...commitAndDone("staged.txt")] });
    await p.write(
      ".ballador/parts/staged.md",
      `---\nid: staged\ntitle: Staged\npipeline: [implementer]\n---\nDo it.\n\n\`\`\`ballador-script\n${script}\n\`\`\`\n`,
    );
    await p.part("plain", { title: "Plain", steps: [gate(p, "plain"), ...commitAndDone("plain.txt")] });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("staged", "running");
    const d = await serve(p);
    const page = await openPage(d.url);
    await expect
      .poll(() => row(page, "staged").locator(".c-role").textContent(), { timeout: 30_000 })
      .toBe("1/1 implementer");
    expect(await row(page, "plain").locator(".c-role").textContent()).toBe("");
    // Cost is a column, or (no room at this width) in each row's detail behind the header's cue.
    const cue =
      (await page
        .locator(".thead .more-cue")
        .getAttribute("data-hidden")
        .catch(() => "")) ?? "";
    expect(`${await page.locator(".thead").textContent()} ${cue}`).toMatch(/Cost|cost/);
    await page.context().close();
  });

  it("shows a part's own verify command in the table and on its page, as text", async () => {
    const evil = `true <img src=x onerror="window.__pwned=1">`;
    const p = await makeProject();
    await p.part("own", { title: "Own verify", verify: evil, steps: commitAndDone("own.txt") });
    await p.part("plain", { title: "Plain", steps: commitAndDone("plain.txt") });
    await p.ok(["queue"]);
    const d = await serve(p);
    const page = await openPage(d.url);
    await expect
      .poll(() => row(page, "own").locator(".c-flags").textContent(), { timeout: 30_000 })
      .toContain("own verify");
    expect(await row(page, "plain").locator(".c-flags").textContent()).not.toContain("own verify");
    await page.evaluate(() => {
      location.hash = "#/task/own";
    });
    await expect
      .poll(() => page.locator(".part-verify").textContent(), { timeout: 30_000 })
      .toContain(`Verified by the part's own command ${evil}, not the project's`);
    expect(await page.locator(".part-verify code").first().textContent()).toBe(evil);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("main img").count()).toBe(0);
    expect(refused.get(page)).toEqual([]);
    await page.context().close();
  });

  it("shows an action's refusal with the use case's message", async () => {
    const p = await makeProject();
    await p.part("base", { title: "Base", steps: [gate(p, "base"), ...commitAndDone("base.txt")] });
    await p.part("top", { title: "Top", needs: ["base"], steps: commitAndDone("top.txt") });
    await p.ok(["queue"]);
    await p.ok(["launch", "base"]);
    await p.waitState("base", "running");
    const d = await serve(p);
    const page = await openPage(`${d.url}`);
    // Stop from the page, then stop again through a stale page: the use case refuses.
    await page.evaluate(() => {
      location.hash = "#/task/base";
    });
    await expect
      .poll(() => page.locator('[data-testid="task-state"]').textContent(), { timeout: 30_000 })
      .toBe("running");
    await p.ok(["stop", "base"]);
    const r = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="ballador-csrf"]')?.content ?? "";
      const res = await fetch("/api/tasks/base/stop", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Ballador-CSRF": csrf },
        body: "{}",
      });
      return { status: res.status, body: await res.json() };
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("task base is stopped; only a running task can be stopped");
    await expect
      .poll(() => page.locator('[data-testid="task-state"]').textContent(), { timeout: 30_000 })
      .toBe("stopped");

    // Opening a pull request without a remote (or without gh): the page says what the CLI says.
    await p.ok(["retry", "base"]);
    await p.open("base");
    await expect
      .poll(() => page.locator('[data-testid="task-state"]').textContent(), { timeout: 30_000 })
      .toBe("review");
    const cli = await p.run(["pr", "base"]);
    expect(cli.code).not.toBe(0);
    await confirm(page, "pr");
    await expect
      .poll(() => page.locator(".flash.error .flash-text").textContent(), { timeout: 30_000 })
      .toBe(cli.stderr.split("\n")[0]?.replace(/^ballador: /, ""));
    // An empty note is refused with the reason.
    const empty = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="ballador-csrf"]')?.content ?? "";
      const res = await fetch("/api/tasks/base/notes", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Ballador-CSRF": csrf },
        body: JSON.stringify({ text: "  " }),
      });
      return { status: res.status, body: await res.json() };
    });
    expect(empty).toEqual({ status: 400, body: { error: "a note needs some text", details: [] } });
    await page.context().close();
  });

  it("stays responsive at 10,000 tasks: a virtualised table and a graph that caps crowded waves", async () => {
    const p = await makeProject();
    const dir = join(p.dir, ".ballador", "parts", "big");
    await mkdir(dir, { recursive: true });
    const id = (i: number) => `t${String(i).padStart(5, "0")}`;
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 10_000; i++) {
      const needs = i === 0 ? [] : [...new Set([id(Math.floor(rand() * i)), id(Math.floor(rand() * i))])];
      await writeFile(
        join(dir, `${id(i)}.md`),
        `---\nid: ${id(i)}\ntitle: Task ${i}\nneeds: [${needs.join(", ")}]\n---\nPart ${i}.\n`,
      );
    }
    await p.ok(["queue"]);
    const d = await serve(p);
    const page = await openPage(d.url);
    await expect
      .poll(() => page.locator(".table-count").textContent(), { timeout: 30_000 })
      .toBe("10000 of 10000");
    expect(await page.locator(".tbody .trow").count()).toBeLessThan(100);
    expect(await page.locator("svg.graph .node").count()).toBeLessThan(1500);
    expect(await page.locator("svg.graph .node.more").count()).toBeGreaterThan(0);
    // Scrolled to the end, the last rows are drawn (and still only a window of them).
    await page.locator(".tbody").evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await expect.poll(() => row(page, "t09999").count()).toBe(1);
    expect(await page.locator(".tbody .trow").count()).toBeLessThan(100);
    await page.context().close();
  }, 120_000);

  it("shows a sandboxed run's denied requests with the config lines that would allow them", async () => {
    const p = await makeSandboxProject();
    await p.part("net", {
      title: "Fetch the feed",
      steps: [
        { http: { url: "http://blocked.example.test/feed", timeout_ms: 5000 }, expect_fail: true },
        { done: "fetched nothing" },
      ],
    });
    await launchedToReview(p, "net");
    const d = await serve(p);
    const page = await openPage(d.url);
    await expect.poll(() => row(page, "net").locator(".flag-denied").count(), { timeout: 30_000 }).toBe(1);
    await page.evaluate(() => {
      location.hash = "#/task/net";
    });
    await expect
      .poll(() => page.locator(".denials li").allTextContents(), { timeout: 30_000 })
      .toEqual(["blocked.example.test:80 denied 1× (scripted)"]);
    expect(await page.locator("pre.suggestions").textContent()).toBe(
      'sandbox.allow_hosts: add "blocked.example.test"\nagents.profiles.scripted.allow_hosts: add "blocked.example.test"',
    );
    await page.context().close();
  });

  it("renders hostile titles, parts, notes and terminal output as text, and runs none of it", async () => {
    const evil = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>`;
    const p = await makeProject();
    await p.part("evil", {
      title: `${evil} title`,
      body: `# Heading ${evil}\n\n- item <svg onload="window.__pwned=1">\n\n[click](javascript:window.__pwned=1)\n\n\`<iframe src=javascript:window.__pwned=1>\``,
      steps: [
        { note: `note ${evil}` },
        { print: `terminal <b onmouseover="window.__pwned=1">bold</b> ${evil}` },
        { write: { path: `<img src=x onerror=alert(1)>.txt`, content: `${evil}\n` } },
        { commit: `commit ${evil}` },
        { done: { summary: `summary ${evil}` } },
      ],
    });
    await launchedToReview(p, "evil");
    const d = await serve(p);
    const page = await openPage(d.url);
    await expect.poll(() => row(page, "evil").count(), { timeout: 30_000 }).toBe(1);
    expect(await row(page, "evil").locator(".c-title").textContent()).toBe(`${evil} title`);
    await page.evaluate(() => {
      location.hash = "#/task/evil";
    });
    await expect
      .poll(() => page.locator(".note-text").allTextContents(), { timeout: 30_000 })
      .toContain(`note ${evil}`);
    await page.locator(".note-input").fill(`person ${evil}`);
    await page.locator(".note-form button[type=submit]").click();
    await expect.poll(() => page.locator(".note-text").allTextContents()).toContain(`person ${evil}`);
    await expect
      .poll(() => page.locator(".xterm-rows").textContent(), { timeout: 30_000 })
      .toContain("terminal <b onmouseover");
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain(`${evil} title`);
    expect(text).toContain(`Heading ${evil}`);
    expect(text).toContain("<img src=x onerror=alert(1)>.txt");
    expect(text).toContain(`summary ${evil}`);
    // Nothing ran, and none of it became an element.
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(
      await page.locator("main img, main script, main iframe, main svg[onload], main b[onmouseover]").count(),
    ).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-hostile.png"), fullPage: true });
    // The page itself stays within its policy (so a refusal would mean an attack, not noise).
    expect(refused.get(page)).toEqual([]);
    await page.context().close();
  });
});
