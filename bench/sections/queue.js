/**
 * `ballador queue` at size: read, parse and validate every part file, check the graph,
 * write all tasks in one transaction. Whole CLI process, wall clock.
 */
import { join } from "node:path";
import { ballador, figure, stats, tempDir } from "../lib.js";

export const section = {
  name: "queue",
  order: 20,
  description: "ballador queue of N fresh parts (whole process), then re-queue with nothing changed",
  async run(ctx) {
    const repo = ctx.partsRepo();
    const n = ctx.parts;
    // Fresh stores through BALLADOR_STATE_DIR for the extra samples; the last run fills the
    // repo's own store, which the following sections read.
    const extra = n >= 5000 ? 2 : 4;
    const fresh = [];
    fresh.cpu = [];
    for (let i = 0; i < extra; i++) {
      const env = { ...repo.env, BALLADOR_STATE_DIR: join(tempDir("ballador-bench-state-"), "state") };
      const r = ballador({ ...repo, env }, ["queue"]);
      fresh.push(r.ms);
      fresh.cpu.push(r.cpuMs);
    }
    const last = ballador(repo, ["queue", "--json"]);
    const result = JSON.parse(last.stdout);
    if (result.inserted.length !== n) {
      throw new Error(`queue inserted ${result.inserted.length} tasks, expected ${n}`);
    }
    fresh.push(last.ms);
    fresh.cpu.push(last.cpuMs);
    ctx.markQueued();
    const again = [];
    again.cpu = [];
    for (let i = 0; i < 2; i++) {
      const r = ballador(repo, ["queue"]);
      again.push(r.ms);
      again.cpu.push(r.cpuMs);
    }
    const q = stats(fresh);
    ctx.log(
      `queue ${n}: median ${q.median.toFixed(0)} ms; unchanged re-queue ${stats(again).median.toFixed(0)} ms`,
    );
    return [
      figure("queue", `ballador queue, ${n} new parts`, q, { target: 2000 }),
      figure("queue", `ballador queue again, ${n} unchanged`, stats(again)),
    ];
  },
};
