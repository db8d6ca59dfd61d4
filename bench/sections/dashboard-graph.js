/**
 * The dashboard's graph at 200 tasks (issue 34): is it legible, and how long does drawing it
 * take? Headless Chromium draws the graph of 20 tasks (the floor) and of 200 (random DAG, fixed
 * seed) with every task in place (the "done" toggle); each figure is the synchronous redraw a
 * click on the toggle costs. Legibility is measured on the drawing: nodes that overlap (0 is
 * legible), labels' font size in CSS pixels, how many tasks have a node of their own (a crowded
 * wave shows 29 and "+N more"), and edges drawn against dependencies.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
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
  const end = Date.now() + 30_000;
  while (!out.includes("}\n")) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`dashboard did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: JSON.parse(out.slice(out.indexOf("{"), out.indexOf("}\n") + 1)).url,
    stop: () => child.kill("SIGTERM"),
  };
}

/** What the drawing says about legibility, read in the page. */
function legibility() {
  const nodes = [...document.querySelectorAll("svg.graph .node")].map((g) => g.getBoundingClientRect());
  let overlaps = 0;
  for (let i = 0; i < nodes.length; i++)
    for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i];
      const b = nodes[j];
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
        overlaps++;
    }
  const label = document.querySelector("svg.graph .node .label");
  const svg = document.querySelector("svg.graph");
  return {
    nodes: nodes.length,
    own: document.querySelectorAll("svg.graph [data-id]").length,
    edges: document.querySelectorAll("svg.graph path.edge").length,
    overlaps,
    font: label ? Number.parseFloat(getComputedStyle(label).fontSize) : 0,
    size: svg ? `${svg.getAttribute("width")}x${svg.getAttribute("height")}` : "",
  };
}

async function measure(browser, n, log) {
  const repo = makeRepo(`graph${n}`);
  generateParts(repo, n, { seed: 11 });
  ballador(repo, ["queue"]);
  const d = await serve(repo);
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
    const page = await context.newPage();
    await page.goto(d.url);
    await page.waitForSelector("svg.graph");
    const draws = [];
    for (let i = 0; i < 12; i++) {
      draws.push(
        await page.evaluate(() => {
          const t0 = performance.now();
          document.querySelector("input.show-done").click();
          return performance.now() - t0;
        }),
      );
    }
    // Leave it showing every task, then read the drawing.
    if (!(await page.locator("input.show-done").isChecked())) await page.locator("input.show-done").click();
    const l = await page.evaluate(legibility);
    log(`${n} tasks: ${JSON.stringify(l)}`);
    await context.close();
    return { draws, l };
  } finally {
    d.stop();
  }
}

export const section = {
  name: "dashboard-graph",
  order: 91,
  description: "the dashboard's graph at 20 (floor) and 200 tasks in Chromium: redraw time and legibility",
  async run(ctx) {
    if (!existsSync(CHROMIUM)) {
      ctx.log(`skipped: no ${CHROMIUM}`);
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
      ],
    });
    try {
      const small = await measure(browser, 20, ctx.log);
      const big = await measure(browser, 200, ctx.log);
      const s = stats(small.draws);
      const b = stats(big.draws);
      const say = (l) =>
        `${l.own} task nodes of ${l.nodes}, ${l.edges} edges, ${l.overlaps} overlapping, labels ${l.font}px, ${l.size} px`;
      return [
        figure("dashboard graph", "draw the graph, 20 tasks (floor)", s, { note: say(small.l) }),
        figure(
          "dashboard graph",
          `draw the graph, 200 tasks (${(b.median / s.median).toFixed(1)}x floor)`,
          b,
          {
            target: 1000,
            note: say(big.l),
          },
        ),
      ];
    } finally {
      await browser.close();
    }
  },
};
