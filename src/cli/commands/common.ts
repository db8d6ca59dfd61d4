import type { Command } from "commander";
import type { Project } from "../../usecases/project.js";

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
  const { openProject } = await import("../../usecases/project.js");
  const project = await openProject(globals(cmd).cwd);
  try {
    return await fn(project);
  } finally {
    project.close();
  }
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

/**
 * A command that only groups others (`spec`, `part`, `sandbox`): alone it is a usage error that
 * names its subcommands (exit 2), as a JSON error document with --json.
 */
export function groupCommand(group: Command): Command {
  return group.option("--json", "print errors as JSON").action(async () => {
    const { usage } = await import("../../usecases/errors.js");
    const subs = group.commands.map((c) => c.name());
    if (!group.opts().json) group.outputHelp({ error: true });
    throw usage(
      "missing_subcommand",
      `${group.name()} needs a subcommand: ${subs.join(", ")}`,
      group.commands.map((c) => `ballador ${group.name()} ${c.name()}: ${c.description()}`),
    );
  });
}
