/**
 * A parent issue with imported sub-issues becomes a living spec (issue 33): a numbered spec
 * file in the project's specs folder, like `spec new` writes, whose parts are the sub-issues
 * (each part names it in `spec:`). The sync owns one block of it, between GROUP_BLOCK's markers:
 * the issue quoted as its author's words and the list of parts, rewritten when the issue or its
 * sub-issues change and left alone otherwise. Everything else in the spec (decision, what was
 * tried, history) is the people's and the agents': a sync never writes there, and a spec whose
 * markers were removed is not touched again. The spec is found again by `source_issue:` in its
 * front matter, so a renamed parent keeps its file.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { listSpecs, nextSpecNumber, renderSpec } from "../../adapters/files/specs.js";
import { slugify } from "../../core/ids.js";
import {
  cleanLine,
  type Describe,
  GROUP_BLOCK,
  type PlannedParts,
  renderGroupBlock,
  type SourceGroup,
} from "../../core/sources.js";
import type { Project } from "../../project/index.js";

const SOURCE_ISSUE = /^source_issue: ([a-z0-9-]+)$/m;

/** Which spec each group is (or will be): an existing one by its source_issue, else the next number. */
export function specFinder(project: Project): (group: { id: string; issue: { title: string } }) => string {
  const dir = project.paths.specsDir;
  const specs = listSpecs(dir);
  const known = new Map<string, string>();
  for (const s of specs) {
    const front = /^---\n([\s\S]*?)\n---\n/.exec(s.text.replace(/\r\n/g, "\n"))?.[1] ?? "";
    const m = SOURCE_ISSUE.exec(front);
    if (m && !known.has(m[1] as string)) known.set(m[1] as string, s.path);
  }
  let next = nextSpecNumber(specs);
  return (group) => {
    let path = known.get(group.id);
    if (!path) {
      const title = cleanLine(group.issue.title, 200) || group.id;
      path = join(dir, `${String(next++).padStart(4, "0")}-${slugify(title)}.md`);
      known.set(group.id, path);
    }
    return relative(project.paths.root, path);
  };
}

/** The whole text of a new group spec: the template of `spec new`, the block after its heading. */
function newSpecText(g: SourceGroup, describe: Describe, path: string, today: Date): string {
  const number = Number(/(\d{4})-[^/]*\.md$/.exec(path)?.[1] ?? "0");
  const title = cleanLine(g.issue.title, 200) || g.id;
  const text = renderSpec({ number, title, date: today.toISOString().slice(0, 10) });
  const withSource = text.replace(/\n---\n/, `\nsource_issue: ${g.id}\n---\n`);
  const heading = withSource.indexOf("\n\n", withSource.indexOf("\n# ")) + 2;
  return `${withSource.slice(0, heading)}${renderGroupBlock(g, describe)}\n\n${withSource.slice(heading)}`;
}

/** The spec's text with its block brought up to date; null when unchanged or its markers are gone. */
function updatedSpecText(old: string, block: string): string | null {
  const lines = old.split("\n");
  const begin = lines.indexOf(GROUP_BLOCK.begin);
  const end = lines.indexOf(GROUP_BLOCK.end, begin + 1);
  if (begin < 0 || end < 0) return null;
  const text = [...lines.slice(0, begin), block, ...lines.slice(end + 1)].join("\n");
  return text === old ? null : text;
}

/** Writes or refreshes each group's spec through `write` (so a refused sync puts them back). */
export function writeGroupSpecs(
  project: Project,
  plan: PlannedParts,
  describe: Describe,
  write: (path: string, text: string) => void,
  today = new Date(),
): Array<{ group: string; key: string; path: string; written: boolean }> {
  const out = [];
  for (const g of plan.groups) {
    if (!g.spec) continue;
    const abs = join(project.paths.root, g.spec);
    const text = existsSync(abs)
      ? updatedSpecText(readFileSync(abs, "utf8"), renderGroupBlock(g, describe))
      : newSpecText(g, describe, g.spec, today);
    if (text !== null) write(abs, text);
    out.push({ group: g.id, key: cleanLine(g.issue.key, 40), path: g.spec, written: text !== null });
  }
  return out;
}
