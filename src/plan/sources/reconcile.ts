/**
 * Reconciling the store with the tracker at every sync: a task whose issue was closed, deleted
 * or no longer selected upstream is abandoned with that reason (a live run is stopped; its
 * worktree and branch stay). Asked of the tracker before anything changes; applied after the
 * sync's parts are queued.
 */
import type { Tracker } from "../../adapters/trackers/index.js";
import { cleanLine, type PlannedParts, type TrackerIssue } from "../../core/sources.js";
import type { Project } from "../../project/index.js";
import { abandon } from "../../run/index.js";

export async function reconcileGone(
  project: Project,
  name: string,
  tracker: Tracker,
  issues: readonly TrackerIssue[],
  plan: PlannedParts,
): Promise<{ apply: () => Promise<Array<{ id: string; why: string }>> }> {
  const store = project.store();
  const planned = new Set(plan.parts.map((p) => p.id));
  const listed = new Map(issues.map((i) => [i.ref, i]));
  const gone: Array<{ id: string; why: string }> = [];
  for (const item of store.sourceItems(name)) {
    if (item.gone !== null || planned.has(item.taskId)) continue;
    const key = cleanLine(item.key, 40);
    let why: string;
    const open = listed.get(item.ref);
    if (open) {
      const skipped = plan.skipped.find((s) => s.key === key);
      why = `issue ${key} is no longer imported: ${skipped?.reason ?? "not selected"}`;
    } else {
      const now = await tracker.get(item.ref);
      why =
        now === null
          ? `issue ${key} was deleted upstream`
          : now.open
            ? `issue ${key} is no longer selected upstream (label or assignee removed)`
            : `issue ${key} was closed upstream`;
    }
    gone.push({ id: item.taskId, why });
  }
  return {
    apply: async () => {
      const done: Array<{ id: string; why: string }> = [];
      for (const g of gone) {
        const task = store.task(g.id);
        if (task && task.state !== "merged" && task.state !== "abandoned") {
          await abandon(project, g.id, `source:${name}`, g.why);
          done.push(g);
        }
        store.markSourceItemGone(g.id, g.why);
      }
      return done;
    },
  };
}
