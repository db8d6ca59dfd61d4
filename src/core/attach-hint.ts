/**
 * What `attach` says when a task has no live session: its state and what the person can do.
 * A task that never ran has no output for `logs` to show, so it is pointed at what starts it.
 */
import type { TaskState } from "./states.js";

export function noSessionMessage(id: string, state: TaskState, ran: boolean): string {
  if (ran) return `task ${id} has no live session (it is ${state}); see its output with: ballador logs ${id}`;
  const never = `task ${id} has never run, so there is no session to attach to and no output to read`;
  switch (state) {
    case "ready":
      return `${never}: it is ready; start it with: ballador launch ${id}`;
    case "queued":
      return `${never}: it is queued, waiting for its dependencies (ballador show ${id}); once they are merged, start it with: ballador launch ${id}`;
    case "abandoned":
    case "merged":
      return `${never}: it is ${state}`;
    default:
      return `${never}: it is ${state}; see why with: ballador show ${id}, then start it again with: ballador retry ${id}`;
  }
}
