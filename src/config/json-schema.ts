/**
 * The configuration's JSON Schema, generated from the zod schema (the one source of truth), for
 * editors: `init` writes it beside the config and the config's first line points at it
 * (`# yaml-language-server: $schema=./config.schema.json`), so VS Code, Neovim and others
 * validate and complete `.ballador/config.yaml`. The package ships the same file as
 * schemas/config.schema.json; a test keeps it in sync.
 */
import { z } from "zod";
import { ConfigLayerSchema } from "./schema.js";

export const CONFIG_SCHEMA_FILE = "config.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ConfigLayerSchema, { target: "draft-2020-12", io: "input" }) as Record<
    string,
    unknown
  >;
  return {
    $schema: generated.$schema,
    $id: "https://github.com/ballador/ballador/schemas/config.schema.json",
    title: "Ballador configuration (.ballador/config.yaml)",
    description:
      "Every key is optional; defaults and meanings are in the file ballador init writes and in the README.",
    ...Object.fromEntries(Object.entries(generated).filter(([k]) => k !== "$schema")),
  };
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
