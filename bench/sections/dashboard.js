/**
 * The dashboard at size: `ballador dashboard` serving a queue of 1,000 and N tasks to headless
 * Chromium (Debian's chromium through playwright-core). Time to first render: from navigating to
 * the printed URL (token, cookie, assets, the board over server-sent events) until the graph and
 * the first table rows are drawn. Update latency: from a state change committed by another
 * process (here the store, in-process) until the page shows it in the table.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ballador, CLI, DIST, figure, generateParts, makeRepo, stats } from "../lib.js";

const CHROMIUM = process.env.BALLADOR_CHROMIUM ?? "/usr/bin/chromium";

async function serve(repo) {
  const child = spawn(process.execPath, [CLI, "dashboard", "--port", "0", "--json"], {
    cwd: repo.dir,
    env: repo.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => {
    out += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d) => {
    out += d;
  });
  const end = Date.now() + 30_000;
  while (!out.includes("}\n")) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`dashboard did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const info = JSON.parse(out.slice(out.indexOf("{"), out.indexOf("}\n") + 1));
  return { url: info.url, stop: () => child.kill("SIGTERM") };
}

async function measure(browser, repo, n, log) {
  const { TaskStore } = await import(pathToFileURL(join(DIST, "adapters", "store", "index.js")).href);
  const d = await serve(repo);
  try {
    const first = [];
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(d.url);
      await page.waitForSelector("svg.graph");
      await page.waitForSelector(".tbody .trow");
      first.push(performance.now() - t0);
      await context.close();
    }
    const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
    const page = await context.newPage();
    await page.goto(d.url);
    await page.waitForSelector(".tbody .trow");
    const domRows = await page.locator(".tbody .trow").count();
    const svgNodes = await page.locator("svg.graph .node").count();
    log(`${n} tasks: ${domRows} table rows and ${svgNodes} graph nodes in the DOM`);

    const store = TaskStore.open(repo.stateDir, { stack: false });
    const updates = [];
    try {
      const id = store.db
        .prepare("SELECT id FROM tasks WHERE state = 'ready' ORDER BY seq LIMIT 1")
        .get()?.id;
      if (!id) throw new Error("no ready task");
      await page.locator(".filter").fill(id);
      await page.waitForSelector(`.tbody .trow[data-id="${id}"]`);
      const opts = (from) => ({ cause: "bench", actor: "bench", expectFrom: [from] });
      const shows = (state) =>
        page.waitForFunction(
          ([x, s]) =>
            document.querySelector(`.tbody .trow[data-id="${x}"]`)?.getAttribute("data-state") === s,
          [id, state],
          { polling: "raf", timeout: 30_000 },
        );
      for (let i = 0; i < 8; i++) {
        let t0 = performance.now();
        store.transition(id, "running", opts("ready"));
        await shows("running");
        updates.push(performance.now() - t0);
        store.transition(id, "stopped", opts("running"));
        t0 = performance.now();
        store.transition(id, "ready", opts("stopped"));
        await shows("ready");
        updates.push(performance.now() - t0);
      }
    } finally {
      store.close();
      await context.close();
    }
    const where = `${n} tasks, Chromium`;
    return [
      figure("dashboard", `time to first render (${where})`, stats(first), {
        note: "navigate with the token to graph and table drawn",
      }),
      figure("dashboard", `update latency (${where})`, stats(updates), {
        target: 1000,
        note: "another process commits a state change -> the table row shows it",
      }),
    ];
  } finally {
    d.stop();
  }
}

export const section = {
  name: "dashboard",
  order: 90,
  description:
    "ballador dashboard in headless Chromium: time to first render and update latency at 1,000 and N tasks",
  async run(ctx) {
    if (!existsSync(CHROMIUM)) {
      ctx.log(`skipped: no ${CHROMIUM} (apt-get install chromium)`);
      return [];
    }
    if (!existsSync(join(DIST, "dashboard", "web", "app.js"))) throw new Error("run npm run build first");
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
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
    try {
      const figures = [];
      for (const n of [...new Set([1000, ctx.parts])].sort((a, b) => a - b)) {
        let repo;
        if (n === ctx.parts) repo = ctx.queuedRepo();
        else {
          repo = makeRepo(`dash${n}`);
          generateParts(repo, n, { seed: 7 });
          ballador(repo, ["queue"]);
        }
        figures.push(...(await measure(browser, repo, n, ctx.log)));
      }
      return figures;
    } finally {
      await browser.close();
    }
  },
};
