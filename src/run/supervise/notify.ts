/**
 * A supervisor's own notifications, for when no `launch --watch` sends them (outbox.ts): the
 * end of its task (review, failed, blocked), its agent starting to wait for a person, and a
 * textual conflict its branch now has with another in play. Each goes through the outbox under
 * the same key the watcher would use, so neither sends an event the other sent. Never fails the
 * run: a notification that cannot go out is said in the session.
 */
import type { RunSpec } from "../../adapters/runfolder/index.js";
import type { NotifyEvent } from "../../notify/index.js";
import {
  conflictKey,
  eventKey,
  needsYouKey,
  notifyFromSupervisor,
  supervisorSends,
} from "../../notify/index.js";
import type { Project } from "../../project/index.js";
import type { RunContext } from "./context.js";

type Say = (text: string) => void;

/** Sends that are still under way (a sender waits out the coalescing window): awaited at exit. */
const pending = new Set<Promise<void>>();

/** Resolves when every notification this process began has gone out (or failed). */
export async function settleNotifications(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

function track(p: Promise<void>): Promise<void> {
  pending.add(p);
  void p.finally(() => pending.delete(p));
  return p;
}

async function withProject(say: Say, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    say(`notify: ${(err as Error).message}`);
  }
}

/**
 * The task ended here. On review, also the textual conflicts its branch has with the others in
 * play (when `conflict_predicted` is asked for): they go out in the same coalesced message.
 */
export function notifyEnd(
  ctx: RunContext,
  event: "review" | "failed" | "blocked",
  detail: string | null,
  say: Say,
): Promise<void> {
  const { store, spec, project } = ctx;
  if (spec.role === "reviewer") return Promise.resolve();
  const task = store.task(spec.taskId);
  const seq = store
    .events(spec.taskId)
    .filter((e) => e.to === event)
    .at(-1)?.seq;
  if (!task || task.state !== event || seq === undefined) return Promise.resolve();
  return track(
    withProject(say, async () => {
      const sends: Array<[Omit<NotifyEvent, "at">, string]> = [
        [{ event, task: task.id, title: task.title, detail }, eventKey(task.id, seq)],
      ];
      // Predicting costs git processes: only for a message that would go out.
      if (event === "review" && supervisorSends(project, "conflict_predicted")) {
        try {
          const { predictConflicts } = await import("../../verify/index.js");
          for (const c of (await predictConflicts(project, task.id)).conflicts)
            if (c.kind === "textual")
              sends.push([
                { event: "conflict_predicted", task: task.id, title: task.title, detail: c.message },
                conflictKey(c),
              ]);
        } catch (err) {
          say(`notify: conflict prediction: ${(err as Error).message}`);
        }
      }
      // Each writes its event to the outbox before its first wait: one sender sends them together.
      await Promise.all(sends.map(([e, key]) => notifyFromSupervisor(project, e, key, say)));
    }),
  );
}

/** The agent began to wait for a person (its run records since when): sent in the background. */
export function notifyNeedsYou(
  project: Project,
  spec: RunSpec,
  since: string,
  asked: string,
  title: string | null,
  say: Say,
): void {
  if (spec.role === "reviewer") return;
  void track(
    withProject(say, () =>
      notifyFromSupervisor(
        project,
        { event: "needs_you", task: spec.taskId, title, detail: asked },
        needsYouKey(spec.taskId, spec.runId, since),
        say,
      ),
    ),
  );
}
