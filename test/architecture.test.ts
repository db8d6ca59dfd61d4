/**
 * The layers of docs/specs (core < adapters < usecases < cli, mcp), checked on the source text:
 * every import, export-from and dynamic import() in src/ is read with a regex and resolved.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "./helpers/cli.js";

const SRC = join(PACKAGE_ROOT, "src");

interface Import {
  file: string; // relative to src/
  spec: string; // as written
  target: string | null; // for relative imports: the imported file, relative to src/
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|mts|cts)$/.test(f) && !f.endsWith(".d.ts"))
    .map((f) => join(dir, f));
}

const IMPORT_PATTERNS = [
  // import x from "m"; import { a } from "m"; import type { T } from "m"; export { a } from "m"; export * from "m"
  /^\s*(?:import|export)\s[^'"`;]*?\sfrom\s*["']([^"']+)["']/gm,
  // import "m";
  /^\s*import\s*["']([^"']+)["']/gm,
  // import("m") and require("m")
  /\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/g,
];

function importsOf(file: string, text = readFileSync(file, "utf8")): Import[] {
  const out: Import[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const spec = m[1] as string;
      const target = spec.startsWith(".") ? relative(SRC, resolve(dirname(file), spec)) : null;
      out.push({ file: relative(SRC, file), spec, target });
    }
  }
  return out;
}

const all = sourceFiles(SRC).flatMap((f) => importsOf(f));
const from = (layer: string) => all.filter((i) => i.file.startsWith(`${layer}/`));
const show = (list: Import[]) => list.map((i) => `${i.file} imports "${i.spec}"`);

describe("architecture", () => {
  it("finds the imports it checks (the regexes work)", () => {
    expect(all.length).toBeGreaterThan(50);
    const core = from("core").map((i) => i.spec);
    expect(core).toEqual(expect.arrayContaining(["yaml", "zod", "./ids.js"]));
    // Multi-line, type-only and dynamic imports are all seen.
    const project = all.filter((i) => i.file === "usecases/project.ts").map((i) => i.spec);
    expect(project).toEqual(
      expect.arrayContaining(["../adapters/git/index.js", "../adapters/store/index.js"]),
    );
    expect(importsOf(join(SRC, "cli", "commands", "setup-commands.ts")).map((i) => i.spec)).toContain(
      "../../usecases/init.js",
    );
  });

  it("reads every form of import a file may use", () => {
    const text = [
      'import a from "pkg-a";',
      "import {",
      "  b,",
      "  type C,",
      '} from "../adapters/b.js";',
      'import type { D } from "node:fs";',
      'export * from "./e.js";',
      'export { f } from "./f.js";',
      'import "./side-effect.js";',
      'const g = await import("../usecases/g.js");',
      "const notAnImport = 'from \"nowhere\"';",
    ].join("\n");
    const found = importsOf(join(SRC, "core", "x.ts"), text);
    expect(found.map((i) => [i.spec, i.target])).toEqual([
      ["pkg-a", null],
      ["../adapters/b.js", "adapters/b.js"],
      ["node:fs", null],
      ["./e.js", "core/e.js"],
      ["./f.js", "core/f.js"],
      ["./side-effect.js", "core/side-effect.js"],
      ["../usecases/g.js", "usecases/g.js"],
    ]);
  });

  // Pure libraries (no I/O, no Node built-ins) that core may use: parsing, validation, globs, widths.
  const PURE_LIBRARIES = ["yaml", "zod", "picomatch"];
  it("keeps src/core pure: only pure libraries (yaml, zod, picomatch) and other core modules", () => {
    const bad = from("core").filter((i) =>
      i.target === null ? !PURE_LIBRARIES.includes(i.spec) : !i.target.startsWith("core/"),
    );
    expect(show(bad)).toEqual([]);
  });

  it("never lets src/adapters reach up into usecases or cli", () => {
    const bad = from("adapters").filter(
      (i) => i.target !== null && (i.target.startsWith("usecases/") || i.target.startsWith("cli/")),
    );
    expect(show(bad)).toEqual([]);
  });

  it("never lets src/usecases reach up into cli or mcp", () => {
    const bad = from("usecases").filter((i) => i.target?.startsWith("cli/") || i.target?.startsWith("mcp/"));
    expect(show(bad)).toEqual([]);
  });

  it("keeps src/mcp a face: it calls use cases (and core), never adapters, config or the cli", () => {
    const mcp = from("mcp");
    expect(mcp.map((i) => i.spec)).toEqual(expect.arrayContaining(["../usecases/chamber.js"]));
    const bad = mcp.filter((i) =>
      i.target === null
        ? !(i.spec === "zod" || i.spec.startsWith("@modelcontextprotocol/sdk/"))
        : !["usecases/", "core/", "mcp/", "version.js"].some((ok) => (i.target as string).startsWith(ok)),
    );
    expect(show(bad)).toEqual([]);
    // Nothing but the mcp command reaches the server, and adapters never do.
    const into = all.filter((i) => i.target?.startsWith("mcp/") && !i.file.startsWith("mcp/"));
    expect(show(into)).toEqual(['cli/commands/conductor-commands.ts imports "../../mcp/server.js"']);
  });

  it("keeps src/dashboard a thin face: use cases, never adapters or the CLI", () => {
    const server = from("dashboard");
    expect(server.map((i) => i.spec)).toEqual(expect.arrayContaining(["../usecases/dashboard.js"]));
    const bad = server.filter(
      (i) => i.target !== null && (i.target.startsWith("adapters/") || i.target.startsWith("cli/")),
    );
    expect(show(bad)).toEqual([]);
  });

  it("keeps the dashboard's page (src/dashboard/web) browser-only: its own modules and xterm", () => {
    const web = from("dashboard/web");
    expect(web.length).toBeGreaterThan(5);
    const bad = web.filter((i) =>
      i.target === null ? i.spec !== "@xterm/xterm" : !i.target.startsWith("dashboard/web/"),
    );
    expect(show(bad)).toEqual([]);
  });

  it("lets only the CLI reach the dashboard face", () => {
    const bad = all.filter(
      (i) =>
        i.target?.startsWith("dashboard/") && !i.file.startsWith("cli/") && !i.file.startsWith("dashboard/"),
    );
    expect(show(bad)).toEqual([]);
  });

  it("resolves every relative import inside src/", () => {
    const outside = all.filter((i) => i.target?.startsWith(".."));
    expect(show(outside)).toEqual([]);
  });
});
