/**
 * Where a project's files live, found from any directory inside the main checkout or one of
 * its task worktrees. The state (task store, run folders) sits in the main checkout under
 * .ballador/state, ignored by git and never inside a task worktree.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  gitStoreFor,
  mainCheckoutRoot,
  NotAGitRepoError,
  ownStoreRootAbove,
  useGitStore,
} from "../adapters/git/index.js";
import type { TaskRow, TaskStore } from "../adapters/store/index.js";
import { loadConfigCached } from "../config/cached.js";
import { ConfigError } from "../config/errors.js";
import type { LoadedConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { REPO_CONFIG_PATH } from "../config/sources.js";
import { notFound, problems } from "../core/errors.js";

export interface ProjectPaths {
  root: string;
  balladorDir: string;
  configFile: string;
  stateDir: string;
  runsDir: string;
  partsDir: string;
  specsDir: string;
}

export interface Project {
  paths: ProjectPaths;
  config: Config;
  loaded: LoadedConfig;
  /** Opened on first use, so read-only commands that do not need it stay fast. */
  store(): TaskStore;
  close(): void;
}

export async function findRoot(cwd: string): Promise<string> {
  // A jj repository that is not colocated: its git store is `.jj/repo/store/git`, and every
  // host-side git call in its root uses that store (docs/specs/0015-jujutsu.md).
  const jjOwn = ownStoreRootAbove(cwd);
  if (jjOwn) {
    useGitStore(jjOwn.root, jjOwn.store);
    return jjOwn.root;
  }
  try {
    return await mainCheckoutRoot(cwd);
  } catch (err) {
    if (err instanceof NotAGitRepoError) {
      throw notFound(
        "not_a_repository",
        `${cwd} is not inside a git repository. Run "git init" first, or cd into your project.`,
      );
    }
    throw err;
  }
}

export function stateDirFor(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.BALLADOR_STATE_DIR ? resolve(env.BALLADOR_STATE_DIR) : join(root, ".ballador", "state");
}

export function pathsFor(
  root: string,
  config: Pick<Config, "parts_dir" | "specs_dir">,
  env = process.env,
): ProjectPaths {
  const stateDir = stateDirFor(root, env);
  return {
    root,
    balladorDir: join(root, ".ballador"),
    configFile: join(root, REPO_CONFIG_PATH),
    stateDir,
    runsDir: join(stateDir, "runs"),
    partsDir: resolve(root, config.parts_dir),
    specsDir: resolve(root, config.specs_dir),
  };
}

export async function openProject(cwd: string, opts: { requireInit?: boolean } = {}): Promise<Project> {
  const root = await findRoot(cwd);
  if (opts.requireInit !== false && !existsSync(join(root, REPO_CONFIG_PATH))) {
    throw notFound("not_initialized", `${root} has no ${REPO_CONFIG_PATH}. Run "ballador init" there first.`);
  }
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfigCached(root, stateDirFor(root));
  } catch (err) {
    if (err instanceof ConfigError) {
      throw problems("invalid_config", `the configuration is not valid:\n${err.message}`);
    }
    throw err;
  }
  const paths = pathsFor(root, loaded.config);
  if (opts.requireInit !== false) await exportJjBookmarks(root);
  // Imported here, not at the top: better-sqlite3 is a native module that --help and --version never need.
  const storeModule = await import("../adapters/store/index.js");
  let store: TaskStore | null = null;
  return {
    paths,
    config: loaded.config,
    loaded,
    store() {
      if (!store) {
        store = storeModule.TaskStore.open(paths.stateDir, { stack: loaded.config.stack });
      }
      return store;
    },
    close() {
      store?.close();
      store = null;
    },
  };
}

/**
 * In a jj repository that is not colocated, jj's bookmarks become git branches of its store only
 * when exported: done before a command reads the base or a task's bookmark through git.
 */
async function exportJjBookmarks(root: string): Promise<void> {
  // findRoot registered the store of such a root; jj's adapter loads only for one.
  if (gitStoreFor(root) === null) return;
  const { exportGitRefs, JJ_MINIMUM } = await import("../adapters/jj/index.js");
  try {
    await exportGitRefs(root);
  } catch (err) {
    throw problems(
      "jj_export_failed",
      `${root} is a jj repository whose git store is .jj/repo/store/git; Ballador reads its bookmarks there after \`jj git export\`, which failed: ${(err as Error).message}. Install jj ${JJ_MINIMUM} or newer (ballador doctor), or fix what jj says`,
    );
  }
}

/** The task named on the command line, or the one error message every command gives. */
export function requireTask(project: Project, id: string): TaskRow {
  const task = project.store().task(id);
  if (!task) throw notFound("task_not_found", `no task "${id}" in the queue (see "ballador status")`);
  return task;
}
