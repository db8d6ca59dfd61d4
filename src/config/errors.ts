import type { z } from "zod";

export interface ConfigProblem {
  file: string;
  /** Dotted key path, e.g. "agents.profiles.claude.command". Empty for the whole file. */
  key: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatConfigProblem).join("\n"));
    this.name = "ConfigError";
  }
}

export function formatConfigProblem(p: ConfigProblem): string {
  return `${p.file}: ${p.key ? `${p.key}: ` : ""}${p.message}`;
}

/** Turns zod issues into problems a person can act on: the key, what was expected, the fix. */
export function problemsFromZod(
  file: string,
  issues: readonly z.core.$ZodIssue[],
  known: (path: PropertyKey[]) => string[],
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const choices = known(issue.path);
      for (const k of issue.keys) {
        const near = closest(k, choices);
        out.push({
          file,
          key: [...base, k].join("."),
          message:
            `unknown key${near ? ` (did you mean "${near}"?)` : ""}; ` +
            (choices.length > 0 ? `known keys here: ${choices.join(", ")}` : "remove it"),
        });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === "invalid_type") {
      message = `expected ${issue.expected}${"input" in issue && issue.input !== undefined ? `, got ${describe(issue.input)}` : ""}`;
    } else if (issue.code === "invalid_value") {
      message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    } else if (issue.code === "invalid_union") {
      message = "expected one of the documented forms (see the comments in the default config)";
    }
    out.push({ file, key: base.join("."), message });
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function closest(word: string, choices: string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of choices) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
