/**
 * `ballador --help` as a newcomer reads it (issue 31): the person's commands grouped by what they
 * are for, and the commands an agent runs from inside its run in a group of their own, last.
 */
import { afterAll, describe, expect, it } from "vitest";
import { COMMAND_GROUPS } from "../../src/cli/help-groups.js";
import { buildProgram } from "../../src/cli/main.js";
import { cleanEnv, cleanupTempDirs, makeTempDir, runCli } from "../helpers/cli.js";

afterAll(cleanupTempDirs);

/** Heading → the command names listed under it, in order. */
function groups(help: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of help.split("\n")) {
    if (/^\S.*:$/.test(line)) {
      current = [];
      out.set(line, current);
    } else if (current && /^ {2}[a-z]/.test(line)) current.push(line.trim().split(" ")[0] ?? "");
    else if (line === "") current = undefined;
  }
  return out;
}

describe("ballador --help", () => {
  it("lists the agent's commands apart from the person's, in the last group", async () => {
    const dir = await makeTempDir();
    const r = await runCli(["--help"], { cwd: dir, env: cleanEnv(dir) });
    expect(r.code, r.stderr).toBe(0);
    const found = groups(r.stdout);
    // Headings that list commands (not Options:, not the journey's examples below them).
    const headings = [...found.keys()].filter((h) => h !== "Options:" && (found.get(h)?.length ?? 0) > 0);
    const agentHeading = headings.at(-1) ?? "";
    expect(agentHeading).toMatch(/^For agents, from inside a run/);
    expect(found.get(agentHeading)).toEqual(["done", "blocked", "note", "hook"]);
    // The person's commands, by what they are for; nothing left in commander's catch-all.
    expect(headings.slice(0, -1)).toEqual([
      "Set up:",
      "Specs and parts:",
      "Run and watch:",
      "Review and deliver:",
      "More:",
    ]);
    expect(found.has("Commands:")).toBe(false);
    expect(found.get("Set up:")?.slice(0, 2)).toEqual(["init", "doctor"]);
    expect(found.get("Review and deliver:")).toEqual(
      expect.arrayContaining(["review", "merge", "pr", "approve"]),
    );
    const personal = headings.slice(0, -1).flatMap((h) => found.get(h) ?? []);
    for (const agentCommand of ["done", "blocked", "note", "hook"])
      expect(personal).not.toContain(agentCommand);
    // A reviewer agent's approve and request-changes are the person's too: the heading says so.
    expect(agentHeading).toContain("approve, request-changes");
  });

  it("places every command in a group (a new command must be given one)", () => {
    const { program } = buildProgram({ json: true });
    const visible = program.createHelp().visibleCommands(program);
    expect(visible.map((c) => c.name()).filter((name) => !(name in COMMAND_GROUPS))).toEqual([]);
  });

  it("keeps a subcommand's help as it was: no group headings there", async () => {
    const dir = await makeTempDir();
    const r = await runCli(["spec", "--help"], { cwd: dir, env: cleanEnv(dir) });
    expect(r.stdout).toContain("Commands:");
    expect(r.stdout).not.toContain("For agents");
  });
});
