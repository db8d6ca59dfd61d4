import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { AGENTS, PRESETS, type Preset, presetBinary } from "../adapters/agents/presets.js";
import { findProgram } from "../adapters/agents/profiles.js";
import { currentBranch } from "../adapters/git/index.js";
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from "../config/json-schema.js";
import { REPO_CONFIG_PATH } from "../config/sources.js";
import { renderDefaultConfig } from "../config/template.js";
import type { VerifyDetection } from "../core/verify-detect.js";
import { findRoot } from "../project/index.js";
import { detectProjectVerify } from "../verify/index.js";

export interface InitResult {
  root: string;
  written: string[];
  unchanged: string[];
  detectedAgents: string[];
  /** The project's test command found for verify (written only when the config was). */
  verify: VerifyDetection;
  changed: boolean;
}

const STATE_IGNORE = "# Ballador's task store and run folders: local state, never committed.\nstate/\n";

export async function init(
  cwd: string,
  opts: { force?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<InitResult> {
  const root = await findRoot(cwd);
  const env = opts.env ?? process.env;
  const detectedAgents = AGENTS.filter(
    (name) => findProgram(presetBinary(PRESETS[name] as Preset), root, env) !== null,
  );
  const written: string[] = [];
  const unchanged: string[] = [];
  const write = (path: string, content: string, overwrite: boolean) => {
    const rel = relative(root, path);
    if (existsSync(path) && (!overwrite || readFileSync(path, "utf8") === content)) {
      unchanged.push(rel);
      return;
    }
    mkdirSync(join(path, ".."), { recursive: true });
    // Write to a temporary name first so an interrupted init never leaves half a config.
    writeFileSync(`${path}.tmp`, content);
    renameSync(`${path}.tmp`, path);
    written.push(rel);
  };
  const configPath = join(root, REPO_CONFIG_PATH);
  const base = (await currentBranch(root)) ?? "main";
  const verify = await detectProjectVerify(root, env);
  write(
    configPath,
    renderDefaultConfig({ base, detectedAgents, verify: verify.verify, bootstrap: verify.bootstrap }),
    opts.force === true,
  );
  // Ballador's own file, refreshed to this version's keys: editors validate the config with it.
  write(join(root, ".ballador", CONFIG_SCHEMA_FILE), configJsonSchemaText(), true);
  write(join(root, ".ballador", ".gitignore"), STATE_IGNORE, opts.force === true);
  write(join(root, "specs", "README.md"), SPECS_README, false);
  write(join(root, ".ballador", "parts", "README.md"), PARTS_README, false);
  return { root, written, unchanged, detectedAgents, verify, changed: written.length > 0 };
}

const SPECS_README = `# Living specs

One file per significant decision, numbered: \`ballador spec new "Title"\`.
Each keeps its context, options, decision, what was tried and did not work, and its history.
Agents update the spec their part belongs to after their work.
`;

const PARTS_README = `# Parts

Parts cut from the specs, one folder per spec (\`.ballador/parts/<spec-name>/<id>.md\`).
Scaffold one with \`ballador part new\`, then load them with \`ballador queue\`.
`;
