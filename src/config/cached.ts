/**
 * The validated configuration, cached in the state folder. Parsing YAML and validating with zod
 * costs more than the rest of a `status` at start-up (yaml and zod take ~160 ms to load here),
 * while the files rarely change: the cache is keyed by each source file's size and modification
 * time, the BALLADOR_* variables and Ballador's version, and any difference reloads for real.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../version.js";
import type { LoadedConfig } from "./load.js";
import { ENV_KEYS, globalConfigPath, REPO_CONFIG_PATH } from "./sources.js";

const CACHE_FILE = "config-cache.json";

function fingerprint(root: string, env: NodeJS.ProcessEnv): string {
  const files = [globalConfigPath(env), join(root, REPO_CONFIG_PATH)].map((f) => {
    try {
      const st = statSync(f);
      return `${f}:${st.size}:${st.mtimeMs}`;
    } catch {
      return `${f}:absent`;
    }
  });
  const vars = Object.keys(ENV_KEYS).map((k) => `${k}=${env[k] ?? ""}`);
  return JSON.stringify([VERSION, root, ...files, ...vars]);
}

export async function loadConfigCached(
  root: string,
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  const key = fingerprint(root, env);
  const file = join(stateDir, CACHE_FILE);
  try {
    const cached = JSON.parse(readFileSync(file, "utf8")) as { key: string; loaded: LoadedConfig };
    if (cached.key === key) return cached.loaded;
  } catch {
    // no cache yet, or unreadable: load for real
  }
  const { loadConfig } = await import("./load.js");
  const loaded = loadConfig(root, env);
  try {
    mkdirSync(stateDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, loaded }));
    renameSync(tmp, file);
  } catch {
    // a read-only state folder only costs the cache
  }
  return loaded;
}
