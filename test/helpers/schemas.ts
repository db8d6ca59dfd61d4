/**
 * The JSON schemas of the output contract (schemas/cli/, docs/output-contract.md): a compiled
 * validator by schema name, and `valid`, which reads a command's stdout as exactly one document
 * and validates it against its schema (or "error" for a failure that printed one).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { type CliResult, PACKAGE_ROOT } from "./cli.js";

const SCHEMAS = join(PACKAGE_ROOT, "schemas", "cli");
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();
export function validator(name: string) {
  let v = validators.get(name);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, `${name}.schema.json`), "utf8")));
    validators.set(name, v);
  }
  return v;
}

/** Parses stdout as exactly one JSON document and validates it; returns it. */
export function valid(r: CliResult, schema: string, what = schema): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what}: stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  const name = r.code === 0 || (doc as { error?: unknown }).error === undefined ? schema : "error";
  const v = validator(name);
  if (!v(doc))
    throw new Error(`${what}: not valid against ${name}: ${ajv.errorsText(v.errors)}\n${r.stdout}`);
  return doc;
}
