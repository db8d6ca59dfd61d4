/**
 * Every key of .ballador/config.yaml, walked from the generated JSON Schema (itself generated
 * from the zod schema), for the configuration reference in docs/configuration.md: the list there
 * is written by scripts/write-docs.mjs and a test checks it is current and that every key is
 * described by hand somewhere in docs/.
 */
import { configJsonSchema } from "./json-schema.js";

interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaNode[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  description?: string;
}

export interface ConfigKey {
  /** Dotted path; `<name>` stands for a name you choose (a profile, a role, a model). */
  key: string;
  type: string;
  description?: string;
}

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.anyOf) return [...new Set(node.anyOf.map(typeOf))].join(" \\| ");
  if (node.type === "array") return node.items ? `list of ${typeOf(node.items)}` : "list";
  if (node.type === "object" && !node.properties && typeof node.additionalProperties === "object")
    return `map of ${typeOf(node.additionalProperties)}`;
  return Array.isArray(node.type) ? node.type.join(" \\| ") : (node.type ?? "any");
}

function walk(node: SchemaNode, prefix: string, out: Map<string, ConfigKey>): void {
  for (const branch of node.anyOf ?? []) walk(branch, prefix, out);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (!out.has(key)) out.set(key, { key, type: typeOf(child), description: child.description });
    walk(child, key, out);
  }
  if (typeof node.additionalProperties === "object") walk(node.additionalProperties, `${prefix}.<name>`, out);
  // A list of mappings (runners): its items' keys as `list[].key`.
  if (node.type === "array" && node.items?.properties) walk(node.items, `${prefix}[]`, out);
}

/** The keys in schema order, each once. */
export function configKeys(): ConfigKey[] {
  const out = new Map<string, ConfigKey>();
  walk(configJsonSchema() as SchemaNode, "", out);
  return [...out.values()];
}

/** The generated markdown table of docs/configuration.md (between its keys markers). */
export function configKeyTable(): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const rows = configKeys().map((k) => `| \`${k.key}\` | ${k.type} | ${cell(k.description ?? "")} |`);
  return ["| key | type | in short (what editors show) |", "|---|---|---|", ...rows].join("\n");
}
