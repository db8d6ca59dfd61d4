/**
 * A part: one small, self-contained piece of a spec, written as markdown with YAML front matter.
 * This module holds its schema and the front-matter split; reading files is an adapter's job.
 */
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { TASK_ID_PATTERN } from "./ids.js";
import { scopePatternProblem } from "./scope.js";

export const PartFrontMatter = z.strictObject({
  id: z.string().regex(TASK_ID_PATTERN, {
    message: 'use 1-64 characters of a-z, 0-9 and "-", starting and ending with a letter or digit',
  }),
  title: z.string().trim().min(1, { message: "a title is required" }).max(200),
  // A path inside the repository: the spec is read from the base through git, never followed out.
  spec: z
    .string()
    .min(1)
    .refine(
      (s) => !s.startsWith("/") && !s.includes("\\") && !s.includes("\0") && !s.split("/").includes(".."),
      {
        message:
          'use a path relative to the repository root, without ".." (e.g. specs/0001-data-extraction.md)',
      },
    )
    .optional(),
  needs: z.array(z.string()).default([]),
  agent: z.string().min(1).optional(),
  role: z.string().min(1).optional(),
  scope: z
    .array(
      z.string().superRefine((glob, ctx) => {
        const problem = scopePatternProblem(glob);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    )
    .default([]),
  verify: z.string().min(1).optional(),
  // Roles and pipelines (issue 16): a named pipeline of the config, or the roles in order.
  pipeline: z
    .union([
      z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { message: "a pipeline name such as tdd" }),
      z
        .array(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { message: "a role name such as test-author" }))
        .min(1),
    ])
    .optional(),
  pause_after: z
    .union([z.string().min(1), z.array(z.string().min(1))])
    .transform((v) => (typeof v === "string" ? [v] : v))
    .optional(),
  priority: z.number().int().min(-1000).max(1000).default(0),
  // Where its runs live (spec 0013): a runner of the config, any, or local.
  runner: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, { message: "a runner's name, any or local" })
    .optional(),
});

export type PartFields = z.infer<typeof PartFrontMatter>;

export interface Part extends PartFields {
  body: string;
  /** Path of the part file, relative to the repository root. */
  path: string;
}

export interface PartParseError {
  path: string;
  line: number | null;
  field: string | null;
  message: string;
}

export type PartParseResult = { ok: true; part: Part } | { ok: false; errors: PartParseError[] };

/** Splits `---\nyaml\n---\nbody` and validates the front matter. Lines are 1-based file lines. */
export function parsePart(text: string, path: string): PartParseResult {
  const normalized = text.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
  const lines = normalized.split("\n");
  if (lines[0]?.trim() !== "---") {
    return fail(path, 1, null, 'the file must start with a "---" line opening the front matter');
  }
  const end = lines.findIndex((l, i) => i > 0 && (l.trim() === "---" || l.trim() === "..."));
  if (end < 0) return fail(path, lines.length, null, 'the front matter is not closed by a "---" line');
  const yamlText = lines.slice(1, end).join("\n");
  let data: unknown = simpleFrontMatter(lines.slice(1, end));
  if (data === undefined) {
    // linePos is only filled in with prettyErrors; a LineCounter gives lines without the noisy message.
    const lineCounter = new LineCounter();
    const doc = parseDocument(yamlText, { prettyErrors: false, lineCounter });
    if (doc.errors.length > 0) {
      return {
        ok: false,
        errors: doc.errors.map((e) => ({
          path,
          // The YAML starts on file line 2 (after the opening "---"); linePos lines are 1-based.
          line: lineCounter.linePos(e.pos[0]).line + 1,
          field: e.code === "DUPLICATE_KEY" ? keyAt(yamlText, e.pos[0]) : null,
          message:
            e.code === "DUPLICATE_KEY"
              ? `the key "${keyAt(yamlText, e.pos[0])}" appears twice in the front matter; keep one`
              : `malformed front matter: ${e.message.split("\n")[0]}`,
        })),
      };
    }
    try {
      // yaml refuses documents whose aliases expand past a limit (a "billion laughs" bomb).
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      return fail(path, 2, null, `unusable front matter: ${(err as Error).message}; write the values out`);
    }
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return fail(path, 2, null, "the front matter must be a mapping of keys (id, title, needs, ...)");
  }
  const parsed = PartFrontMatter.safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => {
        const key = issue.path[0] !== undefined ? String(issue.path[0]) : null;
        const unknownKey = issue.code === "unrecognized_keys" ? (issue.keys[0] ?? null) : null;
        const field = unknownKey ?? (issue.path.length > 0 ? issue.path.join(".") : null);
        return {
          path,
          line: lineOfKey(lines, end, unknownKey ?? key),
          field,
          message: describeIssue(issue),
        };
      }),
    };
  }
  const body = lines
    .slice(end + 1)
    .join("\n")
    .trim();
  return { ok: true, part: { ...parsed.data, body, path } };
}

/** A plain scalar YAML would read as a string exactly as written (no bool, null, number, date, ...). */
const PLAIN = /^[A-Za-z_./~][^#:{}[\]&*!|>'"%@`,]*$/;
const YAML_SPECIAL = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function simpleScalar(raw: string): string | number | undefined {
  const v = raw.trim();
  if (/^-?(0|[1-9]\d{0,8})$/.test(v)) return Number(v);
  if (v.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(v);
      return typeof parsed === "string" ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  if (v.startsWith("'")) return /^'[^']*'$/.test(v) ? v.slice(1, -1) : undefined;
  if (PLAIN.test(v) && !YAML_SPECIAL.test(v) && !/\s$/.test(v)) return v;
  return undefined;
}

/**
 * The common front matter (one `key: value` per line, values plain or quoted strings, small
 * integers, or flow lists of those) read without the YAML library: queueing 10,000 parts spent
 * most of its time there. Anything else returns undefined and goes to the real YAML parser,
 * so what is accepted means exactly what YAML says it means.
 */
export function simpleFrontMatter(lines: readonly string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const line of lines) {
    if (line.trim() === "" || /^#/.test(line)) continue;
    const m = /^([a-z_]+):(?: (.*))?$/.exec(line);
    if (!m) return undefined;
    const key = m[1] as string;
    const raw = (m[2] ?? "").trim();
    if (key in out) return undefined; // YAML reports duplicate keys: let it
    if (raw === "") return undefined; // null or a block value: YAML decides
    if (raw.startsWith("[")) {
      if (!raw.endsWith("]")) return undefined;
      const inner = raw.slice(1, -1).trim();
      if (inner === "") {
        out[key] = [];
        continue;
      }
      const items: Array<string | number> = [];
      for (const part of splitFlow(inner)) {
        const v = simpleScalar(part);
        if (v === undefined) return undefined;
        items.push(v);
      }
      out[key] = items;
      continue;
    }
    const v = simpleScalar(raw);
    if (v === undefined) return undefined;
    out[key] = v;
  }
  // Empty front matter is YAML's null, not an empty mapping.
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Splits a flow list's inside on commas outside quotes (each item is then checked on its own). */
function splitFlow(inner: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] as string;
    if (quote) {
      current += c;
      if (c === "\\" && quote === '"') {
        current += inner[++i] ?? "";
      } else if (c === quote) {
        quote = null;
      }
    } else if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if (c === ",") {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}: known keys are ${Object.keys(PartFrontMatter.shape).join(", ")}`;
  }
  if (issue.code === "invalid_type") return `expected ${issue.expected}`;
  return issue.message;
}

function lineOfKey(lines: string[], end: number, key: string | null): number | null {
  if (key === null) return null;
  for (let i = 1; i < end; i++) if (lines[i]?.startsWith(`${key}:`)) return i + 1;
  return null;
}

function fail(path: string, line: number | null, field: string | null, message: string): PartParseResult {
  return { ok: false, errors: [{ path, line, field, message }] };
}

export function formatPartError(e: PartParseError): string {
  const where = e.line !== null ? `${e.path}:${e.line}` : e.path;
  return `${where}: ${e.field ? `${e.field}: ` : ""}${e.message}`;
}

/** What a new part file says: its front matter's fields and its body. */
export interface PartFileFields {
  id: string;
  title: string;
  spec?: string;
  needs: string[];
  agent?: string;
  role?: string;
  scope: string[];
  verify?: string;
  priority: number;
  body: string;
}

/** The front matter a new part starts with, written so a person can fill it in. */
export function renderPartFile(fields: PartFileFields): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    "---",
    `id: ${fields.id}`,
    `title: ${q(fields.title)}`,
    ...(fields.spec ? [`spec: ${q(fields.spec)}`] : []),
    `needs: [${fields.needs.join(", ")}]`,
    ...(fields.agent ? [`agent: ${q(fields.agent)}`] : []),
    ...(fields.role ? [`role: ${q(fields.role)}`] : []),
    `scope: [${fields.scope.map(q).join(", ")}]`,
    ...(fields.verify ? [`verify: ${q(fields.verify)}`] : []),
    `priority: ${fields.priority}`,
    "---",
    fields.body.trim(),
    "",
  ];
  return lines.join("\n");
}

/** The mapping key that starts at an offset of a YAML text (for "appears twice" messages). */
function keyAt(text: string, offset: number): string {
  return /^["']?([^"':\n]+)/.exec(text.slice(offset))?.[1]?.trim() ?? "?";
}
