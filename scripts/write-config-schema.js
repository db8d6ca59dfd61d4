#!/usr/bin/env node
// Regenerates schemas/config.schema.json from the zod config schema (run after changing
// src/config/schema.ts): npm run schemas
import { writeFileSync } from "node:fs";
import { configJsonSchemaText } from "../dist/config/json-schema.js";

writeFileSync(new URL("../schemas/config.schema.json", import.meta.url), configJsonSchemaText());
console.log("wrote schemas/config.schema.json");
