/** Where configuration comes from: file locations and environment variables. No parsing here. */
import { homedir } from "node:os";
import { join } from "node:path";

export const REPO_CONFIG_PATH = ".ballador/config.yaml";

export function globalConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.length > 0
      ? env.XDG_CONFIG_HOME
      : join(env.HOME ?? homedir(), ".config");
  return join(base, "ballador", "config.yaml");
}

/** Environment variables that set a top-level key, with how to read them. */
export const ENV_KEYS: Record<string, { key: string; type: "string" | "int" | "bool" }> = {
  BALLADOR_BASE: { key: "base", type: "string" },
  BALLADOR_BRANCH_PREFIX: { key: "branch_prefix", type: "string" },
  BALLADOR_WORKTREE_ROOT: { key: "worktree_root", type: "string" },
  BALLADOR_MAX_PARALLEL: { key: "max_parallel", type: "int" },
  BALLADOR_MAX_ATTEMPTS: { key: "max_attempts", type: "int" },
  BALLADOR_STACK: { key: "stack", type: "bool" },
  BALLADOR_VERIFY: { key: "verify", type: "string" },
  BALLADOR_RUN_TIMEOUT: { key: "run_timeout", type: "string" },
  BALLADOR_TMUX_SOCKET: { key: "tmux_socket", type: "string" },
};
