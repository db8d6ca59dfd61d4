/**
 * The rules the architecture test applies, written against a `House` (test/architecture/house.ts
 * holds Ballador's). Each rule returns violations; a violation's `key` leaves out line numbers
 * so that an exceptions list stays stable while the code around it moves.
 */
import { codeMatches, cycles, type Import, inside, measure, references, type Tree } from "./checker.js";

export interface Violation {
  rule: string;
  key: string;
  /** Where to look (file:line), for the message only. */
  at: string;
}

export interface FaceRule {
  /** May import only these folders or files of src (prefixes), besides its own. */
  reaches: string[];
  /** Packages it may import (prefixes; node: built-ins always). */
  packages?: string[];
  /** The only files (prefixes) outside the face that may import it. */
  enteredFrom: string[];
}

export interface House {
  /** Units of src from the bottom floor up; a unit imports only units on floors below. */
  floors: string[][];
  /** Units outside the floors that import only themselves and the packages named (prefixes), and that nothing imports. */
  islands: Record<string, string[]>;
  /**
   * Units an island may take types from, and only types (`import type`: erased when it is built,
   * so the island's program still holds nothing of them): one definition of what crosses a wire.
   */
  islandTypes: Record<string, string[]>;
  /** Packages the bottom floor's unit may import: the pure core. */
  pure: { unit: string; packages: string[] };
  faces: Record<string, FaceRule>;
  /** Folders of src reached from outside only through their index.ts. */
  doors: string[];
  /** Folders under it that are doors when they have an index.ts (e.g. src/adapters). */
  doorsWhenIndexed: string[];
  trust: {
    linkSafe: { home: string; markers: RegExp };
    /**
     * `from` (but its folders in `except`) never loads these folders or files, not even through
     * other modules (value imports, dynamic ones included).
     */
    neverLoads: { from: string; except?: string[]; boundaries: string[] }[];
    /** Who may use a name (call it or pass it on); `home` is the file that defines it. */
    onlyUsedBy: { name: string; home: string; by: string[]; why: string }[];
  };
  tests: { e2e: string[]; mayImport: string[] };
  size: { functionMax: number; fileMax: number; under: string };
}

const v = (rule: string, key: string, at: string): Violation => ({ rule, key: `${rule}: ${key}`, at });
const at = (i: Import): string => `${i.from}:${i.line}`;

/** The unit a file of src belongs to: its first folder, or the file itself at the top. */
export function unitOf(path: string, house: House): string | null {
  if (!path.startsWith("src/")) return null;
  const rest = path.slice(4);
  const special = [...Object.keys(house.islands), ...Object.keys(house.faces)]
    .filter((u) => inside(rest, u))
    .sort((a, b) => b.length - a.length)[0];
  if (special) return special;
  const slash = rest.indexOf("/");
  return slash < 0 ? rest : rest.slice(0, slash);
}

const srcImports = (tree: Tree) => tree.imports.filter((i) => i.from.startsWith("src/"));

/** Every relative import names a file of the tree, and src/ imports only from src/. */
export function checkResolved(tree: Tree): Violation[] {
  return tree.imports.flatMap((i) => {
    if (i.target === null) return [];
    if (!i.resolved)
      return [v("resolve", `${i.from} imports "${i.spec}", which is no file of the tree`, at(i))];
    if (i.from.startsWith("src/") && !i.target.startsWith("src/"))
      return [v("resolve", `${i.from} imports ${i.target}, outside src/`, at(i))];
    return [];
  });
}

/** No import goes up a floor or sideways to another unit of the same floor. */
export function checkFloors(tree: Tree, house: House): Violation[] {
  const floor = new Map(house.floors.flatMap((units, n) => units.map((u) => [u, n] as const)));
  const out: Violation[] = [];
  for (const i of srcImports(tree)) {
    const from = unitOf(i.from, house);
    if (from === null) continue;
    if (i.target === null) {
      if (from === house.pure.unit && !house.pure.packages.includes(i.spec))
        out.push(
          v(
            "pure",
            `${i.from} imports "${i.spec}" (${from} uses only ${house.pure.packages.join(", ")})`,
            at(i),
          ),
        );
      continue;
    }
    const to = unitOf(i.target, house);
    if (to === null || to === from) continue;
    const [a, b] = [floor.get(from), floor.get(to)];
    if (a === undefined || b === undefined) {
      if (
        !(from in house.islands) &&
        !(to in house.islands) &&
        !(from in house.faces) &&
        !(to in house.faces)
      )
        out.push(v("floors", `${from} or ${to} has no floor in the table (${i.from})`, at(i)));
      continue;
    }
    if (b > a) out.push(v("floors", `${i.from} imports ${i.target}: ${to} is above ${from}`, at(i)));
    else if (b === a && !(to in house.faces))
      out.push(v("floors", `${i.from} imports ${i.target}: ${from} and ${to} share a floor`, at(i)));
  }
  return out;
}

/** Islands (separate programs, browser code) stay apart; faces reach only what they may. */
export function checkIslandsAndFaces(tree: Tree, house: House): Violation[] {
  const out: Violation[] = [];
  for (const i of srcImports(tree)) {
    const from = unitOf(i.from, house) as string;
    const to = i.target ? unitOf(i.target, house) : null;
    const builtin = i.spec.startsWith("node:");
    if (from in house.islands) {
      const packages = house.islands[from] as string[];
      const types = i.kind === "type" && to !== null && (house.islandTypes[from] ?? []).includes(to);
      const ok = i.target ? to === from || types : packages.some((p) => i.spec.startsWith(p));
      if (!ok) out.push(v("islands", `${i.from} imports "${i.spec}" (${from} keeps to itself)`, at(i)));
    } else if (to && to !== from && to in house.islands)
      out.push(v("islands", `${i.from} imports ${i.target} (${to} is imported by nothing)`, at(i)));
    const face = house.faces[from];
    if (face && i.target && to !== from && !face.reaches.some((r) => inside(i.target!.slice(4), r)))
      out.push(
        v("faces", `${i.from} imports ${i.target} (${from} reaches only ${face.reaches.join(", ")})`, at(i)),
      );
    if (face?.packages && !i.target && !builtin && !face.packages.some((p) => i.spec.startsWith(p)))
      out.push(
        v("faces", `${i.from} imports "${i.spec}" (${from} uses only ${face.packages.join(", ")})`, at(i)),
      );
    const entered = to && to !== from ? house.faces[to] : undefined;
    if (entered && !entered.enteredFrom.some((e) => inside(i.from, e)))
      out.push(
        v("faces", `${i.from} imports ${i.target} (only ${entered.enteredFrom.join(", ")} may)`, at(i)),
      );
  }
  return out;
}

/** No import cycle among the files of src (type-only imports left out: they are erased). */
export function checkCycles(tree: Tree): Violation[] {
  return cycles(tree, (p) => p.startsWith("src/")).map((c) => v("cycle", c.join(" <-> "), c[0] as string));
}

/** The door folders of a tree: the named ones, and those under `doorsWhenIndexed` with an index.ts. */
export function doorFolders(tree: Tree, house: House): string[] {
  const indexed = house.doorsWhenIndexed.flatMap((parent) =>
    [...tree.files.keys()]
      .map((p) => p.match(new RegExp(`^(${parent}/[^/]+)/index\\.ts$`))?.[1])
      .filter((d): d is string => d !== undefined),
  );
  return [...house.doors, ...indexed];
}

/**
 * A file outside a door folder imports it only through its index.ts. The deepest door folder
 * holding the target decides: a nested door (run/supervise) is a door of its own, and files
 * of one folder import each other directly.
 */
export function checkDoors(tree: Tree, house: House): Violation[] {
  const doors = doorFolders(tree, house).sort((a, b) => b.length - a.length);
  const out: Violation[] = [];
  for (const i of srcImports(tree)) {
    if (!i.target) continue;
    const door = doors.find((d) => inside(i.target as string, d));
    if (!door || inside(i.from, door) || i.target === `${door}/index.ts`) continue;
    out.push(v("doors", `${i.from} imports ${i.target}, not the door ${door}/index.ts`, at(i)));
  }
  return out;
}

/** Link-safe file code only in its home; some folders never load others; some names only for some. */
export function checkTrust(tree: Tree, house: House): Violation[] {
  const { linkSafe, neverLoads, onlyUsedBy } = house.trust;
  const out: Violation[] = [];
  for (const file of tree.files.values()) {
    if (!file.path.startsWith("src/") || inside(file.path, linkSafe.home)) continue;
    const seen = new Set<string>();
    for (const m of codeMatches(file, linkSafe.markers)) {
      if (seen.has(m.match)) continue;
      seen.add(m.match);
      out.push(
        v(
          "link-safe",
          `${file.path} uses ${m.match} (link-safe file code lives in ${linkSafe.home})`,
          `${file.path}:${m.line}`,
        ),
      );
    }
  }
  for (const rule of neverLoads) out.push(...loads(tree, rule.from, rule.boundaries, rule.except ?? []));
  const names = new Set(onlyUsedBy.map((u) => u.name));
  for (const file of tree.files.values()) {
    if (!file.path.startsWith("src/")) continue;
    const used = new Set<string>();
    for (const r of references(file, names)) {
      const rule = onlyUsedBy.find((u) => u.name === r.name)!;
      if (used.has(r.name) || file.path === rule.home || rule.by.some((b) => inside(file.path, b))) continue;
      used.add(r.name);
      out.push(v("only-by", `${file.path} uses ${r.name} (${rule.why})`, `${file.path}:${r.line}`));
    }
  }
  return out;
}

/** Files of `from` that load a boundary, each named with the first import on the way. */
function loads(tree: Tree, from: string, boundaries: string[], except: string[]): Violation[] {
  const edges = new Map<string, Import[]>();
  for (const i of tree.imports) {
    if (i.kind === "type" || !i.resolved || !i.target) continue;
    edges.set(i.from, [...(edges.get(i.from) ?? []), i]);
  }
  const out: Violation[] = [];
  const starts = [...tree.files.keys()].filter((p) => inside(p, from) && !except.some((e) => inside(p, e)));
  for (const start of starts) {
    for (const first of edges.get(start) ?? []) {
      const to = first.target as string;
      // Its siblings are checked themselves; a folder excepted is not, so it counts as outside.
      if (inside(to, from) && !except.some((e) => inside(to, e))) continue;
      const reached = new Set<string>();
      const stack = [to];
      while (stack.length > 0) {
        const file = stack.pop() as string;
        if (reached.has(file)) continue;
        reached.add(file);
        for (const i of edges.get(file) ?? []) stack.push(i.target as string);
      }
      for (const b of boundaries.filter((b) => [...reached].some((r) => inside(r, b))))
        out.push(v("never-loads", `${start} loads ${b} through "${first.spec}"`, at(first)));
    }
  }
  return out;
}

/** End-to-end tests (and the helpers they share) import nothing from src but what is allowed. */
export function checkTests(tree: Tree, house: House): Violation[] {
  return tree.imports
    .filter((i) => house.tests.e2e.some((d) => inside(i.from, d)))
    .filter((i) => i.target?.startsWith("src/") && !house.tests.mayImport.includes(i.target))
    .map((i) =>
      v("e2e", `${i.from} imports ${i.target} (end-to-end tests drive bin/ballador.js, not src/)`, at(i)),
    );
}

/** What is over the limits, keyed "path" for a file and "path name" for a function. */
export function oversized(tree: Tree, house: House): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of tree.files.values()) {
    if (!inside(file.path, house.size.under)) continue;
    for (const m of measure(file)) {
      const max = m.name === null ? house.size.fileMax : house.size.functionMax;
      if (m.lines <= max) continue;
      let key = m.name === null ? m.path : `${m.path} ${m.name}`;
      for (let n = 2; out.has(key); n++) key = `${m.path} ${m.name} #${n}`;
      out.set(key, m.lines);
    }
  }
  return out;
}

/**
 * Sizes against an allowlist that may only shrink: a new item over the limit, an allowlisted
 * one grown past its recorded length, and an allowlisted one no longer over (to be removed).
 */
export function checkSize(tree: Tree, house: House, allowlist: Record<string, number>): Violation[] {
  const now = oversized(tree, house);
  const out: Violation[] = [];
  for (const [key, lines] of now) {
    const allowed = allowlist[key];
    if (allowed === undefined)
      out.push(v("size", `${key} is ${lines} lines (over the limit, not allowlisted)`, key));
    else if (lines > allowed)
      out.push(v("size", `${key} grew to ${lines} lines (allowlisted at ${allowed})`, key));
  }
  for (const key of Object.keys(allowlist).filter((k) => !now.has(k)))
    out.push(v("size", `${key} is no longer over the limit: remove it from the allowlist`, key));
  return out;
}

/** Every rule but size (which needs its allowlist). */
export function checkAll(tree: Tree, house: House): Violation[] {
  return [
    ...checkResolved(tree),
    ...checkFloors(tree, house),
    ...checkIslandsAndFaces(tree, house),
    ...checkCycles(tree),
    ...checkDoors(tree, house),
    ...checkTrust(tree, house),
    ...checkTests(tree, house),
  ];
}
