/**
 * Start-up against the floor on the same Node (issue 35): `--version`, and `next --json` and
 * `status --json` at N tasks, each paired with `node -e 0`, the two run in turn (A B A B ...) so
 * a noisy moment hits both. Quoted: the median of the per-pair wall ratios, and the CPU ratio of
 * the sums (the child's CPU is read at 10 ms resolution: per pair too coarse, summed exact
 * enough). Run it under another Node (`/path/to/node bench/run.js --only startup-ratios`) to
 * measure that Node: the floor is then that Node's `node -e 0`.
 */
import { ballador, figure, makeRepo, run, stats } from "../lib.js";

const PAIRS = 15;

/** A/B in turn after one warm-up each: per-pair wall ratios and summed CPU. */
function pairs(a, b) {
  a();
  b();
  const wall = { a: [], b: [], ratio: [] };
  const cpu = { a: [], b: [] };
  for (let i = 0; i < PAIRS; i++) {
    const ra = a();
    const rb = b();
    wall.a.push(ra.ms);
    wall.b.push(rb.ms);
    wall.ratio.push(ra.ms / rb.ms);
    cpu.a.push(ra.cpuMs);
    cpu.b.push(rb.cpuMs);
  }
  const sum = (l) => l.reduce((x, y) => x + (y ?? 0), 0);
  const ratio = stats(wall.ratio);
  return {
    a: stats(wall.a, cpu.a),
    b: stats(wall.b, cpu.b),
    wallRatio: ratio.median,
    cpuRatio: sum(cpu.b) > 0 ? sum(cpu.a) / sum(cpu.b) : null,
  };
}

const x = (r) => (r === null ? "?" : `${r.toFixed(2)}x`);

export const section = {
  name: "startup-ratios",
  order: 35,
  description: "--version, next --json and status --json at N tasks, each paired with node -e 0 (ratios)",
  async run(ctx) {
    const node = process.execPath;
    const floor = () => run(node, ["-e", "0"]);
    const empty = makeRepo("startup-empty");
    const big = ctx.queuedRepo();
    const n = ctx.parts;
    const cases = [
      ["ballador --version", () => ballador(empty, ["--version"]), 1.2],
      [`ballador next --json, ${n} tasks`, () => ballador(big, ["next", "--json"]), 1.5],
      [`ballador status --json, ${n} tasks`, () => ballador(big, ["status", "--json"]), 1.5],
    ];
    const out = [];
    for (const [name, cmd, target] of cases) {
      const p = pairs(cmd, floor);
      const verdict = p.cpuRatio !== null && p.cpuRatio <= target ? "pass" : "MISS";
      const note = `Node ${process.versions.node}; vs node -e 0 in ${PAIRS} pairs: wall ${x(p.wallRatio)} (median of pairs), CPU ${x(p.cpuRatio)} (sums); target ${target}x CPU: ${verdict}`;
      out.push(figure("startup", `node -e 0 (floor, paired with ${name.split(",")[0]})`, p.b));
      out.push(figure("startup", name, p.a, { note }));
      ctx.log(`${name}: ${note}`);
    }
    return out;
  },
};
