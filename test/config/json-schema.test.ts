/** The config's JSON Schema (for editors) is generated from the zod schema and kept in sync. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configJsonSchemaText } from "../../src/config/json-schema.js";
import { ConfigLayerSchema } from "../../src/config/schema.js";
import { renderDefaultConfig } from "../../src/config/template.js";
import { cleanupTempDirs, makeGitRepo, PACKAGE_ROOT } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

const SHIPPED = join(PACKAGE_ROOT, "schemas", "config.schema.json");

describe("config JSON Schema", () => {
  it("the shipped schemas/config.schema.json is what the zod schema generates", () => {
    expect(
      readFileSync(SHIPPED, "utf8"),
      "schemas/config.schema.json is stale: npm run build && node scripts/write-config-schema.js",
    ).toBe(configJsonSchemaText());
  });

  it("agrees with zod: the template validates, bad values and unknown keys do not", () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(
      JSON.parse(configJsonSchemaText()),
    );
    const template = parse(
      renderDefaultConfig({ base: "main", detectedAgents: ["claude"], verify: "./verify.sh" }),
    );
    expect(validate(template), JSON.stringify(validate.errors)).toBe(true);
    expect(ConfigLayerSchema.safeParse(template).success).toBe(true);
    for (const bad of [
      { max_parallel: 0 },
      { bogus_key: 1 },
      { sandbox: { mode: "docker" } },
      { agents: { profiles: { claude: { prompt: "email" } } } },
      { branch_prefix: "a;b/" },
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      expect(ConfigLayerSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it("init writes the schema beside the config, and the config's first line points editors at it", async () => {
    const repo = await makeGitRepo();
    expect((await repo.run(["init"])).code).toBe(0);
    const config = readFileSync(join(repo.dir, ".ballador", "config.yaml"), "utf8");
    expect(config.split("\n")[0]).toBe("# yaml-language-server: $schema=./config.schema.json");
    expect(readFileSync(join(repo.dir, ".ballador", "config.schema.json"), "utf8")).toBe(
      readFileSync(SHIPPED, "utf8"),
    );
    // A second init changes nothing.
    expect(await repo.json(["init"])).toMatchObject({ changed: false });
  });
});
