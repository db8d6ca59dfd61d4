/**
 * The scripted agent's script: a YAML list of steps, validated with zod, plus the extraction of
 * that script from a markdown prompt. Pure: no I/O, so the whole format is testable in-process.
 */
import { parseDocument } from "yaml";
import { z } from "zod";

export const ON_ERROR_MODES = ["stop", "continue"] as const;
export type OnError = (typeof ON_ERROR_MODES)[number];

/** The info string that marks the script block inside a markdown prompt. */
export const SCRIPT_FENCE_INFO = "ballador-script";

/** Every invalid input is reported with all its problems at once, one line each. */
export class ScriptError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ScriptError";
  }
}

// Messages for the common mistakes, so a script author reads "is required" rather than zod's
// generic "expected string, received undefined".
const describe = (input: unknown): string =>
  input === undefined
    ? "nothing"
    : input === null
      ? "null"
      : Array.isArray(input)
        ? "a list"
        : `a ${typeof input}`;

/** Replaces zod's "wrong type" message only; range and format messages are given per field. */
const typeError =
  (what: string) =>
  (iss: { code: string; input?: unknown }): string | undefined =>
    iss.code !== "invalid_type"
      ? undefined
      : iss.input === undefined
        ? "is required"
        : `must be ${what}, got ${describe(iss.input)}`;

const str = () => z.string({ error: typeError("a string") });
const nonEmpty = () => str().min(1, { message: "must not be empty" });
const int = (what: string) => z.number({ error: typeError(what) }).int({ message: `must be ${what}` });
const bool = () => z.boolean({ error: typeError("true or false") });

/** A strict object whose "wrong type" message says what shapes are accepted. */
const obj = <T extends z.core.$ZodLooseShape>(shape: T, accepted: string) =>
  z.strictObject(shape, {
    error: (iss) =>
      iss.code === "invalid_type"
        ? `must be ${accepted}, got ${describe(iss.input)}`
        : iss.code === "unrecognized_keys"
          ? `unknown key ${iss.keys.map((k) => `"${k}"`).join(", ")}; expected ${accepted}`
          : undefined,
  });

/** Lets `kind: "value"` stand for `kind: { key: "value" }`. */
const shorthand = <S extends z.ZodType>(key: string, schema: S) =>
  z.preprocess((v) => (typeof v === "string" ? { [key]: v } : v), schema);

const pathOnly = () => shorthand("path", obj({ path: nonEmpty() }, "a path or { path }"));
const argv = () =>
  z.array(str(), { error: (iss) => `must be a list of strings, got ${describe(iss.input)}` }).min(1, {
    message: "must name at least the program",
  });

/** One schema per step kind; each normalizes its shorthand forms into one action shape. */
const KIND_SCHEMAS = {
  write: obj({ path: nonEmpty(), content: str() }, "{ path, content }").transform((v) => ({
    kind: "write" as const,
    ...v,
  })),
  append: obj({ path: nonEmpty(), content: str() }, "{ path, content }").transform((v) => ({
    kind: "append" as const,
    ...v,
  })),
  edit: obj(
    { path: nonEmpty(), find: nonEmpty(), replace: str(), all: bool().optional() },
    "{ path, find, replace, all? }",
  ).transform((v) => ({
    kind: "edit" as const,
    path: v.path,
    find: v.find,
    replace: v.replace,
    all: v.all ?? false,
  })),
  delete: pathOnly().transform((v) => ({ kind: "delete" as const, path: v.path })),
  mkdir: pathOnly().transform((v) => ({ kind: "mkdir" as const, path: v.path })),
  read: pathOnly().transform((v) => ({ kind: "read" as const, path: v.path })),
  run: z.unknown().transform((v, ctx) => {
    // Chosen by type rather than z.union, whose failure reads "Invalid input" without saying which element.
    const parsed =
      typeof v === "string" ? nonEmpty().safeParse(v) : Array.isArray(v) ? argv().safeParse(v) : undefined;
    if (parsed === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `must be a shell command string or an argv list, got ${describe(v)}`,
      });
      return z.NEVER;
    }
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return { kind: "run" as const, command: parsed.data };
  }),
  commit: shorthand(
    "message",
    obj({ message: nonEmpty(), allow_empty: bool().optional() }, "a message or { message, allow_empty? }"),
  ).transform((v) => ({ kind: "commit" as const, message: v.message, allowEmpty: v.allow_empty ?? false })),
  note: nonEmpty().transform((v) => ({ kind: "note" as const, text: v })),
  done: z
    .preprocess(
      (v) => (v === null ? {} : typeof v === "string" ? { summary: v } : v),
      obj({ summary: str().optional() }, "a summary, { summary } or {}"),
    )
    .transform((v) => ({ kind: "done" as const, summary: v.summary === "" ? undefined : v.summary })),
  blocked: nonEmpty().transform((v) => ({ kind: "blocked" as const, reason: v })),
  ballador: argv().transform((v) => ({ kind: "ballador" as const, args: v })),
  http: shorthand(
    "url",
    obj(
      {
        url: nonEmpty().refine((u) => /^https?:\/\/[^/]/i.test(u) && URL.canParse(u), {
          message: "must be an http:// or https:// URL",
        }),
        method: nonEmpty().optional(),
        expect_status: int("an HTTP status (100-599)")
          .min(100, { message: "must be an HTTP status (100-599)" })
          .max(599, { message: "must be an HTTP status (100-599)" })
          .optional(),
        timeout_ms: int("a number of milliseconds").min(1, { message: "must be at least 1" }).optional(),
      },
      "a URL or { url, method?, expect_status?, timeout_ms? }",
    ),
  ).transform((v) => ({
    kind: "http" as const,
    url: v.url,
    method: (v.method ?? "GET").toUpperCase(),
    expectStatus: v.expect_status,
    timeoutMs: v.timeout_ms ?? 10_000,
  })),
  sleep: int("a number of milliseconds")
    .min(0, { message: "must not be negative" })
    .transform((v) => ({ kind: "sleep" as const, ms: v })),
  print: str().transform((v) => ({ kind: "print" as const, text: v })),
  exit: int("an exit code (0-255)")
    .min(0, { message: "must be between 0 and 255" })
    .max(255, { message: "must be between 0 and 255" })
    .transform((v) => ({ kind: "exit" as const, code: v })),
};

export type StepKind = keyof typeof KIND_SCHEMAS;
export const STEP_KINDS = Object.keys(KIND_SCHEMAS) as StepKind[];
export type StepAction = { [K in StepKind]: z.output<(typeof KIND_SCHEMAS)[K]> }[StepKind];

/** Kinds that cannot fail, so `expect_fail` on them is a mistake in the script. */
const CANNOT_FAIL: ReadonlySet<StepKind> = new Set(["print", "sleep", "exit"]);

const MODIFIERS = ["allow_fail", "expect_fail"] as const;

export type Step = {
  /** 1-based position, as printed in progress lines and error messages. */
  index: number;
  action: StepAction;
  allowFail: boolean;
  expectFail: boolean;
};

export type Script = { onError: OnError; steps: Step[] };

const isKind = (key: string): key is StepKind => Object.hasOwn(KIND_SCHEMAS, key);

function formatPath(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

function parseStep(raw: unknown, index: number, problems: string[]): Step | undefined {
  const where = `step ${index}`;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    problems.push(
      `${where}: must be a mapping with one action, like "- write: { path, content }"; got ${describe(raw)}`,
    );
    return undefined;
  }
  const entries = Object.entries(raw);
  const kinds = entries.map(([k]) => k).filter(isKind);
  const unknown = entries
    .map(([k]) => k)
    .filter((k) => !isKind(k) && !(MODIFIERS as readonly string[]).includes(k));
  const before = problems.length;
  for (const key of unknown) {
    problems.push(`${where}: unknown key "${key}"; an action is one of ${STEP_KINDS.join(", ")}`);
  }
  if (kinds.length === 0 && unknown.length === 0) {
    problems.push(`${where}: no action; expected one of ${STEP_KINDS.join(", ")}`);
  }
  if (kinds.length > 1) {
    problems.push(`${where}: has ${kinds.length} actions (${kinds.join(", ")}); a step has exactly one`);
  }
  const record = raw as Record<string, unknown>;
  const flags: Partial<Record<(typeof MODIFIERS)[number], boolean>> = {};
  for (const flag of MODIFIERS) {
    const value = record[flag];
    if (value === undefined) continue;
    if (typeof value !== "boolean")
      problems.push(`${where}: ${flag}: must be true or false, got ${describe(value)}`);
    else flags[flag] = value;
  }
  const kind = kinds.length === 1 ? kinds[0] : undefined;
  if (kind === undefined) return undefined;
  const label = `${where} (${kind})`;
  if (flags.expect_fail === true && CANNOT_FAIL.has(kind)) {
    problems.push(`${label}: expect_fail: a ${kind} step cannot fail`);
  }
  const parsed = KIND_SCHEMAS[kind].safeParse(record[kind]);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${label}: ${formatPath([kind, ...issue.path])}: ${issue.message}`);
    }
    return undefined;
  }
  if (problems.length > before) return undefined;
  return {
    index,
    action: parsed.data,
    allowFail: flags.allow_fail ?? false,
    expectFail: flags.expect_fail ?? false,
  };
}

/**
 * Validates an already-parsed YAML value. A bare list is accepted as the steps, so the shortest
 * script is just "- write: ...".
 */
export function validateScript(raw: unknown): Script {
  const problems: string[] = [];
  const top: Record<string, unknown> | undefined = Array.isArray(raw)
    ? { steps: raw }
    : raw !== null && typeof raw === "object"
      ? (raw as Record<string, unknown>)
      : undefined;
  if (top === undefined) {
    throw new ScriptError([
      `the script must be a mapping with "steps:" (or a list of steps); got ${describe(raw)}`,
    ]);
  }
  for (const key of Object.keys(top)) {
    if (key !== "steps" && key !== "on_error") {
      problems.push(`unknown top-level key "${key}"; expected "steps" and optionally "on_error"`);
    }
  }
  let onError: OnError = "stop";
  if (top.on_error !== undefined) {
    if (typeof top.on_error === "string" && (ON_ERROR_MODES as readonly string[]).includes(top.on_error)) {
      onError = top.on_error as OnError;
    } else {
      problems.push(
        `on_error: must be "stop" or "continue", got ${JSON.stringify(top.on_error) ?? "nothing"}`,
      );
    }
  }
  const rawSteps = top.steps;
  const steps: Step[] = [];
  if (rawSteps === undefined || rawSteps === null) {
    problems.push("steps: is required (a list of steps)");
  } else if (!Array.isArray(rawSteps)) {
    problems.push(`steps: must be a list of steps, got ${describe(rawSteps)}`);
  } else if (rawSteps.length === 0) {
    problems.push("steps: the list is empty; give at least one step");
  } else {
    rawSteps.forEach((rawStep: unknown, i) => {
      const step = parseStep(rawStep, i + 1, problems);
      if (step) steps.push(step);
    });
  }
  if (problems.length > 0) throw new ScriptError(problems);
  return { onError, steps };
}

/**
 * Parses YAML text into a validated script. `origin` prefixes every problem; `lineOffset` makes
 * YAML line numbers count in the enclosing file when the text was cut out of a markdown prompt.
 */
export function parseScript(text: string, origin = "script", lineOffset = 0): Script {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ScriptError(
      doc.errors.map((e) => {
        const what = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        const at = e.linePos ? ` at line ${e.linePos[0].line + lineOffset}, column ${e.linePos[0].col}` : "";
        return `${origin}: invalid YAML${at}: ${what}`;
      }),
    );
  }
  try {
    return validateScript(doc.toJS());
  } catch (err) {
    if (err instanceof ScriptError) throw new ScriptError(err.problems.map((p) => `${origin}: ${p}`));
    throw err;
  }
}

export type ExtractedBlock = { text: string; line: number };

/**
 * Finds the first fenced code block whose info string starts with "ballador-script", following
 * CommonMark fences (``` or ~~~, three or more, indented up to three spaces; the closing fence uses
 * the same character, at least as long). Fences of other blocks are skipped whole, so an example
 * inside another code block is not mistaken for the script. Returns undefined when there is none.
 * `line` is the 1-based line of the opening fence.
 */
export function extractScriptBlock(markdown: string): ExtractedBlock | undefined {
  const lines = markdown.split(/\r?\n/);
  let i = 0;
  while (i < lines.length) {
    const open = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(lines[i] ?? "");
    if (!open) {
      i++;
      continue;
    }
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? "";
    const info = (open[3] ?? "").trim();
    // A backtick fence's info string may not contain backticks (CommonMark); that line is inline code.
    if (fence.startsWith("`") && info.includes("`")) {
      i++;
      continue;
    }
    const closeRe = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !closeRe.test(lines[end] ?? "")) end++;
    if (info.split(/\s+/)[0] === SCRIPT_FENCE_INFO) {
      if (end >= lines.length) {
        throw new ScriptError([`the ${SCRIPT_FENCE_INFO} block opened at line ${i + 1} is never closed`]);
      }
      const body = lines.slice(i + 1, end).map((l) => l.replace(new RegExp(`^ {0,${indent}}`), ""));
      return { text: body.join("\n"), line: i + 1 };
    }
    i = end + 1;
  }
  return undefined;
}

/** Placeholder values; every string of every step may use {task}, {run}, {worktree}, {attempt}. */
export type Placeholders = { task: string; run: string; worktree: string; attempt: string };

export function expandPlaceholders(text: string, values: Placeholders): string {
  return text.replace(/\{(task|run|worktree|attempt)\}/g, (_, name: keyof Placeholders) => values[name]);
}

function expandDeep(value: unknown, values: Placeholders): unknown {
  if (typeof value === "string") return expandPlaceholders(value, values);
  if (Array.isArray(value)) return value.map((v) => expandDeep(v, values));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandDeep(v, values)]));
  }
  return value;
}

/** Returns the action with placeholders expanded in every string field (kind names contain none). */
export function expandAction(action: StepAction, values: Placeholders): StepAction {
  // expandDeep maps strings to strings and keeps every key, so the shape, and so the type, is unchanged.
  return expandDeep(action, values) as StepAction;
}
