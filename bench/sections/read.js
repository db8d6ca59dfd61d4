/**
 * Reading the queue at size: status and next, the commands a person runs all day.
 * Whole processes first (what a person feels), then the same use cases in-process (what
 * Ballador's own code costs once Node and the modules are loaded).
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DIST, figure, sample, stats, timeCli } from "../lib.js";

const overFloor = (ctx, s) => `+${(s.median - ctx.floor()).toFixed(0)} ms over node floor`;

export const section = {
  name: "read",
  order: 30,
  description:
    "status --json, status, next --json, next at N tasks (whole process, median of 10; then in-process)",
  async run(ctx) {
    const repo = ctx.queuedRepo();
    const n = ctx.parts;
    const N = 10;
    const countTasks = (r) => {
      const tasks = JSON.parse(r.stdout).tasks;
      if (tasks.length !== n) throw new Error(`status --json listed ${tasks.length} tasks, expected ${n}`);
    };
    const cli = [
      [`ballador status --json, ${n} tasks`, ["status", "--json"], null, countTasks],
      [`ballador status (table), ${n} tasks`, ["status"], null],
      [`ballador next --json, ${n} tasks`, ["next", "--json"], 100],
      [`ballador next, ${n} tasks`, ["next"], 100],
    ];
    const out = [];
    for (const [name, args, target, check] of cli) {
      const s = timeCli(repo, args, N, { check });
      out.push(figure("read", name, s, { target, note: overFloor(ctx, s) }));
    }

    // In-process: open the project (git, config, store) and run the use case, as a
    // long-lived process (dashboard, MCP server, conductor) would.
    const { openProject } = await import(pathToFileURL(join(DIST, "project", "index.js")).href);
    const read = await import(pathToFileURL(join(DIST, "observe", "index.js")).href);
    const savedXdg = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = repo.env.XDG_CONFIG_HOME;
    try {
      const where = `in-process, ${n} tasks`;
      const once = async (fn) => {
        const p = await openProject(repo.dir);
        try {
          return fn(p);
        } finally {
          p.close();
        }
      };
      const inproc = [
        [`open project + next() + JSON (${where})`, (p) => JSON.stringify(read.next(p))],
        [`open project + status() + JSON (${where})`, (p) => JSON.stringify(read.status(p))],
        [`open project + store.tasks() (${where})`, (p) => p.store().tasks()],
        [`open project only (${where})`, (p) => p.config],
      ];
      for (const [name, fn] of inproc) {
        out.push(figure("read", name, stats(await sample(N, () => once(fn), { warmup: 2 }))));
      }
    } finally {
      if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = savedXdg;
    }
    for (const f of out) ctx.log(`${f.name}: median ${f.median.toFixed(0)} ms`);
    return out;
  },
};
