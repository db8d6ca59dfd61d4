/**
 * One state change at size, in-process through the task store (the CLI has no command for a
 * bare state change yet). Each change is one immediate transaction: check, write, append the
 * event, settle the readiness of the task's dependents.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DIST, figure, sample, stats } from "../lib.js";

export const section = {
  name: "transition",
  order: 40,
  description: "store.transition at N tasks, in-process: a round trip on a ready task, then merges",
  async run(ctx) {
    const repo = ctx.queuedRepo();
    const n = ctx.parts;
    const { TaskStore } = await import(pathToFileURL(join(DIST, "adapters", "store", "index.js")).href);
    const openStart = process.hrtime.bigint();
    const store = TaskStore.open(repo.stateDir, { stack: false });
    const openMs = Number(process.hrtime.bigint() - openStart) / 1e6;
    try {
      // Ready tasks, the ones most others wait on first.
      const ready = store.db
        .prepare(
          `SELECT t.id, COUNT(d.task_id) AS dependents FROM tasks t LEFT JOIN deps d ON d.dep_id = t.id
           WHERE t.state = 'ready' GROUP BY t.id ORDER BY dependents DESC, t.seq LIMIT 6`,
        )
        .all();
      if (ready.length === 0) throw new Error("no ready task to move");
      const hub = ready[0];
      const opts = (expect) => ({ cause: "bench", actor: "bench", expectFrom: [expect] });

      // Round trip ready -> running -> stopped -> ready on the busiest ready task.
      const toRunning = [];
      const toStopped = [];
      const toReady = [];
      const N = 15;
      for (let i = 0; i < N + 2; i++) {
        const a = process.hrtime.bigint();
        store.transition(hub.id, "running", opts("ready"));
        const b = process.hrtime.bigint();
        store.transition(hub.id, "stopped", opts("running"));
        const c = process.hrtime.bigint();
        store.transition(hub.id, "ready", opts("stopped"));
        const d = process.hrtime.bigint();
        if (i < 2) continue; // warm-up: statement caches, page cache
        toRunning.push(Number(b - a) / 1e6);
        toStopped.push(Number(c - b) / 1e6);
        toReady.push(Number(d - c) / 1e6);
      }
      const readCost = stats(await sample(10, () => store.task(hub.id)));

      // review -> merged settles every dependent (they may become ready): the heaviest move.
      // Irreversible (merged is final), so each of the next busiest ready tasks merges once.
      const merges = [];
      let propagated = 0;
      for (const t of ready.slice(1)) {
        store.transition(t.id, "running", opts("ready"));
        store.transition(t.id, "verifying", opts("running"));
        store.transition(t.id, "review", opts("verifying"));
        const before = store.db.prepare("SELECT COUNT(*) AS c FROM tasks WHERE state = 'ready'").get().c;
        const a = process.hrtime.bigint();
        store.transition(t.id, "merged", opts("review"));
        merges.push(Number(process.hrtime.bigint() - a) / 1e6);
        propagated +=
          store.db.prepare("SELECT COUNT(*) AS c FROM tasks WHERE state = 'ready'").get().c - before;
      }
      const r = stats(toRunning);
      ctx.log(`ready->running on ${hub.id} (${hub.dependents} dependents): median ${r.median.toFixed(2)} ms`);
      const where = `in-process, ${n} tasks`;
      return [
        figure("state change", `open the store (${where})`, openMs),
        figure("state change", `ready -> running, ${hub.dependents} dependents (${where})`, r),
        figure("state change", `running -> stopped (${where})`, stats(toStopped)),
        figure("state change", `stopped -> ready (${where})`, stats(toReady)),
        figure("state change", `review -> merged (${where})`, stats(merges), {
          note: `${propagated} dependents became ready over ${merges.length} merges`,
        }),
        figure("state change", `store.task(id) read (${where})`, readCost),
      ];
    } finally {
      store.close();
    }
  },
};
