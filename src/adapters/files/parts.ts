/** Reading part files from disk: folders are walked for *.md, files are taken as given. */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { type Part, type PartParseError, parsePart } from "../../core/part.js";
import { firstLinkOnPath } from "../hostile/index.js";

export interface LoadedParts {
  parts: Array<Part & { hash: string; absPath: string }>;
  errors: PartParseError[];
  /** Files whose content hash is the one `known` gives for their path: read, hashed, not parsed. */
  unchanged: string[];
}

export function collectPartFiles(
  inputs: readonly string[],
  cwd: string,
): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  for (const input of inputs) {
    const abs = resolve(cwd, input);
    if (!existsSync(abs)) {
      missing.push(input);
      continue;
    }
    if (statSync(abs).isDirectory()) files.push(...walk(abs));
    else files.push(abs);
  }
  return { files: [...new Set(files)].sort(), missing };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile() && entry.name.endsWith(".md") && entry.name.toLowerCase() !== "readme.md")
      out.push(full);
  }
  return out;
}

export function loadParts(
  root: string,
  files: readonly string[],
  known: ReadonlyMap<string, string> = new Map(),
): LoadedParts {
  const parts: LoadedParts["parts"] = [];
  const errors: PartParseError[] = [];
  const unchanged: string[] = [];
  for (const abs of files) {
    const rel = relative(root, abs) || abs;
    let text: string;
    try {
      text = readFileSync(abs, "utf8");
    } catch (err) {
      errors.push({ path: rel, line: null, field: null, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
    // Queued before from this very text: parsing it again would give what the store holds.
    if (known.get(rel) === hash) {
      unchanged.push(rel);
      continue;
    }
    const result = parsePart(text, rel);
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    parts.push({ ...result.part, hash, absPath: abs });
  }
  return { parts, errors, unchanged };
}

/**
 * Why a part's `spec:` cannot be used as written, or null: a symbolic link anywhere along the
 * path in the checkout (the link may lead out of the repository: to ~/.ssh or /etc). The spec is
 * read from the base through git, but a person reading the checkout would read the link's
 * target, and queueing it would pass a file outside the repository off as the spec.
 */
export function specLinkProblem(root: string, spec: string): string | null {
  // Nothing on the way is a link, or the path is not in the checkout (launch says whether the base has it).
  const link = firstLinkOnPath(root, spec);
  if (!link) return null;
  return `"${spec}" is a symbolic link in the checkout (${relative(root, link.at)}${link.target ? ` -> ${link.target}` : ""}); name the spec file itself, a regular file inside the repository`;
}
