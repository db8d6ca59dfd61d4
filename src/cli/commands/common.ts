import { type Command, InvalidArgumentError } from "commander";
import type { Project } from "../../project/index.js";
import { printJson } from "../output.js";
import { withProjectAt } from "../project-scope.js";

export interface GlobalOpts {
  cwd: string;
}

export function globals(cmd: Command): GlobalOpts {
  return cmd.optsWithGlobals() as GlobalOpts;
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}`;
}

export async function withProject<T>(cmd: Command, fn: (project: Project) => Promise<T> | T): Promise<T> {
  return withProjectAt(globals(cmd).cwd, fn);
}

export function collect(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** Continuation lines of a multi-line value, indented under its first line. */
export function indent(text: string, spaces: number): string {
  return text.replace(/\n/g, `\n${" ".repeat(spaces)}`);
}

/** Whether --json was asked for (before any `--`): for code that has no parsed options. */
export function jsonRequested(argv: readonly string[] = process.argv.slice(2)): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/**
 * A command that only groups others (`spec`, `part`, `sandbox`): alone it is a usage error that
 * names its subcommands (exit 2), as a JSON error document with --json. It declares no options
 * of its own, so `--json` after a subcommand reaches that subcommand.
 */
export function groupCommand(group: Command): Command {
  return group
    .allowUnknownOption()
    .argument("[subcommand...]")
    .action(async (words: string[]) => {
      // Unknown options (--json) arrive here among the words.
      const given = words.find((w) => !w.startsWith("-"));
      const { usage } = await import("../../project/index.js");
      const { terminalLine } = await import("../../core/terminal-text.js");
      const subs = group.commands.map((c) => c.name());
      if (!jsonRequested()) group.outputHelp({ error: true });
      throw usage(
        given ? "unknown_subcommand" : "missing_subcommand",
        `${given ? `${group.name()} has no subcommand "${terminalLine(given)}"` : `${group.name()} needs a subcommand`}: use ${subs.join(", ")}`,
        group.commands.map((c) => `ballador ${group.name()} ${c.name()}: ${c.description()}`),
      );
    });
}

/** Like collect, for globs: a comma inside braces (`src/{a,b}/**`) belongs to the glob. */
export function collectGlobs(value: string, previous: string[]): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of value) {
    if (ch === "{") depth++;
    if (ch === "}" && depth > 0) depth--;
    if (ch === "," && depth === 0) {
      out.push(current);
      current = "";
    } else current += ch;
  }
  out.push(current);
  return [...previous, ...out.map((v) => v.trim()).filter(Boolean)];
}

/** A commander parser for a whole number of at least 1, naming the flag when it is not. */
export function positiveInt(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${flag} must be a whole number of at least 1, got "${v}"`);
    return n;
  };
}

/** A commander parser for an amount of USD above 0, naming the flag when it is not. */
export function positiveUsd(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(
        `${flag} must be an amount of USD above 0, such as 5 or 0.5, got "${v}"`,
      );
    return n;
  };
}

/** A commander parser for a number of seconds above 0, naming the flag when it is not. */
export function positiveSeconds(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${flag} must be a number of seconds above 0, got "${v}"`);
    return n;
  };
}

/**
 * A command on one task whose only option is --json (`<task>`, --json, one example): it computes
 * its result on the opened project and prints it through printResult.
 */
export function taskCommand<R>(
  program: Command,
  spec: { name: string; description: string; example: string },
  compute: (project: Project, id: string) => Promise<R>,
  human: (result: R, id: string) => void,
): Command {
  return program
    .command(spec.name)
    .description(spec.description)
    .argument("<task>", "task id")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples(spec.example))
    .action((id: string, opts: { json?: boolean }, cmd: Command) =>
      printResult(
        cmd,
        opts.json,
        (p) => compute(p, id),
        (r) => human(r, id),
      ),
    );
}

/**
 * The shape of most commands: compute a result on the opened project, then print it as one
 * JSON document with --json or for a person through `human`.
 */
export async function printResult<R>(
  cmd: Command,
  json: boolean | undefined,
  compute: (project: Project) => Promise<R> | R,
  human: (result: R, project: Project) => void,
): Promise<void> {
  await withProject(cmd, async (p) => {
    const r = await compute(p);
    if (json) return printJson(r);
    human(r, p);
  });
}
