/**
 * CLI cold start: the price of every `ballador` call an agent or a person makes.
 * `node -e 0` is the floor: what Node itself costs before Ballador loads anything.
 */
import { ballador, figure, makeRepo, run, stats } from "../lib.js";

export const section = {
  name: "cold-start",
  order: 10,
  description: "node -e 0 (floor), ballador --version, ballador status on an empty initialised repo",
  async run(ctx) {
    const N = 20;
    const repo = makeRepo("empty");
    const floor = [];
    const version = [];
    const status = [];
    const cpu = { floor: [], version: [], status: [] };
    const take = (key, list, r) => {
      list.push(r.ms);
      cpu[key].push(r.cpuMs);
    };
    // Interleave the three so a noisy moment on the machine hits them alike.
    run(process.execPath, ["-e", "0"]);
    ballador(repo, ["--version"]);
    ballador(repo, ["status"]);
    for (let i = 0; i < N; i++) {
      take("floor", floor, run(process.execPath, ["-e", "0"]));
      take("version", version, ballador(repo, ["--version"]));
      take("status", status, ballador(repo, ["status"]));
    }
    const f = stats(floor, cpu.floor);
    const v = stats(version, cpu.version);
    const s = stats(status, cpu.status);
    ctx.setFloor(f.median);
    ctx.log(
      `floor ${f.median.toFixed(1)} ms, --version ${v.median.toFixed(1)} ms, status ${s.median.toFixed(1)} ms`,
    );
    return [
      figure("cold start", "node -e 0 (floor)", f),
      figure("cold start", "ballador --version", v, {
        target: 150,
        note: `+${(v.median - f.median).toFixed(0)} ms over floor`,
      }),
      figure("cold start", "ballador status, empty repo", s, {
        note: `+${(s.median - f.median).toFixed(0)} ms over floor`,
      }),
    ];
  },
};
