/**
 * The folders a config test loads from: a repository with its `.ballador/` and an XDG config
 * home with `ballador/`, each empty, and the environment that points loadConfig at them.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, type ConfigProblem } from "../../src/config/errors.js";
import { makeTempDir } from "../helpers/cli.js";

export interface ConfigDirs {
  /** The "repository". */
  root: string;
  xdg: string;
  env: NodeJS.ProcessEnv;
  repoFile: string;
  globalFile: string;
}

export async function configDirs(prefix: string): Promise<ConfigDirs> {
  const tmp = await makeTempDir(prefix);
  const root = join(tmp, "repo");
  const xdg = join(tmp, "xdg");
  await mkdir(join(root, ".ballador"), { recursive: true });
  await mkdir(join(xdg, "ballador"), { recursive: true });
  return {
    root,
    xdg,
    env: { XDG_CONFIG_HOME: xdg, HOME: tmp },
    repoFile: join(root, ".ballador", "config.yaml"),
    globalFile: join(xdg, "ballador", "config.yaml"),
  };
}

/** The problems of the ConfigError that `fn` throws; fails when it throws none. */
export function problemsOf(fn: () => unknown): ConfigProblem[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}
