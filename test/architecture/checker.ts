/**
 * The architecture checker: reads a tree of TypeScript files with the TypeScript parser (no
 * regexes), resolves every relative import (`import`, `import type`, `export … from`, dynamic
 * `import()`, `require()`, `import("…").T` in types) to a file of the tree, and applies a set of
 * rules (test/architecture/house.ts holds Ballador's) to report violations as plain strings.
 *
 * It is a library so that the same rules run on the real tree and on the small fixture trees
 * under test/architecture/fixtures/, each of which plants one violation.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, posix, sep } from "node:path";
import ts from "typescript";

/** One file of a tree: its path relative to the tree's root (with "/"), its text and its parse. */
export interface SourceFile {
  path: string;
  text: string;
  ast: ts.SourceFile;
}

export type ImportKind = "static" | "type" | "dynamic";

export interface Import {
  from: string;
  /** As written. */
  spec: string;
  /** For a relative import: the file it names (relative to the root), resolved or not. */
  target: string | null;
  /** Whether `target` is a file of the tree. */
  resolved: boolean;
  /** "type" when erased at compile time (import type, all-`type` names, import("…").T). */
  kind: ImportKind;
  line: number;
}

export interface Tree {
  root: string;
  files: Map<string, SourceFile>;
  imports: Import[];
}

const SOURCE = /\.(ts|mts|cts)$/;

/** Parses one file (exported for tests that check the reader on a string). */
export function parseFile(path: string, text: string): SourceFile {
  return { path, text, ast: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true) };
}

/** Reads every .ts file under `dirs` of `root` (not .d.ts, not node_modules, not `skip`). */
export function readTree(root: string, dirs: string[], skip: string[] = []): Tree {
  const files: SourceFile[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(join(root, dir), { recursive: true, encoding: "utf8" });
    } catch {
      continue; // a fixture tree may have no test/ folder
    }
    for (const name of names) {
      const path = posix.join(dir, name.split(sep).join("/"));
      if (!SOURCE.test(path) || path.endsWith(".d.ts") || path.includes("node_modules/")) continue;
      if (skip.some((s) => path === s || path.startsWith(`${s}/`))) continue;
      files.push(parseFile(path, readFileSync(join(root, path), "utf8")));
    }
  }
  return treeOf(root, files);
}

/** A tree from files already parsed. */
export function treeOf(root: string, list: SourceFile[]): Tree {
  const files = new Map(list.map((f) => [f.path, f]));
  const imports = list.flatMap((f) => importsOf(f, files));
  return { root, files, imports };
}

function lineOf(file: SourceFile, node: ts.Node): number {
  return file.ast.getLineAndCharacterOfPosition(node.getStart(file.ast)).line + 1;
}

/** `import { type A, type B }` and `export { type A }` are erased like `import type`. */
function allNamesTypeOnly(bindings: ts.NamedImportBindings | ts.NamedExportBindings | undefined): boolean {
  if (!bindings || !(ts.isNamedImports(bindings) || ts.isNamedExports(bindings))) return false;
  return bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function importKind(node: ts.ImportDeclaration | ts.ExportDeclaration): ImportKind {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return "static"; // import "./side-effect.js"
    if (clause.isTypeOnly) return "type";
    return !clause.name && allNamesTypeOnly(clause.namedBindings) ? "type" : "static";
  }
  return node.isTypeOnly || allNamesTypeOnly(node.exportClause) ? "type" : "static";
}

/** Every import a file makes, found in its syntax tree. */
export function importsOf(file: SourceFile, files: ReadonlyMap<string, SourceFile>): Import[] {
  const out: Import[] = [];
  const add = (spec: string, kind: ImportKind, node: ts.Node): void => {
    const { target, resolved } = resolveSpec(file.path, spec, files);
    out.push({ from: file.path, spec, target, resolved, kind, line: lineOf(file, node) });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, importKind(node), node);
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if ((isImport || isRequire) && arg && ts.isStringLiteralLike(arg)) add(arg.text, "dynamic", node);
    } else if (ts.isImportTypeNode(node)) {
      const lit = ts.isLiteralTypeNode(node.argument) ? node.argument.literal : null;
      if (lit && ts.isStringLiteral(lit)) add(lit.text, "type", node);
    }
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return out;
}

/** The file a relative specifier names: ./x.js is x.ts, ./dir is dir/index.ts. */
export function resolveSpec(
  from: string,
  spec: string,
  files: ReadonlyMap<string, unknown>,
): { target: string | null; resolved: boolean } {
  if (!spec.startsWith(".")) return { target: null, resolved: false };
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  const stem = base.replace(/\.(js|mjs|cjs|ts|mts|cts)$/, "");
  const ext = base.endsWith(".mjs") ? ".mts" : base.endsWith(".cjs") ? ".cts" : ".ts";
  for (const candidate of [`${stem}${ext}`, base, `${base}.ts`, `${base}/index.ts`]) {
    if (files.has(candidate)) return { target: candidate, resolved: true };
  }
  return { target: `${stem}${ext}`, resolved: false };
}

/** True when `path` is `folder` itself or lies under it. */
export function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

/**
 * Import cycles among the tree's files, as strongly connected components (Tarjan), each
 * reported as its members in order. Type-only imports are left out: they are erased, so they
 * make no load-order cycle.
 */
export function cycles(tree: Tree, include: (path: string) => boolean): string[][] {
  const edges = new Map<string, string[]>();
  for (const i of tree.imports) {
    if (i.kind === "type" || !i.resolved || !i.target || !include(i.from) || !include(i.target)) continue;
    const list = edges.get(i.from) ?? [];
    list.push(i.target);
    edges.set(i.from, list);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = (edges.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) found.push(component.sort());
  };
  for (const v of [...tree.files.keys()].filter(include).sort()) if (!index.has(v)) connect(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

export interface Measured {
  path: string;
  /** For a function: its name ("(anonymous)" when it has none); null for the file itself. */
  name: string | null;
  line: number;
  lines: number;
}

/**
 * File and function lengths, measured as /work/shared/tools/long-functions.mjs does: a file's
 * lines are its text split on "\n"; a function is a declaration, a method, or an arrow or
 * function expression assigned to a variable or a property, counted from its first token (its
 * comment left out) to its last line, both included.
 */
export function measure(file: SourceFile): Measured[] {
  const sf = file.ast;
  const out: Measured[] = [{ path: file.path, name: null, line: 1, lines: file.text.split("\n").length }];
  const visit = (node: ts.Node): void => {
    const assigned =
      (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) &&
      (ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent));
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || assigned) {
      const a = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      const b = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      out.push({ path: file.path, name: functionName(node, sf), line: a, lines: b - a + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function functionName(node: ts.Node, sf: ts.SourceFile): string {
  const own = (node as { name?: ts.Node }).name;
  if (own) return own.getText(sf);
  const parent = (node.parent as { name?: ts.Node }).name;
  return parent ? parent.getText(sf) : "(anonymous)";
}

/** Identifiers a file uses (not where it imports or exports them), with their lines. */
export function references(file: SourceFile, names: ReadonlySet<string>): { name: string; line: number }[] {
  const out: { name: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isIdentifier(node) && names.has(node.text)) {
      const declared = (node.parent as { name?: ts.Node }).name === node && isDeclaration(node.parent);
      if (!declared) out.push({ name: node.text, line: lineOf(file, node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return out;
}

function isDeclaration(node: ts.Node): boolean {
  return ts.isFunctionDeclaration(node) || ts.isVariableDeclaration(node) || ts.isMethodDeclaration(node);
}

/** Names and string contents in a file's code (comments left out) that match `pattern`. */
export function codeMatches(file: SourceFile, pattern: RegExp): { line: number; match: string }[] {
  const out: { line: number; match: string }[] = [];
  const visit = (node: ts.Node): void => {
    const leaf = ts.isIdentifier(node) || ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node);
    const m = leaf ? pattern.exec((node as ts.Identifier | ts.LiteralLikeNode).text) : null;
    if (m) out.push({ line: lineOf(file, node), match: m[0] });
    ts.forEachChild(node, visit);
  };
  visit(file.ast);
  return out;
}
