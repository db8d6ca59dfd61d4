/**
 * The output contract's reach (issue 14): every command of the commander tree, subcommands
 * included, has --json and a schema in schemas/cli/ for what it prints. The documents themselves,
 * from real runs, are checked in test/shell/contract.test.ts.
 */
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { validator } from "../helpers/schemas.js";

/** The schema each command's --json output follows (errors follow "error"). */
const SCHEMA_OF: Record<string, string> = {
  init: "init",
  doctor: "doctor",
  "spec new": "spec-new",
  "spec list": "spec-list",
  "spec check": "spec-check",
  "part new": "part-new",
  queue: "queue",
  status: "status",
  next: "next",
  graph: "graph",
  show: "show",
  launch: "launch",
  note: "report",
  blocked: "report",
  approve: "report",
  "request-changes": "request-changes",
  feedback: "feedback",
  hook: "hook",
  done: "report",
  stop: "stop",
  resume: "resume",
  retry: "retry",
  abandon: "abandon",
  logs: "logs",
  attach: "attach",
  cleanup: "cleanup",
  demo: "demo",
  review: "review",
  merge: "merge",
  pr: "pr",
  sync: "sync",
  "source list": "source-list",
  "source sync": "source-sync",
  "runner add": "runner-edit",
  "runner remove": "runner-edit",
  "runner list": "runner-list",
  "runner check": "runner-check",
  update: "update",
  "sandbox denials": "sandbox-denials",
  completion: "completion",
  __complete: "complete",
  agents: "agents",
  "conductor install": "conductor-install",
  dashboard: "dashboard",
  "dashboard sessions": "dashboard-sessions",
  mcp: "mcp",
  plan: "plan",
  "spec draft": "spec-draft",
};

function leaves(cmd: Command, prefix = ""): Array<[string, Command]> {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    const self = [[name, c] as [string, Command]];
    // A command with subcommands that also runs by itself (dashboard) has --json of its own.
    if (c.commands.length === 0) return self;
    return [...(c.options.some((o) => o.long === "--json") ? self : []), ...leaves(c, `${name} `)];
  });
}

describe("the output contract", () => {
  it("every command has --json and a schema for its output", () => {
    const { program } = buildProgram();
    // __runner-serve is the run protocol between two Ballador processes over SSH (spec 0013), not a
    // person's command: its JSON lines are checked by src/run/remote/protocol.ts on the way in.
    const found = leaves(program).filter(([n]) => !n.startsWith("__runner-serve"));
    expect(found.map(([n]) => n).sort()).toEqual(Object.keys(SCHEMA_OF).sort());
    for (const [name, c] of found) {
      expect(
        c.options.some((o) => o.long === "--json"),
        `${name} has --json`,
      ).toBe(true);
      validator(SCHEMA_OF[name] as string);
    }
    for (const extra of ["error", "help", "version", "status-watch", "launch-watch"]) validator(extra);
  });
});
