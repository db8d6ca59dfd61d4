/**
 * The documentation a newcomer navigates (issue 31): a short README, docs/ pages whose links all
 * resolve, every command and every config key documented, and the generated parts (the man page,
 * the configuration reference's key list) equal to what the code produces now.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import {
  CONFIG_REFERENCE_FILE,
  generatedManPage,
  KEYS_END,
  KEYS_START,
  MAN_PAGE_FILE,
  withConfigKeys,
} from "../src/cli/docs-gen.js";
import { buildProgram } from "../src/cli/main.js";
import { configKeys } from "../src/config/config-keys.js";
import { PACKAGE_ROOT } from "./helpers/cli.js";

const read = (file: string) => readFileSync(join(PACKAGE_ROOT, file), "utf8");

function markdownFiles(dir: string): string[] {
  return readdirSync(join(PACKAGE_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return markdownFiles(path);
    return e.name.endsWith(".md") ? [path] : [];
  });
}
const PAGES = ["README.md", ...markdownFiles("docs")];

/** The text outside fenced code blocks (links and headings there are examples, not ours). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to -, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = (heading ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const [, id] of markdown.matchAll(/<a (?:name|id)="([^"]+)"/g)) out.add(id ?? "");
  return out;
}

/** [text](target) links, outside code blocks and code spans. */
function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((m) => m[1] ?? "");
}

function commandPaths(cmd: Command, prefix = ""): string[] {
  return cmd.commands
    .filter((c) => !c.name().startsWith("_"))
    .flatMap((c) => {
      const path = `${prefix}${c.name()}`;
      return [path, ...commandPaths(c, `${path} `)];
    });
}

describe("the README", () => {
  it("stays short enough for a first read: under 13,000 bytes", () => {
    expect(statSync(join(PACKAGE_ROOT, "README.md")).size).toBeLessThan(13_000);
  });

  it("keeps the two commands, the picture, install, the journey and a way on to every docs page", () => {
    const readme = read("README.md");
    expect(readme).toContain("npm run demo");
    expect(readme).toContain("npm test");
    expect(readme).toMatch(/!\[[^\]]*\]\(docs\/dashboard\.png\)/);
    for (const heading of [
      "## The two commands",
      "## Install in your project",
      "## The journey",
      "## Where to read on",
    ])
      expect(readme).toContain(heading);
    const linked = new Set(links(readme).map((l) => l.split("#")[0]));
    const pages = markdownFiles("docs").filter((p) => !p.startsWith("docs/specs/"));
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
  });
});

describe("the docs", () => {
  it("has every internal link resolve: the file exists and so does the #anchor", () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const link of links(read(page))) {
        if (/^[a-z][a-z+.-]*:/i.test(link)) continue;
        const [path = "", anchor] = link.split("#");
        const target = path ? relative(PACKAGE_ROOT, join(PACKAGE_ROOT, dirname(page), path)) : page;
        if (!existsSync(join(PACKAGE_ROOT, target))) broken.push(`${page}: ${link} (no file ${target})`);
        else if (anchor && !anchors(read(target)).has(anchor))
          broken.push(`${page}: ${link} (no heading #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("has an index in docs/README.md that links every page", () => {
    const linked = new Set(links(read("docs/README.md")).map((l) => `docs/${l.split("#")[0]}`));
    const pages = markdownFiles("docs").filter((p) => !p.startsWith("docs/specs/") && p !== "docs/README.md");
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
  });

  it("documents every command, subcommands included, in the commands reference", () => {
    const reference = read("docs/commands.md");
    const { program } = buildProgram({ json: true });
    const missing = commandPaths(program).filter((path) => !reference.includes(`\`${path}`));
    expect(missing).toEqual([]);
  });

  it("describes every config key by hand somewhere in docs/, beside the generated list", () => {
    const reference = read(CONFIG_REFERENCE_FILE);
    const handWritten = [
      reference.slice(0, reference.indexOf(KEYS_START)) + reference.slice(reference.indexOf(KEYS_END)),
      ...markdownFiles("docs")
        .filter((p) => p !== CONFIG_REFERENCE_FILE)
        .map(read),
    ].join("\n");
    // Code spans, and the keys of commented YAML examples (`  bell: true   # ...`).
    const spans = [
      ...[...handWritten.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? ""),
      ...[...handWritten.matchAll(/^ *([a-z_]+): .*#/gm)].map((m) => m[1] ?? ""),
    ];
    const missing = configKeys()
      .map((k) => k.key.split(".").filter((s) => s !== "<name>"))
      .filter((segments) => {
        const leaf = segments.at(-1) ?? "";
        const word = new RegExp(`(^|[^a-z_])${leaf}([^a-z_]|$)`);
        return !spans.some((span) => word.test(span));
      })
      .map((segments) => segments.join("."));
    expect(missing).toEqual([]);
  });
});

describe("the generated documentation", () => {
  it("has a man page equal to what the command tree gives now (npm run docs rewrites it)", () => {
    expect(read(MAN_PAGE_FILE), "man/ballador.1 is stale: run npm run docs").toBe(generatedManPage());
  });

  it("has a man page that names every command and ships in the package", () => {
    const man = read(MAN_PAGE_FILE);
    const { program } = buildProgram({ json: true });
    for (const path of commandPaths(program)) expect(man).toContain(`ballador ${path.replace(/-/g, "\\-")}`);
    const pkg = JSON.parse(read("package.json")) as { files: string[]; man: string[] };
    expect(pkg.files).toContain("man");
    expect(pkg.man).toContain(`./${MAN_PAGE_FILE}`);
  });

  it("has the configuration reference's key list equal to the schema's keys (npm run docs rewrites it)", () => {
    const reference = read(CONFIG_REFERENCE_FILE);
    expect(reference, "docs/configuration.md's key list is stale: run npm run docs").toBe(
      withConfigKeys(reference),
    );
    for (const { key } of configKeys()) expect(reference).toContain(`| \`${key}\` |`);
  });
});
