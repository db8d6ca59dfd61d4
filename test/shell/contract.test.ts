/**
 * The output contract (issue 14): every command accepts --json and then prints exactly one JSON
 * document on stdout (NDJSON with --watch), errors included, each valid against its schema in
 * schemas/cli/; and each documented exit code comes from a real case.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Command } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { type CliResult, PACKAGE_ROOT } from "../helpers/cli.js";
import { cleanupProjects, commitAndDone, makeProject, waitFor } from "../helpers/runtime.js";

afterEach(cleanupProjects);

const SCHEMAS = join(PACKAGE_ROOT, "schemas", "cli");
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();
function validator(name: string) {
  let v = validators.get(name);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, `${name}.schema.json`), "utf8")));
    validators.set(name, v);
  }
  return v;
}

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
  "runner add": "runner-edit",
  "runner remove": "runner-edit",
  "runner list": "runner-list",
  "runner check": "runner-check",
};

/** Parses stdout as exactly one JSON document and validates it; returns it. */
function valid(r: CliResult, schema: string, what = schema): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what}: stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  const name = r.code === 0 || (doc as { error?: unknown }).error === undefined ? schema : "error";
  const v = validator(name);
  if (!v(doc))
    throw new Error(`${what}: not valid against ${name}: ${ajv.errorsText(v.errors)}\n${r.stdout}`);
  return doc;
}

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

  it("prints one valid JSON document per command, errors included, with the documented exit codes", async () => {
    const p = await makeProject();
    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.part("b", { needs: ["a"], steps: commitAndDone("b.txt") });
    const j = async (args: string[], schema: string, code = 0) => {
      const r = await p.run([...args, "--json"]);
      const doc = valid(r, schema, args.join(" "));
      expect(r.code, `${args.join(" ")}: ${r.stdout}`).toBe(code);
      return doc as Record<string, unknown>;
    };
    await j(["init"], "init");
    await j(["doctor"], "doctor");
    // runner check against real hosts is in test/runners/runner-command.test.ts.
    await j(["runner", "add", "box", "--ssh", "dev@box.invalid"], "runner-edit");
    expect((await j(["runner", "list"], "runner-list")).runners).toMatchObject([
      { name: "box", check: "never" },
    ]);
    expect((await j(["runner", "check", "nope"], "runner-check", 3)).error).toMatchObject({
      code: "unknown_runner",
    });
    await j(["runner", "remove", "box"], "runner-edit");
    await j(["spec", "new", "Data extraction"], "spec-new");
    await j(["spec", "list"], "spec-list");
    await j(["spec", "check"], "spec-check");
    await j(["part", "new", "c", "--title", "C", "--spec", "1"], "part-new");
    // Launch refuses a spec the base lacks: commit it as the README's journey says.
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "-m", "spec and parts"]);
    await j(["queue", "--dry-run"], "queue");
    await j(["queue"], "queue");
    await j(["status"], "status");
    await j(["next"], "next");
    await j(["graph"], "graph");
    await j(["launch", "--dry-run"], "launch");
    await j(["launch", "a"], "launch");
    await p.reaches("a", "review");
    await j(["show", "a"], "show");
    await j(["review", "a"], "review");
    await j(["logs", "a"], "logs");
    await j(["attach", "a"], "attach");
    await j(["sandbox", "denials"], "sandbox-denials");
    await j(["sandbox", "denials", "a"], "sandbox-denials");
    // The project has no verify command: merge asks for --unverified (an error document, exit 4).
    expect(await j(["merge", "a"], "merge", 4)).toMatchObject({ error: { code: "unverified" } });
    await j(["merge", "a", "--unverified"], "merge");
    await j(["cleanup", "a"], "cleanup");
    await j(["retry", "c", "--no-launch"], "retry", 4);
    await j(["abandon", "c"], "abandon");
    await j(["completion", "bash"], "completion");
    // __complete reads its words after "--", so its own --json comes first.
    const completed = valid(await p.run(["__complete", "--json", "--", "show", ""]), "complete");
    expect(completed).toEqual({ candidates: ["a", "b", "c"] });
    // Agent commands outside a run: a usage error (exit 2).
    for (const c of [["note", "x"], ["blocked", "x"], ["approve"], ["done"]]) {
      await j(c, "report", 2);
    }
    // A hook outside a run: an error with --json (a hook itself never passes it); an event
    // Ballador does not use is ignored.
    await j(["hook", "Stop"], "hook", 2);
    expect(await j(["hook", "SessionStart"], "hook")).toEqual({ ignored: true });
    const silent = await p.run(["hook", "Stop"]);
    expect([silent.code, silent.stdout], "a hook prints nothing and never fails").toEqual([0, ""]);
    // Outside a run request-changes is the person's: a task and no words is a usage error.
    await j(["request-changes", "b"], "request-changes", 2);
    await j(["stop", "b"], "stop", 4);

    // Each documented exit code from a real case, and the error's stable code.
    const err = async (args: string[], exit: number, code: string, env: NodeJS.ProcessEnv = {}) => {
      const r = await p.run([...args, "--json"], { env });
      const doc = valid(r, "error", args.join(" ")) as { error: { code: string } };
      expect([r.code, doc.error.code], args.join(" ")).toEqual([exit, code]);
    };
    await p.write(".ballador/parts/bad.md", "---\nid: bad\ntitle: Bad\nneeds: [nobody]\n---\n");
    await err(["queue"], 1, "invalid_parts");
    await err(["status", "--bogus"], 2, "usage_unknown_option");
    await err(["launch", "--max", "zero"], 2, "usage_invalid_argument");
    await err(["spec"], 2, "missing_subcommand");
    await err(["show", "nope"], 3, "task_not_found");
    await err(["part", "new", "c", "--title", "again", "--spec", "1"], 4, "exists");
    writeFileSync(join(p.parent, "a-file"), "");
    await err(["status"], 70, "internal", { BALLADOR_STATE_DIR: join(p.parent, "a-file") });
    // Help and version with --json are documents too.
    valid(await p.run(["status", "--help", "--json"]), "help");
    valid(await p.run(["--version", "--json"]), "version");
  }, 240_000);

  it("colour: none in a pipe, on with FORCE_COLOR, off with NO_COLOR (which wins)", async () => {
    const p = await makeProject();
    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.ok(["queue"]);
    const status = (env: NodeJS.ProcessEnv) => p.run(["next"], { env });
    expect((await status({ NO_COLOR: "" })).stdout).not.toContain("\x1b[");
    expect((await status({ NO_COLOR: "", FORCE_COLOR: "1" })).stdout).toContain("\x1b[1m");
    expect((await status({ NO_COLOR: "1", FORCE_COLOR: "1" })).stdout).not.toContain("\x1b[");
    // JSON never carries colour.
    expect(
      (await p.run(["next", "--json"], { env: { NO_COLOR: "", FORCE_COLOR: "1" } })).stdout,
    ).not.toContain("\x1b[");
  });

  it("--watch --json prints NDJSON: one valid document per line", async () => {
    const p = await makeProject();
    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.ok(["queue"]);
    const watch = p.spawn(["status", "--watch", "--json"]);
    const lines = () => watch.output().split("\n").filter(Boolean);
    await waitFor(async () => (lines().length >= 1 ? true : undefined), "a first status line");
    const conduct = await p.run(["launch", "--watch", "--json"]);
    expect(conduct.code, conduct.stdout).toBe(0);
    await waitFor(
      async () => (lines().some((l) => l.includes('"review"')) ? true : undefined),
      () => `a status line with the task in review:\n${watch.output()}`,
    );
    watch.child.kill("SIGTERM");
    await watch.exited;
    for (const l of lines()) valid({ code: 0, stdout: l, stderr: "" }, "status-watch", l);
    const events = conduct.stdout.split("\n").filter(Boolean);
    expect(events.length).toBeGreaterThan(1);
    for (const l of events) valid({ code: 0, stdout: l, stderr: "" }, "launch-watch", l);
    expect(JSON.parse(events.at(-1) as string).event).toBe("end");
  }, 120_000);
});
