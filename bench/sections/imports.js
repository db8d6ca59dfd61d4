/**
 * Where cold start goes: each dependency and entry module imported alone in a fresh Node
 * process, minus the floor (`node -e 0`). Informational; it explains the cold-start figures.
 */
import { figure, ROOT, run, stats } from "../lib.js";

const CASES = [
  ["commander", "await import('commander')"],
  ["yaml", "await import('yaml')"],
  ["zod", "await import('zod')"],
  ["better-sqlite3", "await import('better-sqlite3')"],
  ["dist/cli/main.js (what --version loads)", "await import('./dist/cli/main.js')"],
  ["dist/config/load.js (yaml + zod + schema)", "await import('./dist/config/load.js')"],
  ["dist/project/index.js (every project command)", "await import('./dist/project/index.js')"],
  [
    "spawn git rev-parse",
    "(await import('node:child_process')).execFileSync('git', ['rev-parse', '--git-common-dir'])",
  ],
];

export const section = {
  name: "imports",
  order: 15,
  description: "import cost of each dependency and entry module in a fresh process, over the node floor",
  async run(ctx) {
    const N = 8;
    const samples = new Map([["floor", []], ...CASES.map(([name]) => [name, []])]);
    const node = (code) => run(process.execPath, ["--input-type=module", "-e", code], { cwd: ROOT }).ms;
    node("0");
    for (let i = 0; i < N; i++) {
      samples.get("floor").push(node("0"));
      for (const [name, code] of CASES) samples.get(name).push(node(code));
    }
    const floor = stats(samples.get("floor")).median;
    ctx.log(`floor (node -e 0) ${floor.toFixed(1)} ms; figures below are over it`);
    return CASES.map(([name]) => {
      const s = stats(samples.get(name).map((ms) => ms - floor));
      return figure("imports", `${name}, over floor`, s);
    });
  },
};
