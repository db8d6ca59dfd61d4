/**
 * `ballador --help` lists the person's commands by what they are for, and the commands an agent
 * runs from inside its run apart from them (issue 31): a newcomer should not wonder whether
 * `done` is theirs to type. The man page uses the same groups.
 */
import { type Command, Help, type Option } from "commander";

/** Every group heading, in the order `--help` shows them. */
export const HELP_GROUPS = {
  setup: "Set up:",
  plan: "Specs and parts:",
  run: "Run and watch:",
  deliver: "Review and deliver:",
  more: "More:",
  agent: "For agents, from inside a run (a reviewer also: approve, request-changes):",
} as const;

export type HelpGroup = keyof typeof HELP_GROUPS;

/** The group of every visible top-level command; a new command must be placed here. */
export const COMMAND_GROUPS: Record<string, HelpGroup> = {
  init: "setup",
  doctor: "setup",
  agents: "setup",
  runner: "setup",
  completion: "setup",
  spec: "plan",
  part: "plan",
  conductor: "plan",
  plan: "plan",
  mcp: "plan",
  queue: "plan",
  graph: "plan",
  status: "run",
  next: "run",
  show: "run",
  launch: "run",
  attach: "run",
  logs: "run",
  stop: "run",
  resume: "run",
  retry: "run",
  abandon: "run",
  sandbox: "run",
  dashboard: "run",
  review: "deliver",
  approve: "deliver",
  "request-changes": "deliver",
  feedback: "deliver",
  merge: "deliver",
  pr: "deliver",
  update: "deliver",
  sync: "deliver",
  cleanup: "deliver",
  demo: "more",
  help: "more",
  done: "agent",
  blocked: "agent",
  note: "agent",
  hook: "agent",
};

/**
 * Sets each top-level command's help group. A command missing from COMMAND_GROUPS lands under
 * "More:" rather than failing at run time; a test keeps the map whole.
 */
export function applyHelpGroups(program: Command): void {
  for (const cmd of program.commands) cmd.helpGroup(HELP_GROUPS[COMMAND_GROUPS[cmd.name()] ?? "more"]);
  // The implicit `help` command joins "More:" too, instead of a group of its own.
  program.commandsGroup(HELP_GROUPS.more).helpCommand(true);
}

const ORDER: readonly string[] = Object.values(HELP_GROUPS);
const NAMES: readonly string[] = Object.keys(COMMAND_GROUPS);

/**
 * Help.groupItems shows groups in the order their first item was registered; this shows them in
 * HELP_GROUPS order (the agent's last), each group's commands in COMMAND_GROUPS order. Items
 * outside HELP_GROUPS (options, subcommands) keep their order: the sort is stable and ranks them
 * all alike.
 */
export function groupItemsInOrder<T extends Command | Option>(
  this: Help,
  unsortedItems: T[],
  visibleItems: T[],
  getGroup: (item: T) => string,
): Map<string, T[]> {
  const rank = (item: T) => {
    const group = ORDER.indexOf(getGroup(item));
    return group < 0 ? -1 : group * 1000 + NAMES.indexOf((item as Command).name());
  };
  const sorted = (items: T[]) => [...items].sort((a, b) => rank(a) - rank(b));
  // bind keeps `this` (the Help instance, with its configured overrides); the cast restores the generic.
  const base = Help.prototype.groupItems.bind(this) as Help["groupItems"];
  return base(sorted(unsortedItems), sorted(visibleItems), getGroup);
}
