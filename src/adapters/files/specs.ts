/** Living specs on disk: NNNN-slug.md files with a small front matter and fixed sections. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";

type Yaml = typeof import("yaml");
let yaml: Yaml | null = null;

/**
 * yaml is loaded when a spec is first read, not when this module is: the project's door brings
 * this module into every command, and yaml's ~70 files cost ~35 ms of CPU at each start
 * (`next` and `status` read no spec). Its CommonJS build, required synchronously.
 */
function parseYaml(text: string): unknown {
  yaml ??= createRequire(import.meta.url)("yaml") as Yaml;
  return yaml.parse(text);
}

export const SPEC_SECTIONS = [
  "Context",
  "Problem",
  "Options",
  "Decision",
  "Tried and did not work",
  "Access patterns",
  "Consequences",
  "History",
] as const;

export const SPEC_FILE_PATTERN = /^(\d{4})-([a-z0-9-]+)\.md$/;

export interface SpecFile {
  number: number;
  slug: string;
  /** File name without .md, e.g. 0003-data-extraction; also the name of its parts folder. */
  name: string;
  path: string;
  title: string;
  status: string;
  sections: string[];
  text: string;
}

export function listSpecs(specsDir: string): SpecFile[] {
  if (!existsSync(specsDir)) return [];
  return readdirSync(specsDir)
    .filter((f) => SPEC_FILE_PATTERN.test(f))
    .sort()
    .map((f) => readSpec(join(specsDir, f)));
}

export function readSpec(path: string): SpecFile {
  return specFromText(path, readFileSync(path, "utf8"));
}

/** A spec as read from its text (the file at `path` is not opened: a caller may have read it safely). */
export function specFromText(path: string, text: string): SpecFile {
  const file = basename(path);
  const m = SPEC_FILE_PATTERN.exec(file);
  let title = m ? (m[2] as string).replace(/-/g, " ") : file;
  let status = "unknown";
  const fm = /^---\n([\s\S]*?)\n---\n/.exec(text.replace(/\r\n/g, "\n"));
  if (fm) {
    try {
      const data = parseYaml(fm[1] as string) as Record<string, unknown> | null;
      if (data && typeof data.title === "string") title = data.title;
      if (data && typeof data.status === "string") status = data.status;
    } catch {
      status = "unreadable front matter";
    }
  }
  const sections = [...text.matchAll(/^##\s+(.+?)\s*$/gm)].map((x) => x[1] as string);
  return {
    number: m ? Number(m[1]) : 0,
    slug: m ? (m[2] as string) : file,
    name: file.replace(/\.md$/, ""),
    path,
    title,
    status,
    sections,
    text,
  };
}

export function nextSpecNumber(specs: readonly SpecFile[]): number {
  return specs.reduce((max, s) => Math.max(max, s.number), 0) + 1;
}

export function renderSpec(input: { number: number; title: string; date: string }): string {
  const num = String(input.number).padStart(4, "0");
  const hints: Record<(typeof SPEC_SECTIONS)[number], string> = {
    Context: "What is true today that this spec responds to. Links to code and earlier specs.",
    Problem: "What is wrong or missing, for whom, and how we will know it is solved.",
    Options: "The options considered, each with its cost and what it makes easy or hard.",
    Decision: "What we chose and why. Agents update this as the work teaches us more.",
    "Tried and did not work": "Approaches tried and abandoned, with the reason, so nobody repeats them.",
    "Access patterns":
      "Who reads and writes what, how often, at what size: the shapes the design must serve.",
    Consequences: "What follows from the decision: new constraints, follow-ups, risks.",
    History: "",
  };
  const body = SPEC_SECTIONS.map((s) =>
    s === "History" ? `## History\n- ${input.date}: created (draft)\n` : `## ${s}\n<!-- ${hints[s]} -->\n`,
  ).join("\n");
  return `---\nnumber: ${input.number}\ntitle: ${JSON.stringify(input.title)}\nstatus: draft\ncreated: ${input.date}\n---\n# ${num} ${input.title}\n\n${body}`;
}
