/**
 * What a person may do to a task, by its state: the buttons of its page, and the moves of its
 * card on the board (issue 34). Each goes through the server's action, the CLI's use case.
 */

export const ACTIONS: ReadonlyArray<{
  action: string;
  label: string;
  states: string[];
  ask: (id: string) => string;
  primary?: boolean;
}> = [
  {
    action: "launch",
    label: "Launch",
    states: ["ready"],
    ask: (id) => `Start ${id} now, in its own worktree and session?`,
    primary: true,
  },
  {
    action: "stop",
    label: "Stop",
    states: ["running", "verifying"],
    ask: (id) => `Close ${id}'s session? Its worktree is kept; resume continues it.`,
  },
  {
    action: "resume",
    label: "Resume",
    states: ["stopped", "blocked", "failed"],
    ask: (id) => `Continue ${id} in its worktree, in a new session?`,
  },
  {
    action: "retry",
    label: "Retry",
    states: ["failed", "blocked", "stopped", "review"],
    ask: (id) => `Start a new attempt of ${id}?`,
  },
  {
    action: "merge",
    label: "Merge",
    states: ["review"],
    ask: (id) => `Merge ${id} into the base (re-verified on the merged result)?`,
    primary: true,
  },
  {
    action: "pr",
    label: "Open PR",
    states: ["review"],
    ask: (id) => `Push ${id}'s branch and open a pull request with its brief (needs gh)?`,
  },
  {
    action: "abandon",
    label: "Abandon",
    states: ["queued", "ready", "running", "verifying", "review", "blocked", "failed", "stopped"],
    ask: (id) =>
      `Give ${id} up? Its session ends; its worktree and branch are kept (ballador cleanup removes them). Tasks that need it stay queued.`,
  },
];

/** The server's path for an action on a task. */
export function actionPath(id: string, action: string): string {
  return `/api/tasks/${encodeURIComponent(id)}/${action}`;
}

/**
 * The action a card of a task in `state` asks for when dropped on the board column `column`, or
 * null when that is no move the task can make: to Running, launch (ready) or resume (stopped,
 * blocked, failed); to Waiting, stop; to Done, merge (review) or abandon (any other live state).
 */
export function dropAction(state: string, column: string): (typeof ACTIONS)[number] | null {
  const wanted =
    column === "running"
      ? state === "ready"
        ? "launch"
        : "resume"
      : column === "waiting"
        ? "stop"
        : column === "done"
          ? state === "review"
            ? "merge"
            : "abandon"
          : null;
  return ACTIONS.find((a) => a.action === wanted && a.states.includes(state)) ?? null;
}
