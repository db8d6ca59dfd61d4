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
