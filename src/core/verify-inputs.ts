/**
 * Verify inputs (issue 28): what decides a verdict, pinned to the base, and nothing more. A
 * clean verification judges the branch's code with the base's verify command, config, verify
 * script and the files that decide *how tests run* (`verify_inputs:` globs, or the defaults
 * below), and, from package.json, only the `scripts` the verify command reaches and the test
 * runners' config fields, so the branch's dependencies and lockfile are what get installed.
 * Pure: the caller reads the texts from git objects on the host.
 */
import picomatch from "picomatch";

/** The defaults of `verify_inputs:` per ecosystem (a missing file costs nothing). */
export const VERIFY_INPUT_DEFAULTS: ReadonlyArray<{ ecosystem: string; globs: readonly string[] }> = [
  // pyproject.toml is left out: it holds the dependencies too (pytest.ini, when present, wins
  // over it for pytest's settings; a project that keeps them in pyproject lists it itself).
  {
    ecosystem: "Python",
    globs: ["**/conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "noxfile.py", ".coveragerc"],
  },
  {
    ecosystem: "JavaScript/TypeScript",
    globs: [
      "**/jest.config.*",
      "**/vitest.config.*",
      "**/vitest.workspace.*",
      "**/vite.config.*",
      "**/.mocharc*",
      "**/tsconfig*.json",
      // npm's script-shell / node-options, yarn's yarnPath, bun's test settings.
      ".npmrc",
      ".yarnrc",
      ".yarnrc.yml",
      "bunfig.toml",
    ],
  },
  { ecosystem: "Rust", globs: [".cargo/config", ".cargo/config.toml"] },
];

/** Pinned only when the verify command (or its script) runs make. */
export const MAKE_INPUTS: readonly string[] = ["Makefile", "makefile", "GNUmakefile", "**/*.mk"];

/** package.json fields that configure a test runner (pinned whenever package.json is read). */
export const RUNNER_FIELDS: readonly string[] = ["jest", "mocha", "ava", "c8", "nyc", "tap"];

export const CONFIG_PATH = ".ballador/config.yaml";

/** The largest package.json read as JSON; a larger one is judged whole by the base's. */
export const MANIFEST_LIMIT = 1024 * 1024;

const OPTIONS: picomatch.PicomatchOptions = { dot: true };

export function defaultVerifyInputs(): string[] {
  return VERIFY_INPUT_DEFAULTS.flatMap((d) => [...d.globs]);
}

/** Why a `verify_inputs` glob cannot be used, or null. */
export function verifyInputProblem(glob: string): string | null {
  if (glob.trim() === "") return "an empty pattern";
  if (glob.startsWith("/") || glob.split("/").includes(".."))
    return `"${glob}" is not inside the repository (use a path relative to its root)`;
  try {
    picomatch.makeRe(glob, OPTIONS);
  } catch (err) {
    return `"${glob}" is not a valid glob: ${(err as Error).message}`;
  }
  return null;
}

/**
 * The globs of every file that is a verify input: the config, the repository files the verify
 * command names, `verify_inputs` (or the defaults) and make's files when make is run.
 * `scripts` is the text of the verify command's scripts on the base, to see what they run.
 */
export function verifyInputGlobs(
  verify: string,
  configured: readonly string[] | null | undefined,
  scripts: readonly string[] = [],
): string[] {
  const globs = new Set<string>([CONFIG_PATH, ...scriptPaths(verify)]);
  for (const g of configured ?? defaultVerifyInputs()) globs.add(g.replace(/^\.\//, ""));
  if ([verify, ...scripts].some((t) => commandsOf(t).some((c) => c[0] === "make"))) {
    for (const g of MAKE_INPUTS) globs.add(g);
  }
  return [...globs];
}

/** A matcher over repository paths for these globs (literal names match themselves). */
export function inputMatcher(globs: readonly string[]): (path: string) => boolean {
  const matchers = globs.flatMap((g) => {
    try {
      return [picomatch(g, OPTIONS)];
    } catch {
      return [(p: string) => p === g];
    }
  });
  return (path) => matchers.some((m) => m(path));
}

/** Repository paths the verify command names (`./verify.sh`, `sh scripts/check.sh`). */
export function scriptPaths(verify: string): string[] {
  const out = new Set<string>();
  for (const w of verify.trim().split(/\s+/)) {
    const word = w.replace(/^['"]|['"]$/g, "");
    if (!word || word.startsWith("/") || word.startsWith("-") || word.includes("=")) continue;
    if (word.startsWith("./") || word.includes("/") || /\.(sh|js|mjs|cjs|ts|py|rb|pl)$/.test(word)) {
      const p = word
        .replace(/^(\.\/)+/, "")
        .split("/")
        .filter((s) => s && s !== ".")
        .join("/");
      if (p && !p.split("/").includes("..")) out.add(p);
    }
  }
  return [...out];
}

/** Shell commands in a text, as words: split at newlines, `&&`, `||`, `;`, `|`, parentheses. */
export function commandsOf(text: string): string[][] {
  const out: string[][] = [];
  for (const segment of text.split(/\n|&&|\|\||;|\||\(|\)|`|\$\(/)) {
    const words = segment
      .trim()
      .split(/\s+/)
      .map((w) => w.replace(/^['"]+|['"]+$/g, ""))
      .filter(Boolean);
    // Leading variable assignments and wrappers do not change which program runs.
    while (words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? "") || WRAPPERS.has(words[0] ?? "")))
      words.shift();
    if (words.length) {
      words[0] = (words[0] ?? "").replace(/^.*\//, "");
      out.push(words);
    }
  }
  return out;
}

const WRAPPERS = new Set(["exec", "time", "env", "command", "nice", "nohup", "xvfb-run"]);
const NPM_LIKE = new Set(["npm", "yarn", "pnpm", "bun"]);
const NOT_SCRIPTS = new Set([
  "install",
  "i",
  "ci",
  "add",
  "remove",
  "rm",
  "uninstall",
  "exec",
  "dlx",
  "x",
  "link",
  "pack",
  "publish",
  "config",
  "cache",
  "why",
  "info",
  "init",
  "audit",
  "outdated",
  "update",
  "upgrade",
  "up",
  "workspace",
  "workspaces",
  "version",
  "bin",
  "node",
  "create",
  "rebuild",
  "prune",
  "dedupe",
  "ls",
  "list",
]);

/** Whether the verify command runs an npm-like package manager (which reads package.json). */
export function usesPackageScripts(verify: string, scripts: readonly string[] = []): boolean {
  return [verify, ...scripts].some((t) => commandsOf(t).some((c) => NPM_LIKE.has(c[0] ?? "")));
}

/** The script names (or npm-run-all patterns) one command runs directly. */
function scriptCalls(words: readonly string[]): { names: string[]; patterns: string[] } {
  const [runner, ...rest] = words;
  const args = rest.filter((w) => !w.startsWith("-"));
  const sub = args[0];
  if (runner === "npm-run-all" || runner === "run-s" || runner === "run-p")
    return { names: [], patterns: args };
  if (!runner || !NPM_LIKE.has(runner)) return { names: [], patterns: [] };
  // A bare `yarn` (or `pnpm`/`bun`... with options only) installs.
  if (sub === undefined)
    return runner === "yarn"
      ? { names: ["install", "prepare", "prepublish"], patterns: [] }
      : { names: [], patterns: [] };
  if (["run", "run-script", "rum", "urn"].includes(sub))
    return { names: args[1] ? [args[1]] : [], patterns: [] };
  // `bun test` is bun's own runner, not the script (bunfig.toml configures it).
  if (runner === "bun" && sub === "test") return { names: [], patterns: [] };
  if (["test", "t", "tst", "it", "install-test", "cit"].includes(sub))
    return { names: ["test"], patterns: [] };
  if (["start", "stop", "restart"].includes(sub)) return { names: [sub], patterns: [] };
  // An install (a bootstrap's `npm ci`) runs the package's own lifecycle scripts in the checkout.
  if (["install", "i", "ci", "add", "clean-install"].includes(sub))
    return { names: ["install", "prepare", "prepublish"], patterns: [] };
  if (runner === "npm" || NOT_SCRIPTS.has(sub) || sub.includes(".") || sub.includes("/"))
    return { names: [], patterns: [] };
  // yarn, pnpm and bun run a script named like an unknown command.
  return { names: [sub], patterns: [] };
}

/**
 * The package.json scripts the verify command reaches on the base: the ones it runs, their
 * `pre`/`post` hooks, and the scripts those run through `npm run X` (and the like), transitively.
 * A name the base does not define is still reached: its absence is what the base says.
 */
export function reachedScripts(
  verify: string,
  baseScripts: Readonly<Record<string, unknown>>,
  verifyScriptTexts: readonly string[] = [],
): string[] {
  const reached = new Set<string>();
  const queue: string[] = [];
  const visit = (text: string) => {
    for (const words of commandsOf(text)) {
      const { names, patterns } = scriptCalls(words);
      const all = [...names];
      for (const p of patterns) {
        // npm-run-all's globs use ":" as the separator.
        const m = picomatch(p.replace(/:/g, "/"), OPTIONS);
        all.push(...Object.keys(baseScripts).filter((s) => m(s.replace(/:/g, "/"))));
      }
      for (const n of all) {
        for (const name of [`pre${n}`, n, `post${n}`]) {
          if (!reached.has(name)) {
            reached.add(name);
            queue.push(name);
          }
        }
      }
    }
  };
  visit(verify);
  for (const t of verifyScriptTexts) visit(t);
  while (queue.length) {
    const body = baseScripts[queue.shift() as string];
    if (typeof body === "string") visit(body);
  }
  return [...reached].sort();
}

type Json = Record<string, unknown>;

/** A package.json's object, or null when absent, too large, not JSON or not an object. */
export function parseManifest(text: string | null): Json | null {
  if (text === null || text.length > MANIFEST_LIMIT) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

function own(obj: unknown, key: string): unknown {
  return obj && typeof obj === "object" && Object.hasOwn(obj, key) ? (obj as Json)[key] : undefined;
}

/**
 * The package.json a clean verification uses: the branch's, with the reached scripts and the
 * runner fields taken from the base (a name the base lacks is removed). `changed` names what the
 * branch changed among them (`scripts.test`); empty means the branch's text is used as it is.
 * A branch file that is not a readable object is judged whole by the base's (`text` null:
 * remove it).
 */
export function judgedManifest(
  baseText: string | null,
  branchText: string | null,
  scripts: readonly string[],
): { text: string | null; changed: string[] } {
  if (baseText === branchText) return { text: branchText, changed: [] };
  const base = parseManifest(baseText);
  const branch = parseManifest(branchText);
  if (branch === null || (base === null && baseText !== null)) {
    return { text: baseText, changed: ["package.json"] };
  }
  const pinned: Array<[string, string, unknown]> = [
    ...scripts.map((s): [string, string, unknown] => [`scripts.${s}`, s, own(own(base, "scripts"), s)]),
    ...RUNNER_FIELDS.map((f): [string, string, unknown] => [f, f, own(base, f)]),
  ];
  const changed: string[] = [];
  let outScripts = own(branch, "scripts");
  const entries = new Map<string, unknown>(
    outScripts && typeof outScripts === "object" && !Array.isArray(outScripts)
      ? Object.entries(outScripts as Json)
      : [],
  );
  const fields = new Map<string, unknown>(Object.entries(branch));
  for (const [label, name, value] of pinned) {
    const isScript = label.startsWith("scripts.");
    const target = isScript ? entries : fields;
    if (JSON.stringify(target.get(name)) === JSON.stringify(value)) continue;
    changed.push(label);
    if (value === undefined) target.delete(name);
    else target.set(name, value);
  }
  if (changed.length === 0) return { text: branchText, changed };
  // Object.fromEntries defines own properties: a "__proto__" key stays a key.
  outScripts = Object.fromEntries(entries);
  if (entries.size > 0 || fields.has("scripts")) fields.set("scripts", outScripts);
  const indent = /^\{\r?\n([ \t]+)"/.exec(branchText ?? "")?.[1] ?? "  ";
  return { text: `${JSON.stringify(Object.fromEntries(fields), null, indent)}\n`, changed };
}

export interface DependencyChange {
  section: string;
  name: string;
  from: string | null;
  to: string | null;
}

export const DEPENDENCY_SECTIONS = [
  "dependencies",
  "devDependencies",
  "optionalDependencies",
  "peerDependencies",
] as const;

/** Dependencies added (from null), removed (to null) or changed, base vs branch package.json. */
export function dependencyChanges(baseText: string | null, branchText: string | null): DependencyChange[] {
  const base = parseManifest(baseText);
  const branch = parseManifest(branchText);
  const out: DependencyChange[] = [];
  for (const section of DEPENDENCY_SECTIONS) {
    const a = depMap(own(base, section));
    const b = depMap(own(branch, section));
    for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      const from = a.get(name) ?? null;
      const to = b.get(name) ?? null;
      if (from !== to) out.push({ section, name, from, to });
    }
  }
  return out;
}

function depMap(v: unknown): Map<string, string> {
  const m = new Map<string, string>();
  if (!v || typeof v !== "object" || Array.isArray(v)) return m;
  for (const [k, val] of Object.entries(v as Json))
    m.set(k, typeof val === "string" ? val : JSON.stringify(val));
  return m;
}

/**
 * Hostile text as a markdown code span: control characters and newlines become spaces, long
 * text is cut, and the fence is one backtick longer than any run inside.
 */
export function inlineCode(text: string, max = 200): string {
  let t = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, " ");
  if (t.length > max) t = `${t.slice(0, max)}…`;
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = t.startsWith("`") || t.endsWith("`") || t === "" ? " " : "";
  return `${fence}${pad}${t}${pad}${fence}`;
}
